#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/find_coordinator_request.h"
#include "protocol/messages/find_coordinator_response.h"

namespace tributary::kafka {

// FindCoordinator (v0-6), one key (v0-3) or a batch of keys (v4+, KIP-699). Key type GROUP (0): this
// broker, after creating __consumer_offsets on first use (groups/coordinator.h). TRANSACTION (1) and
// SHARE (2) answer INVALID_REQUEST with a message: transactions and share groups do not exist yet, and
// a retriable error would make clients wait forever.
struct find_coordinator_handler {
    using request = protocol::find_coordinator_request;
    using response = protocol::find_coordinator_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 6;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
