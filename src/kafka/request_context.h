// Everything a handler knows about the request it serves, besides the decoded body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cluster/metadata_cache.h"
#include "server/config.h"

namespace tributary::kafka {

// The services of this broker that handlers use. Owned by the server, outlives every request.
// Members are read-only after start-up, so every shard may read them without synchronisation.
struct broker_services {
    const server::broker_config* config = nullptr;
    const cluster::metadata_cache* metadata = nullptr;
    model::node_id node_id;
};

struct request_context {
    std::int16_t api_key = 0;
    std::int16_t api_version = 0;
    std::int32_t correlation_id = 0;
    std::optional<std::string> client_id;
    // The authenticated principal. Every request has one; without authentication it is anonymous.
    std::string principal = "User:ANONYMOUS";
    std::string client_host;
    std::uint16_t client_port = 0;
    unsigned shard = 0;
    const broker_services* broker = nullptr;
};

}  // namespace tributary::kafka
