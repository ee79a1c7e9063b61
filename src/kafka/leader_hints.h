// KIP-951: a Produce (v10+) or Fetch (v16+) answered NOT_LEADER_OR_FOLLOWER names the partition's new
// leader, if this broker knows it, and that broker's endpoint, so the client goes there without waiting
// for a metadata refresh. A broker knows the leaders of the replicated partitions it hosts
// (cluster::leader_table).
#pragma once

#include <set>
#include <vector>

#include "cluster/metadata_cache.h"
#include "model/topic_partition.h"

namespace tributary::kafka {

// Collects the endpoints of the leaders named in one response.
template <typename Endpoint>
class leader_hints {
public:
    explicit leader_hints(const cluster::metadata_cache& md) : md_(md) {}

    // The leader of `tp` as (id, epoch) into `out` (a response's LeaderIdAndEpoch) when known; its
    // endpoint is remembered for endpoints().
    template <typename LeaderIdAndEpoch>
    void name_leader(const model::topic_partition& tp, LeaderIdAndEpoch& out) {
        const auto known = md_.leaders.find(tp);
        if (!known || !known->leader) return;
        const auto* b = md_.find_broker(*known->leader);
        if (b == nullptr) return;
        out.leader_id = *known->leader;
        out.leader_epoch = known->epoch.value();
        if (!seen_.insert(b->id).second) return;
        Endpoint e;
        e.node_id = b->id;
        e.host = b->host;
        e.port = b->port;
        e.rack = b->rack;
        endpoints_.push_back(std::move(e));
    }

    std::vector<Endpoint> endpoints() && { return std::move(endpoints_); }

private:
    const cluster::metadata_cache& md_;
    std::set<model::node_id> seen_;
    std::vector<Endpoint> endpoints_;
};

}  // namespace tributary::kafka
