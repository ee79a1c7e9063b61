#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/describe_cluster_request.h"
#include "protocol/messages/describe_cluster_response.h"

namespace tributary::kafka {

// DescribeCluster (KIP-700, KIP-919 endpoint types, KIP-1073 fenced brokers). This listener is a broker
// listener: asking it for controller endpoints is MISMATCHED_ENDPOINT_TYPE, an unknown type is
// UNSUPPORTED_ENDPOINT_TYPE.
struct describe_cluster_handler {
    using request = protocol::describe_cluster_request;
    using response = protocol::describe_cluster_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 2;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
