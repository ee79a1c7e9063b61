#include "kafka/handlers/consumer_group_heartbeat.h"

#include "groups/consumer_protocol.h"
#include "groups/coordinator.h"
#include "groups/group_manager.h"

namespace tributary::kafka {

awaitable<protocol::consumer_group_heartbeat_response> consumer_group_heartbeat_handler::handle(
    request_context& ctx, request req) {
    auto route = ctx.broker->groups->locate(req.group_id, ctx.shard);
    if (route.error != model::error_code::none) {
        response resp;
        resp.error_code = model::to_int(route.error);
        co_return resp;
    }
    const std::int16_t version = ctx.api_version;
    std::string client_id = ctx.client_id.value_or("");
    std::string client_host = ctx.client_host;
    auto beat = [req = std::move(req), version, client_id, client_host](
                    groups::group_manager& m, std::int32_t partition) -> awaitable<response> {
        auto beating = m.consumer().heartbeat(req, version, partition, client_id, client_host);
        co_return co_await std::move(beating);
    };
    auto beating = ctx.broker->groups->on_coordinator(route, std::move(beat));
    co_return co_await std::move(beating);
}

}  // namespace tributary::kafka
