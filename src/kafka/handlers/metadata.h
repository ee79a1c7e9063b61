#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"

namespace tributary::kafka {

// Metadata: the brokers, the controller and the cluster id. There are no topics yet, so a request for
// all topics gets none and each requested topic gets UNKNOWN_TOPIC_OR_PARTITION (by name, or by id as
// UNKNOWN_TOPIC_ID for v10+ requests that name topics by id only).
struct metadata_handler {
    using request = protocol::metadata_request;
    using response = protocol::metadata_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 13;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
