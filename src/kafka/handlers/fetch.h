#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/fetch_request.h"
#include "protocol/messages/fetch_response.h"

namespace tributary::kafka {

// Fetch (v4-18) for consumers: incremental sessions (KIP-227, fetch_session.h), long polling until
// min_bytes are available or max_wait_ms passes, max_bytes and partition_max_bytes with the KIP-74 rule
// that the first non-empty partition returns at least one whole batch, read_committed (reads stop at
// the last stable offset), topic ids from v13.
//
// Each partition is read on the shard that owns it, all shards concurrently; the records are the log's
// file bytes, passed to the response writer as borrowed fragments (no re-encoding, no copy into the
// response). Fetches from replicas (replica_id >= 0) are Raft's (handlers/raft.h).
struct fetch_handler {
    using request = protocol::fetch_request;
    using response = protocol::fetch_response;
    static constexpr std::int16_t min_version = 4;
    static constexpr std::int16_t max_version = 18;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
