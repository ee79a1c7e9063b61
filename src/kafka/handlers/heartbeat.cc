#include "kafka/handlers/heartbeat.h"

#include "groups/classic_protocol.h"
#include "groups/coordinator.h"

namespace tributary::kafka {

awaitable<protocol::heartbeat_response> heartbeat_handler::handle(request_context& ctx, request req) {
    response resp;
    auto route = ctx.broker->groups->locate(req.group_id, ctx.shard);
    if (req.group_id.empty()) {
        resp.error_code = model::to_int(model::error_code::invalid_group_id);
    } else if (route.error != model::error_code::none) {
        resp.error_code = model::to_int(route.error);
    } else {
        groups::heartbeat_args args;
        args.group_id = req.group_id;
        args.partition = route.partition;
        args.generation = req.generation_id;
        args.member_id = req.member_id;
        args.group_instance_id = req.group_instance_id;
        auto beat = [args = std::move(args)](groups::group_manager& m, std::int32_t) -> awaitable<model::error_code> {
            co_return m.classic().heartbeat(args);
        };
        auto beating = ctx.broker->groups->on_coordinator(route, std::move(beat));
        resp.error_code = model::to_int(co_await std::move(beating));
    }
    co_return resp;
}

}  // namespace tributary::kafka
