#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/describe_log_dirs_request.h"
#include "protocol/messages/describe_log_dirs_response.h"

namespace tributary::kafka {

// DescribeLogDirs (v1-5): the one data directory, the size of each partition's log in it, its offset
// lag (log end offset minus high watermark, as Kafka reports for current replicas), and the
// filesystem's total and usable bytes (v4+).
struct describe_log_dirs_handler {
    using request = protocol::describe_log_dirs_request;
    using response = protocol::describe_log_dirs_response;
    static constexpr std::int16_t min_version = 1;
    static constexpr std::int16_t max_version = 5;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
