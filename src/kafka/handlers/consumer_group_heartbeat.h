#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/consumer_group_heartbeat_request.h"
#include "protocol/messages/consumer_group_heartbeat_response.h"

namespace tributary::kafka {

// ConsumerGroupHeartbeat (v0-1, KIP-848): joins, heartbeats in and leaves a consumer group; the answer
// carries the member epoch and, when it changed, the member's assignment (groups/consumer_protocol.h).
// v1 (KIP-1082): the consumer names itself and may subscribe by regex.
struct consumer_group_heartbeat_handler {
    using request = protocol::consumer_group_heartbeat_request;
    using response = protocol::consumer_group_heartbeat_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 1;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
