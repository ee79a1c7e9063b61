#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/alter_configs_request.h"
#include "protocol/messages/alter_configs_response.h"

namespace tributary::kafka {

// AlterConfigs (v0-2, deprecated by Kafka but still served): a TOPIC's or BROKER's configs become
// exactly the ones given (every other override is deleted). The checks of Kafka's ConfigAdminManager
// first (a resource named twice, duplicate keys, null values, an unknown resource type: INVALID_REQUEST),
// then the controller's (config_commands.h); BROKER_LOGGER is refused as in Kafka.
struct alter_configs_handler {
    using request = protocol::alter_configs_request;
    using response = protocol::alter_configs_response;
    static constexpr std::int16_t min_version = 0;
    static constexpr std::int16_t max_version = 2;
    static awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace tributary::kafka
