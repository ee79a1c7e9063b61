// What a broker-to-broker call reports when it yields no response (rpc/client.h).
#pragma once

#include <cstdint>
#include <string_view>

namespace tributary::rpc {

// Whether the peer saw the request matters to a caller deciding to retry (a Produce or a transaction
// marker may not be idempotent), so each error says it.
enum class rpc_error : std::uint8_t {
    none = 0,
    // The client could not connect (refused, unreachable, connect timeout, ApiVersions failed), or it is
    // still backing off after such a failure and the call's timeout ends first. Nothing was sent.
    connect_failed,
    // The connection broke while the request was queued or in flight. The peer may or may not have
    // received and processed it.
    disconnected,
    // No response within the call's timeout. The connection was closed (client.h says why); the peer
    // may or may not have processed the request.
    timed_out,
    // The response did not decode as the expected message. The connection was closed.
    malformed_response,
    // close() was called. Nothing more is sent.
    closed,
};

std::string_view to_string(rpc_error e);

}  // namespace tributary::rpc
