#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/incremental_alter_configs_request.h"
#include "protocol/messages/incremental_alter_configs_response.h"

namespace tributary::kafka {

// IncrementalAlterConfigs (v0-1, KIP-339): SET, DELETE, APPEND and SUBTRACT on TOPIC and BROKER
// resources, persisted by the controller (dynamic broker configs too, for "" or this node's id).
// BROKER_LOGGER (KIP-412) changes the log level of "root" on this broker only, not persisted, as in
// Kafka. Kafka's ConfigAdminManager checks come first: a resource named twice, duplicate keys, null
// values for operations other than DELETE, unknown operations or resource types (INVALID_REQUEST).
struct incremental_alter_configs_handler {
    using request = protocol::incremental_alter_configs_request;
    using response = protocol::incremental_alter_configs_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 1;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
