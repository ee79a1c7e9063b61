// Running per-partition work where the partitions live.
//
// A request names partitions of many shards. on_owner_shards() groups the items by owner shard, runs
// `fn(partition, item)` for each item on its owner shard (all items of a shard concurrently, all shards
// concurrently), and returns the results in item order on the caller's shard.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "cluster/partition_manager.h"
#include "kafka/request_context.h"
#include "model/topic_partition.h"
#include "net/shard_set.h"
#include "net/when_all.h"

namespace tributary::kafka {

// REQUIRES: Item has a member `model::topic_partition tp`; fn is copyable and callable on any shard as
// fn(std::shared_ptr<cluster::partition> p, Item item) -> awaitable<Result>, where p is null when the
// owner shard has no open log for tp. Result is default-constructible.
template <typename Result, typename Item, typename F>
awaitable<std::vector<Result>> on_owner_shards(const request_context& ctx, std::vector<Item> items, F fn) {
    const broker_services* broker = ctx.broker;
    const unsigned shard_count = broker->shards->size();
    std::map<unsigned, std::vector<std::size_t>> by_shard;
    for (std::size_t i = 0; i < items.size(); ++i)
        by_shard[cluster::owner_shard(items[i].tp.topic, items[i].tp.partition, shard_count)].push_back(i);

    std::vector<unsigned> shards;
    std::vector<awaitable<std::vector<Result>>> calls;
    for (const auto& [shard, indexes] : by_shard) {
        std::vector<Item> mine;
        mine.reserve(indexes.size());
        for (auto i : indexes) mine.push_back(items[i]);
        shards.push_back(shard);
        auto call = [broker, shard, mine = std::move(mine), fn]() mutable -> awaitable<std::vector<Result>> {
            auto& pm = *broker->partition_managers[shard];
            std::vector<awaitable<Result>> tasks;
            tasks.reserve(mine.size());
            for (auto& item : mine) {
                auto p = pm.get(item.tp);
                tasks.push_back(fn(std::move(p), std::move(item)));
            }
            co_return co_await net::when_all(std::move(tasks));
        };
        calls.push_back(broker->shards->invoke_on(shard, std::move(call)));
    }
    auto per_shard = co_await net::when_all(std::move(calls));

    std::vector<Result> results(items.size());
    for (std::size_t s = 0; s < shards.size(); ++s) {
        const auto& indexes = by_shard[shards[s]];
        for (std::size_t j = 0; j < indexes.size(); ++j) results[indexes[j]] = std::move(per_shard[s][j]);
    }
    co_return results;
}

}  // namespace tributary::kafka
