#include "kafka/handlers/sync_group.h"

#include "groups/classic_protocol.h"
#include "groups/coordinator.h"

namespace tributary::kafka {

awaitable<protocol::sync_group_response> sync_group_handler::handle(request_context& ctx, request req) {
    groups::sync_args args;
    args.group_id = req.group_id;
    args.generation = req.generation_id;
    args.member_id = req.member_id;
    args.group_instance_id = req.group_instance_id;
    args.protocol_type = req.protocol_type;
    args.protocol_name = req.protocol_name;
    for (auto& a : req.assignments) args.assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));

    groups::sync_result result;
    auto route = ctx.broker->groups->locate(req.group_id, ctx.shard);
    if (req.group_id.empty()) {
        result.error = model::error_code::invalid_group_id;
    } else if (route.error != model::error_code::none) {
        result.error = route.error;
    } else {
        args.partition = route.partition;
        auto sync = [args = std::move(args)](groups::group_manager& m, std::int32_t) { return m.classic().sync(args); };
        auto syncing = ctx.broker->groups->on_coordinator(route, std::move(sync));
        result = co_await std::move(syncing);
    }
    response resp;
    resp.error_code = model::to_int(result.error);
    if (result.error == model::error_code::none) {
        resp.protocol_type = result.protocol_type;
        resp.protocol_name = result.protocol_name;
        resp.assignment = std::move(result.assignment);
    }
    co_return resp;
}

}  // namespace tributary::kafka
