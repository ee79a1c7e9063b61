#include "kafka/dispatch.h"

#include "kafka/handlers/api_versions.h"
#include "kafka/handlers/handler.h"
#include "protocol/api_keys.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/request_header.h"

namespace tributary::kafka {
namespace {
constexpr std::int16_t api_versions_key = protocol::api_versions_request::api_key;
}  // namespace

awaitable<dispatch_result> dispatch(request_context ctx, std::shared_ptr<bytes::uninit_buffer> frame) {
    ctx.frame = frame;
    bytes::reader r(*frame);
    // The api key and version lead every header version; they decide how the rest is read.
    ctx.api_key = r.read_int16();
    ctx.api_version = r.read_int16();
    if (!r.ok()) co_return close_connection("frame shorter than a request header");

    const auto* api = protocol::find_api(ctx.api_key);
    if (api == nullptr || !api->supported())
        co_return close_connection("unknown api key " + std::to_string(ctx.api_key));

    // A version beyond what the schema knows is read with the newest header layout: clients that probe
    // with a newer ApiVersions still send the flexible (v2) header.
    std::int16_t header_version = protocol::request_header_version(
        ctx.api_key, std::min<std::int16_t>(ctx.api_version, api->max_version));
    bytes::reader header_reader(*frame);
    protocol::request_header header;
    header.decode(header_reader, header_version);
    if (!header_reader.ok()) co_return close_connection("malformed request header");
    ctx.correlation_id = header.correlation_id;
    ctx.client_id = std::move(header.client_id);

    const auto* handler = find_handler(ctx.api_key);
    bool served = handler != nullptr && ctx.api_version >= handler->min_version &&
                  ctx.api_version <= handler->max_version;
    if (!served) {
        // KIP-511: an ApiVersions request at a version we do not serve gets a v0 response with
        // UNSUPPORTED_VERSION and our version list. Any other API/version we do not advertise is a
        // protocol violation; Kafka closes the connection, and so do we.
        if (ctx.api_key == api_versions_key) co_return unsupported_api_versions(ctx);
        co_return close_connection("unsupported " + std::string(api->name) + " version " +
                                   std::to_string(ctx.api_version));
    }

    bytes::reader body(header_reader.rest());
    co_return co_await handler->invoke(ctx, body);
}

}  // namespace tributary::kafka
