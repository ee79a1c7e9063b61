#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/describe_producers_request.h"
#include "protocol/messages/describe_producers_response.h"

namespace tributary::kafka {

// DescribeProducers (v0, KIP-664): the idempotent/transactional producers each partition remembers.
struct describe_producers_handler {
    using request = protocol::describe_producers_request;
    using response = protocol::describe_producers_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 0;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
