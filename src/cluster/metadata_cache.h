// What this broker knows about the cluster: its identity, the brokers and their endpoints, and who the
// controller is. For now the cluster is this one broker and the view is fixed at start-up; when
// replication arrives, the controller log feeds each shard's copy of this cache.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/fundamental.h"

namespace tributary::cluster {

struct broker_endpoint {
    model::node_id id;
    std::string host;
    std::int32_t port = 0;
    std::optional<std::string> rack;
};

struct metadata_cache {
    std::string cluster_id;
    model::node_id controller_id;
    std::vector<broker_endpoint> brokers;

    const broker_endpoint* find_broker(model::node_id id) const {
        for (const auto& b : brokers)
            if (b.id == id) return &b;
        return nullptr;
    }
};

}  // namespace tributary::cluster
