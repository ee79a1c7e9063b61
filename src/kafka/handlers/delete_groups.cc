#include "kafka/handlers/delete_groups.h"

#include "groups/coordinator.h"
#include "groups/group_admin.h"

namespace tributary::kafka {

awaitable<protocol::delete_groups_response> delete_groups_handler::handle(request_context& ctx, request req) {
    response resp;
    for (const auto& id : req.groups_names) {
        response::deletable_group_result out;
        out.group_id = id;
        model::error_code e = model::error_code::none;
        auto route = ctx.broker->groups->locate(id, ctx.shard);
        if (id.empty()) {
            e = model::error_code::invalid_group_id;
        } else if (route.error != model::error_code::none) {
            e = route.error;
        } else {
            auto remove = [id](groups::group_manager& m, std::int32_t partition) {
                return groups::delete_group(m, id, partition);
            };
            auto removing = ctx.broker->groups->on_coordinator(route, std::move(remove));
            e = co_await std::move(removing);
        }
        out.error_code = model::to_int(e);
        resp.results.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
