// Running per-partition work where the partitions live.
//
// A request names partitions of many shards. on_owner_shards() groups the items by owner shard, runs
// `fn(partition, item)` for each item on its owner shard (all items of a shard concurrently, all shards
// concurrently), and returns the results in item order on the caller's shard. by_owner_shard() is the
// same with one call per shard for all its items (the Raft handlers hand them to the shard's transport
// together).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <memory>
#include <vector>

#include "cluster/partition_manager.h"
#include "kafka/request_context.h"
#include "model/topic_partition.h"
#include "net/shard_set.h"
#include "net/when_all.h"

namespace tributary::kafka {

// The lower level: groups `items` by the shard that owns partition `where(item)` (a pair of topic name
// and partition index), runs `per_shard(shard, items)` -> awaitable<std::vector<Result>> (one result
// per item, in order) on each of those shards, all concurrently, and returns the results in item order.
// REQUIRES: per_shard is copyable and callable on any shard; Result is default-constructible.
template <typename Result, typename Item, typename Where, typename F>
awaitable<std::vector<Result>> by_owner_shard(const request_context& ctx, std::vector<Item> items, Where where,
                                              F per_shard) {
    const broker_services* broker = ctx.broker;
    const unsigned shard_count = broker->shards->size();
    std::map<unsigned, std::vector<std::size_t>> by_shard;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& [topic, partition] = where(items[i]);
        by_shard[cluster::owner_shard(topic, partition, shard_count)].push_back(i);
    }

    std::vector<awaitable<std::vector<Result>>> calls;
    for (const auto& [shard, indexes] : by_shard) {
        std::vector<Item> mine;
        mine.reserve(indexes.size());
        for (auto i : indexes) mine.push_back(std::move(items[i]));
        calls.push_back(broker->shards->invoke_on(
            shard, [shard, per_shard, mine = std::move(mine)]() mutable { return per_shard(shard, std::move(mine)); }));
    }
    auto per_shard_results = co_await net::when_all(std::move(calls));

    std::vector<Result> results(items.size());
    std::size_t s = 0;
    for (const auto& [shard, indexes] : by_shard) {
        for (std::size_t j = 0; j < indexes.size(); ++j) results[indexes[j]] = std::move(per_shard_results[s][j]);
        ++s;
    }
    co_return results;
}

// REQUIRES: Item has a member `model::topic_partition tp`; fn is copyable and callable on any shard as
// fn(std::shared_ptr<cluster::partition> p, Item item) -> awaitable<Result>, where p is null when the
// owner shard has no open log for tp. Result is default-constructible.
template <typename Result, typename Item, typename F>
awaitable<std::vector<Result>> on_owner_shards(const request_context& ctx, std::vector<Item> items, F fn) {
    const broker_services* broker = ctx.broker;
    auto where = [](const Item& item) { return std::pair<const std::string&, std::int32_t>(item.tp.topic, item.tp.partition); };
    auto per_shard = [broker, fn](unsigned shard, std::vector<Item> mine) -> awaitable<std::vector<Result>> {
        auto& pm = *broker->partition_managers[shard];
        std::vector<awaitable<Result>> tasks;
        tasks.reserve(mine.size());
        for (auto& item : mine) {
            auto p = pm.get(item.tp);
            tasks.push_back(fn(std::move(p), std::move(item)));
        }
        co_return co_await net::when_all(std::move(tasks));
    };
    co_return co_await by_owner_shard<Result>(ctx, std::move(items), where, per_shard);
}

}  // namespace tributary::kafka
