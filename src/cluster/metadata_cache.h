// What this broker knows about the cluster: its identity, the brokers and their endpoints, who the
// controller is, and each shard's view of the topics.
//
// The identity fields are fixed at start-up and read-only afterwards, so any shard may read them.
// The topics are one immutable topic_table snapshot per shard: slot i is written and read only on
// shard i's event loop. The controller (shard 0) publishes every new snapshot to every shard with
// shard_set::invoke_on and waits for all of them before it answers the request that caused it, so a
// client that created a topic sees it on any connection right after.
//
// A handler reads its shard's snapshot with ctx.broker->metadata->topics(ctx.shard) and keeps the
// shared_ptr for as long as it needs a consistent view (across co_awaits too). Changes go to the
// controller, whose methods may be called from any shard.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/leader_table.h"
#include "cluster/topic_table.h"
#include "model/fundamental.h"

namespace tributary::cluster {

class controller;

struct broker_endpoint {
    model::node_id id;
    std::string host;
    std::int32_t port = 0;
    std::optional<std::string> rack;
};

struct metadata_cache {
    // Constant after start-up.
    std::string cluster_id;
    std::vector<broker_endpoint> brokers;

    // The broker that takes metadata changes (this one, for a single broker; the leader of the
    // metadata log in a cluster, -1 during its election). Any shard may read it.
    model::node_id controller_id() const { return model::node_id(controller_id_.load(std::memory_order_relaxed)); }
    void set_controller_id(model::node_id id) { controller_id_.store(id.value(), std::memory_order_relaxed); }

    // Who leads the replicated partitions this broker hosts. Any shard may use it.
    leader_table leaders;
    // Where metadata changes go (create/delete topics, configs, producer ids). Lives on shard 0; its
    // methods may be called from any shard. Null in tools and tests that do not change metadata.
    cluster::controller* controller = nullptr;

    const broker_endpoint* find_broker(model::node_id id) const {
        for (const auto& b : brokers)
            if (b.id == id) return &b;
        return nullptr;
    }

    // Creates one snapshot slot per shard, each holding `initial`. REQUIRES: called before the shards
    // run, once.
    void init_shards(unsigned count, std::shared_ptr<const topic_table> initial) {
        shards_.assign(count, slot{initial});
    }
    unsigned shard_count() const { return static_cast<unsigned>(shards_.size()); }

    // This shard's snapshot. REQUIRES: runs on `shard`'s event loop; init_shards() was called.
    const std::shared_ptr<const topic_table>& topics(unsigned shard) const { return shards_[shard].topics; }
    // Installs a newer snapshot. REQUIRES: runs on `shard`'s event loop; called by the controller.
    void set_topics(unsigned shard, std::shared_ptr<const topic_table> t) { shards_[shard].topics = std::move(t); }

private:
    // A cache line per shard, so one shard's update does not slow another's reads.
    struct alignas(64) slot {
        std::shared_ptr<const topic_table> topics;
    };
    std::vector<slot> shards_;
    std::atomic<std::int32_t> controller_id_{-1};
};

}  // namespace tributary::cluster
