#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/offset_commit_request.h"
#include "protocol/messages/offset_commit_response.h"

namespace tributary::kafka {

// OffsetCommit (v2-10; v10 names topics by id). Unknown topics and partitions are refused here, as
// Kafka's KafkaApis does; the rest goes to the group's coordinator shard (groups/group_manager.h),
// which checks generation and member (classic groups) or member epoch (KIP-848 groups), writes the
// offsets to __consumer_offsets and answers once they are durable.
struct offset_commit_handler {
    using request = protocol::offset_commit_request;
    using response = protocol::offset_commit_response;
    static constexpr std::int16_t min_version = 2;
    static constexpr std::int16_t max_version = 10;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
