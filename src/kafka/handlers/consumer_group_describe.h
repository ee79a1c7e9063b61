#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/consumer_group_describe_request.h"
#include "protocol/messages/consumer_group_describe_response.h"

namespace tributary::kafka {

// ConsumerGroupDescribe (v0-1, KIP-848): epochs, state, assignor, and every member's subscription,
// current and target assignment; v1 adds the member type (KIP-1099). A classic group answers
// GROUP_ID_NOT_FOUND ("not a consumer group"), as Kafka does, and the Java Admin then falls back to
// DescribeGroups.
struct consumer_group_describe_handler {
    using request = protocol::consumer_group_describe_request;
    using response = protocol::consumer_group_describe_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 1;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
