// Everything a handler knows about the request it serves, besides the decoded body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <memory>
#include <vector>

#include "bytes/bytes.h"

#include "cluster/metadata_cache.h"

namespace tributary::net {
class shard_set;
}
namespace tributary::cluster {
class partition_manager;
class raft_transport;
}
namespace tributary::kafka {
class fetch_session_cache;
}
namespace tributary::groups {
class coordinator;
}

namespace tributary::kafka {

// The services of this broker that handlers use. Owned by the server, outlives every request.
// Members are read-only after start-up, so every shard may read them without synchronisation.
struct broker_services {
    std::string data_dir;  // log.dirs (the broker's one data directory), as configured
    const cluster::metadata_cache* metadata = nullptr;
    model::node_id node_id;
    net::shard_set* shards = nullptr;
    // Indexed by shard; partition_managers[i] may only be used on shard i (see shard_set::invoke_on).
    std::vector<cluster::partition_manager*> partition_managers;
    std::vector<kafka::fetch_session_cache*> fetch_sessions;  // by shard, likewise
    // By shard, likewise: where the Raft requests of other brokers go (cluster/raft_transport.h). Empty
    // when this broker replicates nothing.
    std::vector<cluster::raft_transport*> raft_transports;
    // The group coordinator (groups/coordinator.h); its methods may be called on any shard.
    groups::coordinator* groups = nullptr;
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
    // The request's frame buffer (header + body); decoded records point into it. Handlers that hand
    // those views to work that may outlive the response (an acks=all append that timed out) keep this.
    std::shared_ptr<bytes::uninit_buffer> frame;
    // The connection can send file regions of a response with sendfile (a plaintext socket): Fetch then
    // serves records straight from the segment files (bytes::file_region) instead of reading them.
    bool zero_copy = false;
};

}  // namespace tributary::kafka
