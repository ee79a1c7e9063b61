#include "kafka/handlers/join_group.h"

#include "groups/classic_protocol.h"
#include "groups/coordinator.h"

namespace tributary::kafka {

awaitable<protocol::join_group_response> join_group_handler::handle(request_context& ctx, request req) {
    groups::join_args args;
    args.group_id = req.group_id;
    args.api_version = ctx.api_version;
    args.session_timeout_ms = req.session_timeout_ms;
    args.rebalance_timeout_ms = ctx.api_version >= 1 ? req.rebalance_timeout_ms : req.session_timeout_ms;
    args.member_id = req.member_id;
    args.group_instance_id = req.group_instance_id;
    args.protocol_type = req.protocol_type;
    for (auto& p : req.protocols) args.protocols.emplace_back(std::move(p.name), std::move(p.metadata));
    args.client_id = ctx.client_id.value_or("");
    args.client_host = "/" + ctx.client_host;

    groups::join_result result;
    auto route = ctx.broker->groups->locate(req.group_id, ctx.shard);
    if (req.group_id.empty()) {
        result.error = model::error_code::invalid_group_id;
    } else if (route.error != model::error_code::none) {
        result.error = route.error;
    } else {
        args.partition = route.partition;
        auto join = [args = std::move(args)](groups::group_manager& m, std::int32_t) {
            return m.classic().join(args);
        };
        auto joining = ctx.broker->groups->on_coordinator(route, std::move(join));
        result = co_await std::move(joining);
    }
    if (result.error != model::error_code::none && result.member_id.empty()) result.member_id = req.member_id;

    response resp;
    resp.error_code = model::to_int(result.error);
    resp.generation_id = result.generation;
    resp.protocol_type = result.protocol_type;
    resp.protocol_name = result.protocol_name;
    if (ctx.api_version < 7 && !resp.protocol_name) resp.protocol_name = "";
    resp.leader = result.leader;
    resp.skip_assignment = result.skip_assignment;
    resp.member_id = result.member_id;
    for (auto& m : result.members) {
        response::join_group_response_member out;
        out.member_id = std::move(m.member_id);
        out.group_instance_id = std::move(m.group_instance_id);
        out.metadata = std::move(m.metadata);
        resp.members.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
