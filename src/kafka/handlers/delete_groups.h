#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/delete_groups_request.h"
#include "protocol/messages/delete_groups_response.h"

namespace tributary::kafka {

// DeleteGroups (v0-3; v3 adds error messages): only groups without members (NON_EMPTY_GROUP); their offsets go too.
struct delete_groups_handler {
    using request = protocol::delete_groups_request;
    using response = protocol::delete_groups_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 3;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
