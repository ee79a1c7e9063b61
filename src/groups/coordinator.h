// The group coordinator as handlers see it: finds the shard that coordinates a group and runs work
// there.
//
//   partition = partition_for_group(group id, partitions of __consumer_offsets)   (coordinator_key.h)
//   shard     = cluster::owner_shard("__consumer_offsets", partition)
//
// That shard's group_manager holds the group. Requests arriving on another shard are forwarded with
// shard_set::invoke_on and answered back on the caller's shard, so group state needs no lock.
//
// __consumer_offsets is created by the controller on the first FindCoordinator for a group
// (offsets.topic.num.partitions, replication factor 1, cleanup.policy=compact); until then every group
// request answers COORDINATOR_NOT_AVAILABLE, as Kafka does.
//
// Threading: members are constant after construction; methods may be called on any shard.
#pragma once

#include <string_view>
#include <vector>

#include "cluster/controller.h"
#include "cluster/metadata_cache.h"
#include "groups/group_manager.h"
#include "net/shard_set.h"

namespace tributary::groups {

struct group_route {
    model::error_code error = model::error_code::none;  // COORDINATOR_NOT_AVAILABLE: no offsets topic yet
    std::int32_t partition = -1;
    unsigned shard = 0;
    // The broker coordinating the group: the leader of its __consumer_offsets partition (-1 while a
    // replicated one elects).
    model::node_id node{-1};
};

class coordinator {
public:
    // REQUIRES: managers[i] lives on shard i; everything outlives the coordinator.
    coordinator(net::shard_set& shards, const cluster::metadata_cache& metadata, std::vector<group_manager*> managers)
        : shards_(shards), metadata_(metadata), managers_(std::move(managers)) {}

    // Where group `group_id` lives, as seen from `shard`'s topic table. REQUIRES: runs on `shard`.
    group_route locate(std::string_view group_id, unsigned shard) const;

    // Creates __consumer_offsets if it does not exist (through the controller) and starts loading the
    // partition of `group_id` on its shard. Returns the route, or COORDINATOR_NOT_AVAILABLE when the
    // topic could not be created. REQUIRES: runs on `shard`.
    awaitable<group_route> ensure_coordinator(std::string group_id, unsigned shard);

    // Runs fn(group_manager&, partition) -> awaitable<R> on the group's coordinator shard and returns R on
    // the caller's shard. REQUIRES: route.error == none; fn is copyable, owns its captures.
    template <typename F>
    auto on_coordinator(const group_route& route, F fn) {
        group_manager* m = managers_[route.shard];
        const std::int32_t partition = route.partition;
        auto task = [m, partition, fn = std::move(fn)]() mutable { return fn(*m, partition); };
        return shards_.invoke_on(route.shard, std::move(task));
    }

    // Runs fn(group_manager&) -> awaitable<R> on every shard and returns the results by shard
    // (ListGroups, DescribeGroups of many groups).
    template <typename R, typename F>
    awaitable<std::vector<R>> on_every_shard(F fn) {
        std::vector<R> out;
        out.reserve(managers_.size());
        for (unsigned s = 0; s < managers_.size(); ++s) {
            group_manager* m = managers_[s];
            auto task = [m, fn]() mutable { return fn(*m); };
            auto call = shards_.invoke_on(s, std::move(task));
            out.push_back(co_await std::move(call));
        }
        co_return out;
    }

    unsigned shard_count() const { return static_cast<unsigned>(managers_.size()); }

private:
    net::shard_set& shards_;
    const cluster::metadata_cache& metadata_;
    std::vector<group_manager*> managers_;
};

}  // namespace tributary::groups
