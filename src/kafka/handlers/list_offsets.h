#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/list_offsets_request.h"
#include "protocol/messages/list_offsets_response.h"

namespace tributary::kafka {

// ListOffsets (v1-11): the offset for a timestamp, or for the special timestamps
//   -1 latest (high watermark; last stable offset for read_committed), -2 earliest (log start),
//   -3 max timestamp (KIP-734), -4 earliest local (KIP-405: the log start, nothing is tiered),
//   -5 latest tiered (KIP-1005) and -6 earliest pending upload (KIP-1023): -1, nothing is tiered.
// A timestamp with no record at or after it answers offset -1, timestamp -1, as Kafka does.
struct list_offsets_handler {
    using request = protocol::list_offsets_request;
    using response = protocol::list_offsets_response;
    static constexpr std::int16_t min_version = 1;
    static constexpr std::int16_t max_version = 11;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
