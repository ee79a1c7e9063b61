#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/offset_fetch_request.h"
#include "protocol/messages/offset_fetch_response.h"

namespace tributary::kafka {

// OffsetFetch (v1-10): one group (v1-7) or several (v8+, each on its own coordinator shard); null topics
// ask for every committed offset of the group; v10 names topics by id. A partition without a
// committed offset answers offset -1 with no error; an unknown group answers like a group without
// offsets, as Kafka does.
struct offset_fetch_handler {
    using request = protocol::offset_fetch_request;
    using response = protocol::offset_fetch_response;
    static constexpr std::int16_t min_version = 1;
    static constexpr std::int16_t max_version = 10;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
