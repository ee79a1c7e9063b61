#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/list_groups_request.h"
#include "protocol/messages/list_groups_response.h"

namespace tributary::kafka {

// ListGroups (v0-5): every group of every shard; v4+ filter by state, v5+ by type (classic, consumer).
struct list_groups_handler {
    using request = protocol::list_groups_request;
    using response = protocol::list_groups_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 5;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
