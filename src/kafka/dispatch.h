// Request dispatch: turns one request frame into one response frame by way of the handler registered
// for the frame's API (kafka/handlers/handlers.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bytes/writer.h"
#include "kafka/request_context.h"
#include "net/asio.h"

namespace tributary::kafka {

struct dispatch_result {
    enum class kind {
        respond,           // send `response`
        no_response,       // the request wants none (Produce with acks=0)
        close_connection,  // the frame cannot be parsed or names an API/version we do not serve
    };
    kind what = kind::respond;
    // The response frame, starting with a reserved 4-byte size slot that dispatch has already patched.
    bytes::writer response;
    std::string reason;  // why the connection is closed, for the log
};

// Parses the request header of `frame` (one frame without its size prefix), decodes the body and runs
// the handler. `frame` owns the bytes that decoded views (records) point into; it is kept alive until
// the handler is done, and it is this request's own buffer: Produce patches batch headers (offsets,
// leader epoch) in place before they go to the log, which is why it is mutable.
// REQUIRES: ctx.broker is set; runs on the shard's event loop.
awaitable<dispatch_result> dispatch(request_context ctx, std::shared_ptr<bytes::uninit_buffer> frame);

}  // namespace tributary::kafka
