#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"

namespace tributary::kafka {

// ApiVersions (KIP-35, KIP-511): the APIs and versions this broker serves, taken from the handler
// registry so that only what is implemented is advertised. A request at a version we do not serve is
// answered by dispatch with a v0 response carrying UNSUPPORTED_VERSION (see unsupported_api_versions).
// v5 (KIP-1242 cluster/node checks) is not served yet.
struct api_versions_handler {
    using request = protocol::api_versions_request;
    using response = protocol::api_versions_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 4;
    static awaitable<response> handle(request_context& ctx, request req);
};

// The response to an ApiVersions request whose version we do not serve: version 0 format, error
// UNSUPPORTED_VERSION, and the full API list so the client can retry with a version we do serve.
dispatch_result unsupported_api_versions(const request_context& ctx);

}  // namespace tributary::kafka
