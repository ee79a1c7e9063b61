#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/sync_group_request.h"
#include "protocol/messages/sync_group_response.h"

namespace tributary::kafka {

// SyncGroup (v0-5): members wait for the leader's assignment, which is stored durably in
// __consumer_offsets before anyone gets theirs.
struct sync_group_handler {
    using request = protocol::sync_group_request;
    using response = protocol::sync_group_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 5;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
