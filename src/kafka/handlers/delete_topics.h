#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/delete_topics_request.h"
#include "protocol/messages/delete_topics_response.h"

namespace tributary::kafka {

// DeleteTopics (v1-6): by name, and from v6 by topic id. Names and ids are checked as ControllerApis
// checks them (both or neither given, duplicates, a name that maps to an id also given); the controller
// removes the topics durably and every shard drops their partitions before the answer. With
// delete.topic.enable=false every topic gets TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3).
// Results come in request order (Kafka shuffles them).
struct delete_topics_handler {
    using request = protocol::delete_topics_request;
    using response = protocol::delete_topics_response;
    static constexpr std::int16_t min_version = 1;
    static constexpr std::int16_t max_version = 6;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
