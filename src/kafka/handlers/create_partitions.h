#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/create_partitions_request.h"
#include "protocol/messages/create_partitions_response.h"

namespace tributary::kafka {

// CreatePartitions (v0-3): grows topics; INVALID_PARTITIONS for a count that is not an increase,
// INVALID_REPLICA_ASSIGNMENT for assignments that do not fit, INVALID_REQUEST "Duplicate topic
// name." for a topic named twice. The new partitions are open on their shards before the answer.
struct create_partitions_handler {
    using request = protocol::create_partitions_request;
    using response = protocol::create_partitions_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 3;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
