#include "kafka/handlers/leave_group.h"

#include "groups/classic_protocol.h"
#include "groups/coordinator.h"

namespace tributary::kafka {

awaitable<protocol::leave_group_response> leave_group_handler::handle(request_context& ctx, request req) {
    // v0-2 name one member in the top-level member id; v3+ a batch.
    std::vector<groups::leaving_member> members;
    if (ctx.api_version < 3) {
        members.push_back(groups::leaving_member{req.member_id, std::nullopt});
    } else {
        for (const auto& m : req.members) members.push_back(groups::leaving_member{m.member_id, m.group_instance_id});
    }
    groups::leave_result result;
    auto route = ctx.broker->groups->locate(req.group_id, ctx.shard);
    if (req.group_id.empty()) {
        result.error = model::error_code::invalid_group_id;
    } else if (route.error != model::error_code::none) {
        result.error = route.error;
    } else {
        auto leave = [group_id = req.group_id, members](groups::group_manager& m,
                                                        std::int32_t partition) -> awaitable<groups::leave_result> {
            auto leaving_members = m.classic().leave(group_id, partition, members);
            co_return co_await std::move(leaving_members);
        };
        auto leaving = ctx.broker->groups->on_coordinator(route, std::move(leave));
        result = co_await std::move(leaving);
    }
    response resp;
    if (ctx.api_version < 3) {
        model::error_code e = result.error;
        if (e == model::error_code::none && !result.members.empty()) e = result.members.front();
        resp.error_code = model::to_int(e);
        co_return resp;
    }
    resp.error_code = model::to_int(result.error);
    if (result.error == model::error_code::none) {
        for (std::size_t i = 0; i < members.size() && i < result.members.size(); ++i) {
            response::member_response out;
            out.member_id = members[i].member_id;
            out.group_instance_id = members[i].group_instance_id;
            out.error_code = model::to_int(result.members[i]);
            resp.members.push_back(std::move(out));
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
