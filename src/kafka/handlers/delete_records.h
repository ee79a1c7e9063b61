#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/delete_records_request.h"
#include "protocol/messages/delete_records_response.h"

namespace tributary::kafka {

// DeleteRecords (v0-2): moves each partition's log start offset up to the given offset (-1: the high
// watermark), persisted before the answer, and deletes the segments wholly below it.
struct delete_records_handler {
    using request = protocol::delete_records_request;
    using response = protocol::delete_records_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 2;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
