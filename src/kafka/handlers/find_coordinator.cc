#include "kafka/handlers/find_coordinator.h"

#include "groups/coordinator.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;

constexpr std::int8_t key_type_group = 0;
constexpr std::int8_t key_type_transaction = 1;
constexpr std::int8_t key_type_share = 2;

struct lookup {
    error_code error = error_code::none;
    std::optional<std::string> message;
    model::node_id node{-1};
};

awaitable<lookup> find_one(request_context& ctx, std::int8_t key_type, std::string key) {
    lookup out;
    if (key_type == key_type_transaction) {
        out.error = error_code::invalid_request;
        out.message = "Transactions are not supported yet.";
        co_return out;
    }
    if (key_type == key_type_share) {
        out.error = error_code::invalid_request;
        out.message = "Share groups are not supported yet.";
        co_return out;
    }
    if (key_type != key_type_group) {
        out.error = error_code::invalid_request;
        out.message = "Unknown coordinator key type " + std::to_string(key_type) + ".";
        co_return out;
    }
    auto ensuring = ctx.broker->groups->ensure_coordinator(std::move(key), ctx.shard);
    auto route = co_await std::move(ensuring);
    out.error = route.error;
    out.node = route.node;
    if (out.error == error_code::none && route.node.value() < 0) out.error = error_code::coordinator_not_available;
    co_return out;
}

}  // namespace

awaitable<protocol::find_coordinator_response> find_coordinator_handler::handle(request_context& ctx, request req) {
    const auto& md = *ctx.broker->metadata;
    const cluster::broker_endpoint* self = md.find_broker(ctx.broker->node_id);
    response resp;
    if (ctx.api_version < 4) {
        auto finding = find_one(ctx, req.key_type, req.key);
        auto r = co_await std::move(finding);
        resp.error_code = model::to_int(r.error);
        const cluster::broker_endpoint* where = md.find_broker(r.node);
        if (where == nullptr) where = self;  // a single broker coordinates every group itself
        if (r.error == error_code::none && where != nullptr) {
            resp.error_message.reset();
            resp.node_id = where->id;
            resp.host = where->host;
            resp.port = where->port;
        } else {
            resp.error_message = r.message ? r.message : std::optional<std::string>(std::string(model::error_name(r.error)));
            resp.node_id = model::node_id(-1);
            resp.host = "";
            resp.port = -1;
        }
        co_return resp;
    }
    for (auto& key : req.coordinator_keys) {
        auto finding = find_one(ctx, req.key_type, key);
        auto r = co_await std::move(finding);
        response::coordinator c;
        c.key = key;
        c.error_code = model::to_int(r.error);
        const cluster::broker_endpoint* where = md.find_broker(r.node);
        if (where == nullptr) where = self;  // a single broker coordinates every group itself
        if (r.error == error_code::none && where != nullptr) {
            c.error_message.reset();
            c.node_id = where->id;
            c.host = where->host;
            c.port = where->port;
        } else {
            c.error_message = r.message ? r.message : std::optional<std::string>(std::string(model::error_name(r.error)));
            c.node_id = model::node_id(-1);
            c.host = "";
            c.port = -1;
        }
        resp.coordinators.push_back(std::move(c));
    }
    co_return resp;
}

}  // namespace tributary::kafka
