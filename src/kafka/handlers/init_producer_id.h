#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/init_producer_id_request.h"
#include "protocol/messages/init_producer_id_response.h"

namespace tributary::kafka {

// InitProducerId (v0-5) for idempotent producers: a producer id never handed out before (the
// controller allocates durable blocks), epoch 0. Requests with a transactional id get INVALID_REQUEST
// until transactions exist (docs/compatibility.md). v6 (KIP-939, two-phase commit) is unstable upstream.
struct init_producer_id_handler {
    using request = protocol::init_producer_id_request;
    using response = protocol::init_producer_id_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 5;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
