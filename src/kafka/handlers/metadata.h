#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"

namespace tributary::kafka {

// Metadata: brokers, controller, cluster id, and the topics of this shard's snapshot, each partition
// led by this node (leader epoch 0, replicas and ISR [this node], no offline replicas).
//
// Unknown topics named in the request are created when auto.create.topics.enable and the request
// allow it (v4+; always allowed before v4), with num.partitions, or for __consumer_offsets and
// __transaction_state with their own settings, and are returned in the same response (Kafka answers
// UNKNOWN_TOPIC_OR_PARTITION first and creates them in the background). Otherwise an unknown topic is
// UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION if its name is illegal. v12+ requests may
// name topics by id (UNKNOWN_TOPIC_ID when unknown). Without an authorizer every operation is allowed,
// so the authorized-operation fields (v8+) carry all of them when asked for.
struct metadata_handler {
    using request = protocol::metadata_request;
    using response = protocol::metadata_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 13;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
