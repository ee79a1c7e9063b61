#pragma once

#include <optional>

#include "kafka/handlers/handler.h"
#include "protocol/messages/produce_request.h"
#include "protocol/messages/produce_response.h"

namespace tributary::kafka {

// Produce (v3-13; v0-2 are advertised but refused, because librdkafka's compressed produce breaks when
// the advertised range does not start at 0: KAFKA-18659).
//
// Two phases: the batches are validated on the connection's shard (header, CRC, Kafka's per-request
// rules), then each partition's batches are appended on the shard that owns the partition, all
// partitions concurrently. The log assigns offsets by patching the batch headers in the request's own
// frame buffer, so the stored bytes are the bytes received. acks=0 gets no response; acks=1 is answered
// once the batches are written; acks=all once they are durable (fsync, group commit) or timeout_ms passed.
struct produce_handler {
    using request = protocol::produce_request;
    using response = protocol::produce_response;
    static constexpr std::int16_t min_version = 3;
    static constexpr std::int16_t max_version = 13;
    static constexpr std::int16_t advertised_min_version = 0;
    static awaitable<std::optional<response>> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
