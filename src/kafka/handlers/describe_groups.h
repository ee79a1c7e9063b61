#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/describe_groups_request.h"
#include "protocol/messages/describe_groups_response.h"

namespace tributary::kafka {

// DescribeGroups (v0-6): classic groups with their members; member metadata and assignments only
// when Stable, as Kafka. Unknown groups are Dead (v6+: GROUP_ID_NOT_FOUND).
struct describe_groups_handler {
    using request = protocol::describe_groups_request;
    using response = protocol::describe_groups_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 6;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
