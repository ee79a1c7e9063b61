// The shape every API handler has, and the generic glue around it.
//
// A handler is a struct with
//   using request = protocol::<api>_request;  using response = protocol::<api>_response;
//   static constexpr std::int16_t min_version, max_version;   // what we implement and advertise
//   static awaitable<response> handle(request_context&, request);
// or, for an API whose requests may want no response (Produce with acks=0),
//   static awaitable<std::optional<response>> handle(request_context&, request);
// invoke<H>() decodes the request body, runs the handler and encodes the response frame. Handlers see
// only decoded values and return values; they never touch the wire.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <span>

#include "bytes/reader.h"
#include "kafka/dispatch.h"
#include "kafka/request_context.h"
#include "protocol/api_keys.h"
#include "protocol/messages/response_header.h"

namespace tributary::kafka {

// Encodes `resp` as a full response frame: size slot, response header, body.
template <typename Response>
dispatch_result encode_response(const request_context& ctx, const Response& resp, std::int16_t version) {
    dispatch_result out;
    auto size_slot = out.response.reserve_int32();
    protocol::response_header header;
    header.correlation_id = ctx.correlation_id;
    header.encode(out.response, protocol::response_header_version(ctx.api_key, version));
    resp.encode(out.response, version);
    out.response.patch_int32(size_slot, static_cast<std::int32_t>(out.response.size() - 4));
    return out;
}

inline dispatch_result close_connection(std::string reason) {
    dispatch_result out;
    out.what = dispatch_result::kind::close_connection;
    out.reason = std::move(reason);
    return out;
}

template <typename H>
awaitable<dispatch_result> invoke(request_context& ctx, bytes::reader& body) {
    typename H::request req;
    req.decode(body, ctx.api_version);
    if (!body.ok()) {
        co_return close_connection(std::string("malformed ") + std::string(protocol::find_api(ctx.api_key)->name) +
                                   " v" + std::to_string(ctx.api_version) + " request: " +
                                   std::string(bytes::to_string(body.error())));
    }
    auto resp = co_await H::handle(ctx, std::move(req));
    if constexpr (std::is_same_v<decltype(resp), std::optional<typename H::response>>) {
        if (!resp) {
            dispatch_result none;
            none.what = dispatch_result::kind::no_response;
            co_return none;
        }
        co_return encode_response(ctx, *resp, ctx.api_version);
    } else {
        co_return encode_response(ctx, resp, ctx.api_version);
    }
}

// One entry per API key that has a handler.
struct handler_entry {
    std::int16_t api_key = -1;
    std::int16_t min_version = 0;
    std::int16_t max_version = -1;
    // What ApiVersions advertises as the minimum: normally min_version. Produce advertises 0 although
    // it serves only 3+ (KAFKA-18659: librdkafka's compressed produce needs a range starting at 0);
    // requests below min_version are refused like any unserved version.
    std::int16_t advertised_min_version = 0;
    // Listed in ApiVersions. The broker-to-broker Raft APIs are served but not listed (handlers/raft.h).
    bool advertised = true;
    awaitable<dispatch_result> (*invoke)(request_context&, bytes::reader&) = nullptr;
};

// The handler for `api_key`, or null when we do not serve that API.
const handler_entry* find_handler(std::int16_t api_key);

// Every served API in ascending key order: exactly what ApiVersions advertises.
std::span<const handler_entry> served_apis();

}  // namespace tributary::kafka
