#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/allocate_producer_ids_request.h"
#include "protocol/messages/allocate_producer_ids_response.h"

namespace tributary::kafka {

// AllocateProducerIds (v0), broker to controller: the active controller hands a block of producer ids
// to a broker that does not lead the metadata log, durable in the metadata log before it answers;
// elsewhere NOT_CONTROLLER. Served to other brokers only, so not listed in ApiVersions (as in Kafka,
// where only the controller listener serves it).
struct allocate_producer_ids_handler {
    using request = protocol::allocate_producer_ids_request;
    using response = protocol::allocate_producer_ids_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 0;
    static constexpr bool advertised = false;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
