#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/offset_for_leader_epoch_request.h"
#include "protocol/messages/offset_for_leader_epoch_response.h"

namespace tributary::kafka {

// OffsetForLeaderEpoch (v2-4, KIP-101/KIP-320): for each partition, the largest leader epoch <= the one
// asked for that wrote to the log, and the offset where that epoch ended (the log end offset for the
// current epoch), from the partition's leader-epoch-checkpoint. Consumers use it to detect a truncated
// log after a leader change; followers to find where their log diverged. An epoch the log does not know
// answers -1/-1 with no error, as Kafka does.
struct offset_for_leader_epoch_handler {
    using request = protocol::offset_for_leader_epoch_request;
    using response = protocol::offset_for_leader_epoch_response;
    static constexpr std::int16_t min_version = 2;
    static constexpr std::int16_t max_version = 4;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
