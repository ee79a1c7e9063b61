#include "kafka/handlers/api_versions.h"

#include "model/error_code.h"

namespace tributary::kafka {
namespace {

void fill_api_keys(protocol::api_versions_response& resp) {
    for (const auto& h : served_apis()) {
        if (!h.advertised) continue;
        protocol::api_versions_response::api_version v;
        v.api_key = h.api_key;
        v.min_version = h.advertised_min_version;
        v.max_version = h.max_version;
        resp.api_keys.push_back(std::move(v));
    }
}

// KIP-511: client software name and version must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?
bool valid_software_field(const std::string& s) {
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
    for (char c : s)
        if (!alnum(c) && c != '-' && c != '.') return false;
    return true;
}

}  // namespace

awaitable<protocol::api_versions_response> api_versions_handler::handle(request_context& ctx, request req) {
    response resp;
    if (ctx.api_version >= 3 &&
        (!valid_software_field(req.client_software_name) || !valid_software_field(req.client_software_version))) {
        resp.error_code = model::to_int(model::error_code::invalid_request);
        co_return resp;
    }
    fill_api_keys(resp);
    co_return resp;
}

dispatch_result unsupported_api_versions(const request_context& ctx) {
    protocol::api_versions_response resp;
    resp.error_code = model::to_int(model::error_code::unsupported_version);
    fill_api_keys(resp);
    return encode_response(ctx, resp, 0);
}

}  // namespace tributary::kafka
