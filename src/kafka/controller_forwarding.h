// Metadata changes on a cluster's broker that does not lead the metadata log: the handler forwards the
// client's request, decoded, to the active controller and answers with its response, as Kafka's brokers
// forward them (KIP-590). A request forwarded once is not forwarded again: the controller that moved on
// answers NOT_CONTROLLER and the client retries.
#pragma once

#include <optional>

#include "cluster/controller.h"
#include "kafka/request_context.h"

namespace tributary::kafka {

// The controller's response when this broker forwards the request; nullopt when the handler does the
// work itself (a single broker, the active controller, a forwarded request, or the controller could
// not be reached: the local path then answers NOT_CONTROLLER).
template <typename Response, typename Request>
awaitable<std::optional<Response>> forward_to_controller(const request_context& ctx, const Request& request) {
    auto* controller = ctx.broker->metadata->controller;
    if (controller == nullptr || !controller->forwards() || ctx.client_id == cluster::forwarding_client_id)
        co_return std::nullopt;
    auto forwarding = controller->forward<Response>(request, ctx.api_version);
    co_return co_await std::move(forwarding);
}

}  // namespace tributary::kafka
