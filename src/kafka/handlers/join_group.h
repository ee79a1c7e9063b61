#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/join_group_request.h"
#include "protocol/messages/join_group_response.h"

namespace tributary::kafka {

// JoinGroup (v0-9): the classic protocol's join phase on the group's coordinator shard
// (groups/classic_protocol.h). The request waits until the phase ends; v4+ new members first get
// MEMBER_ID_REQUIRED with their id (KIP-394); static members (group.instance.id, v5+) take over their
// old place (KIP-345); v9 leaders may be told to skip the assignment (KIP-814).
struct join_group_handler {
    using request = protocol::join_group_request;
    using response = protocol::join_group_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 9;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
