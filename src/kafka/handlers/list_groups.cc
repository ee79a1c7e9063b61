#include "kafka/handlers/list_groups.h"

#include "groups/coordinator.h"
#include "groups/group_admin.h"

namespace tributary::kafka {

awaitable<protocol::list_groups_response> list_groups_handler::handle(request_context& ctx, request req) {
    auto list = [states = req.states_filter, types = req.types_filter](groups::group_manager& m)
        -> awaitable<groups::list_groups_result> { co_return groups::list_groups(m, states, types); };
    auto listing = ctx.broker->groups->on_every_shard<groups::list_groups_result>(std::move(list));
    auto per_shard = co_await std::move(listing);
    response resp;
    for (auto& r : per_shard) {
        if (r.error != model::error_code::none) resp.error_code = model::to_int(r.error);
        for (auto& g : r.groups) {
            response::listed_group out;
            out.group_id = std::move(g.group_id);
            out.protocol_type = std::move(g.protocol_type);
            out.group_state = std::move(g.state);
            out.group_type = std::string(groups::to_string(g.type));
            resp.groups.push_back(std::move(out));
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
