#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/leave_group_request.h"
#include "protocol/messages/leave_group_response.h"

namespace tributary::kafka {

// LeaveGroup (v0-5; v3+ batches members, and may remove static members by instance id, KIP-345).
struct leave_group_handler {
    using request = protocol::leave_group_request;
    using response = protocol::leave_group_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 5;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
