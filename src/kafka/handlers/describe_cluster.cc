#include "kafka/handlers/describe_cluster.h"

#include "model/error_code.h"

namespace tributary::kafka {
namespace {
// Without an authorizer every cluster operation is allowed: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
// DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE (AclOperation codes as bits).
constexpr std::int32_t all_cluster_operations =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);
constexpr std::int8_t endpoint_type_brokers = 1;
constexpr std::int8_t endpoint_type_controllers = 2;
}  // namespace

awaitable<protocol::describe_cluster_response> describe_cluster_handler::handle(request_context& ctx,
                                                                                request req) {
    const auto& md = *ctx.broker->metadata;
    response resp;
    resp.endpoint_type = req.endpoint_type;
    if (req.endpoint_type == endpoint_type_controllers) {
        resp.error_code = model::to_int(model::error_code::mismatched_endpoint_type);
        resp.error_message = "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER";
        co_return resp;
    }
    if (req.endpoint_type != endpoint_type_brokers) {
        resp.error_code = model::to_int(model::error_code::unsupported_endpoint_type);
        resp.error_message = "Unsupported endpoint type " + std::to_string(req.endpoint_type);
        co_return resp;
    }
    resp.cluster_id = md.cluster_id;
    // During an election a cluster has no controller; Kafka then names a live broker, and a client that
    // sends a change there has it forwarded. -1 would leave librdkafka waiting for its next refresh.
    resp.controller_id = md.controller_id().value() >= 0 ? md.controller_id() : ctx.broker->node_id;
    if (req.include_cluster_authorized_operations) resp.cluster_authorized_operations = all_cluster_operations;
    for (const auto& b : md.brokers) {
        response::describe_cluster_broker out;
        out.broker_id = b.id;
        out.host = b.host;
        out.port = b.port;
        out.rack = b.rack;
        resp.brokers.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
