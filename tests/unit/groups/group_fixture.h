// The test fixture of the group coordinator tests: a broker's worth of group coordinator over real
// shards and an in-memory file system.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "cluster/controller.h"
#include "cluster/topic_name.h"
#include "groups/classic_protocol.h"
#include "groups/coordinator.h"
#include "groups/coordinator_key.h"
#include "groups/group_manager.h"
#include "storage/testing/memory_file_system.h"

namespace tributary::groups::test {

using model::error_code;

// A broker's worth of group coordinator: two shards, the controller, a partition manager and a group
// manager per shard, over an in-memory file system. reboot() stops everything cleanly and starts it
// again on the same files, as a broker restart does.
class group_fixture : public ::testing::Test {
protected:
    explicit group_fixture(cluster::config_map props = {{"offsets.topic.num.partitions", "4"}})
        : shards(2), env(disk, fs), props_(std::move(props)) {
        shards.start();
        boot();
    }
    ~group_fixture() override {
        halt();
        shards.stop();
        shards.join();
    }

    template <typename F>
    auto on_shard(unsigned shard, F fn) {
        return asio::co_spawn(shards.context(shard), std::move(fn), asio::use_future).get();
    }

    void boot() {
        cluster::broker_config_layers layers;
        layers.node_id = 1;
        layers.static_props = props_;
        cache = std::make_unique<cluster::metadata_cache>();
        cache->init_shards(shards.size(), cluster::topic_table::empty(layers));
        ctl = std::make_unique<cluster::controller>(shards, *cache, env, "/data", layers);
        cache->controller = ctl.get();
        for (unsigned i = 0; i < shards.size(); ++i)
            pms.push_back(std::make_unique<cluster::partition_manager>(i, shards.size(), shards.executor(i), env, "/data"));
        ctl->set_reconciler([this](unsigned shard, std::shared_ptr<const cluster::topic_table> t) {
            return pms[shard]->reconcile(std::move(t));
        });
        on_shard(0, [this] { return ctl->start(); });
        std::vector<group_manager*> raw;
        for (unsigned i = 0; i < shards.size(); ++i) {
            gms.push_back(std::make_unique<group_manager>(i, *pms[i], *cache, shards.executor(i)));
            raw.push_back(gms.back().get());
        }
        coord = std::make_unique<coordinator>(shards, *cache, raw);
        for (unsigned i = 0; i < shards.size(); ++i)
            on_shard(i, [this, i]() -> awaitable<void> {
                gms[i]->start();
                co_return;
            });
    }

    void halt() {
        if (!ctl) return;
        for (unsigned i = 0; i < shards.size(); ++i) on_shard(i, [this, i] { return gms[i]->stop(); });
        on_shard(0, [this] { return ctl->stop(); });
        for (unsigned i = 0; i < shards.size(); ++i) on_shard(i, [this, i] { return pms[i]->stop(); });
        coord.reset();
        gms.clear();
        pms.clear();
        ctl.reset();
    }

    void reboot() {
        halt();
        boot();
    }
    void reboot(cluster::config_map props) {
        props_ = std::move(props);
        reboot();
    }

    // Finds the coordinator (creating __consumer_offsets) and waits until the group's partition is loaded.
    group_route ready(const std::string& group) {
        auto route = on_shard(1, [this, group] { return coord->ensure_coordinator(group, 1); });
        EXPECT_EQ(route.error, error_code::none);
        for (int i = 0; i < 500; ++i) {
            auto status = on_shard(route.shard, [this, route]() -> awaitable<error_code> {
                co_return gms[route.shard]->partition_status(route.partition);
            });
            if (status == error_code::none) return route;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ADD_FAILURE() << "partition " << route.partition << " never loaded";
        return route;
    }

    std::vector<error_code> commit(const group_route& route, offset_commit_args args) {
        args.partition = route.partition;
        args.api_version = 8;
        return on_shard(route.shard, [this, route, args]() { return gms[route.shard]->commit_offsets(args); });
    }

    offset_fetch_result fetch(const group_route& route, offset_fetch_args args) {
        args.partition = route.partition;
        return on_shard(route.shard, [this, route, args]() -> awaitable<offset_fetch_result> {
            co_return gms[route.shard]->fetch_offsets(args);
        });
    }

    static offset_commit_args simple_commit(std::string group, std::string topic, std::int32_t partition,
                                            std::int64_t offset) {
        offset_commit_args a;
        a.group_id = std::move(group);
        offset_commit_args::entry e;
        e.tp = model::topic_partition{std::move(topic), partition};
        e.offset = offset;
        e.metadata = "m";
        a.entries.push_back(e);
        return a;
    }

    net::shard_set shards;
    storage::testing::memory_file_system fs;
    storage::thread_disk_executor disk{"test-disk"};
    storage::log_env env;
    std::unique_ptr<cluster::metadata_cache> cache;
    std::unique_ptr<cluster::controller> ctl;
    std::vector<std::unique_ptr<cluster::partition_manager>> pms;
    std::vector<std::unique_ptr<group_manager>> gms;
    std::unique_ptr<coordinator> coord;
    cluster::config_map props_;
};

}  // namespace tributary::groups::test
