#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/offset_delete_request.h"
#include "protocol/messages/offset_delete_response.h"

namespace tributary::kafka {

// OffsetDelete (v0): removes a group's committed offsets for partitions it does not consume.
struct offset_delete_handler {
    using request = protocol::offset_delete_request;
    using response = protocol::offset_delete_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 0;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
