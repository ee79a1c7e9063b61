#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/describe_configs_request.h"
#include "protocol/messages/describe_configs_response.h"

namespace tributary::kafka {

// DescribeConfigs (v1-4) as Kafka's ConfigHelper answers it:
//   TOPIC (2): every topic config with its effective value, source and synonyms (the topic override,
//     then the broker configs behind it), read_only false; UNKNOWN_TOPIC_OR_PARTITION for an unknown
//     topic, INVALID_TOPIC_EXCEPTION for an illegal name.
//   BROKER (4): "<node.id>" gives every broker config Tributary knows with all layers; "" gives only
//     the dynamic cluster-wide defaults; another id is INVALID_REQUEST.
//   BROKER_LOGGER (8): the log level of "root" (Tributary has one logger), as a log4j level name.
//   Anything else (GROUP, CLIENT_METRICS: not implemented yet) is INVALID_REQUEST.
// Synonyms only when asked for; config type and documentation (v3+) as in Kafka, documentation only
// when asked for.
struct describe_configs_handler {
    using request = protocol::describe_configs_request;
    using response = protocol::describe_configs_response;
    static constexpr std::int16_t min_version = 1;
    static constexpr std::int16_t max_version = 4;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
