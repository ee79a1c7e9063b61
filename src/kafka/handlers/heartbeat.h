#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/heartbeat_request.h"
#include "protocol/messages/heartbeat_response.h"

namespace tributary::kafka {

// Heartbeat (v0-4): keeps a classic member's session; REBALANCE_IN_PROGRESS tells it to rejoin.
struct heartbeat_handler {
    using request = protocol::heartbeat_request;
    using response = protocol::heartbeat_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 4;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
