#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/create_topics_request.h"
#include "protocol/messages/create_topics_response.h"

namespace tributary::kafka {

// CreateTopics (v2-7, every version Kafka 4 serves). The controller checks each topic as Kafka's does
// and creates the valid ones durably before answering; a topic named twice in one request gets
// INVALID_REQUEST "Duplicate topic name." (once, after the others), as ControllerApis does. v5+
// answers with the partition count, replication factor and every effective config; v7+ with the
// topic id. validate_only answers the same without creating anything.
struct create_topics_handler {
    using request = protocol::create_topics_request;
    using response = protocol::create_topics_response;
    static constexpr std::int16_t min_version = 2;
    static constexpr std::int16_t max_version = 7;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
