#include "groups/group_manager.h"

#include <gtest/gtest.h>

#include <future>

#include "cluster/controller.h"
#include "cluster/topic_name.h"
#include "groups/coordinator.h"
#include "groups/coordinator_key.h"
#include "storage/testing/memory_file_system.h"

namespace tributary::groups {
namespace {

using model::error_code;

// A broker's worth of group coordinator: two shards, the controller, a partition manager and a group
// manager per shard, over an in-memory file system. reboot() stops everything cleanly and starts it
// again on the same files, as a broker restart does.
class group_manager_test : public ::testing::Test {
protected:
    group_manager_test() : shards(2), env(disk, fs) {
        shards.start();
        boot();
    }
    ~group_manager_test() override {
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
        layers.static_props = {{"offsets.topic.num.partitions", "4"}};
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
};

TEST_F(group_manager_test, NoOffsetsTopicMeansCoordinatorNotAvailable) {
    auto route = on_shard(0, [this]() -> awaitable<group_route> { co_return coord->locate("g", 0); });
    EXPECT_EQ(route.error, error_code::coordinator_not_available);
}

TEST_F(group_manager_test, FindingACoordinatorCreatesTheInternalCompactedTopic) {
    auto route = ready("g");
    auto t = on_shard(0, [this]() -> awaitable<std::shared_ptr<const cluster::topic_table>> {
        co_return cache->topics(0);
    });
    const auto* topic = t->find(cluster::consumer_offsets_topic);
    ASSERT_NE(topic, nullptr);
    EXPECT_TRUE(topic->internal);
    EXPECT_EQ(topic->partition_count(), 4);
    EXPECT_EQ(topic->overrides.at("cleanup.policy"), "compact");
    EXPECT_EQ(route.partition, partition_for_group("g", 4));
    EXPECT_EQ(route.shard, cluster::owner_shard(cluster::consumer_offsets_topic, route.partition, 2));
}

TEST_F(group_manager_test, SimpleCommitsAreFetchedBackAndSurviveARestart) {
    auto route = ready("g");
    EXPECT_EQ(commit(route, simple_commit("g", "orders", 0, 10)), std::vector<error_code>{error_code::none});
    EXPECT_EQ(commit(route, simple_commit("g", "orders", 0, 12)), std::vector<error_code>{error_code::none});
    EXPECT_EQ(commit(route, simple_commit("g", "orders", 1, 3)), std::vector<error_code>{error_code::none});
    offset_fetch_args all;
    all.group_id = "g";
    auto before = fetch(route, all);
    ASSERT_EQ(before.error, error_code::none);
    ASSERT_EQ(before.offsets.size(), 2u);
    EXPECT_EQ(before.offsets[0].offset, 12);
    EXPECT_EQ(before.offsets[0].metadata, "m");

    reboot();
    route = ready("g");
    auto after = fetch(route, all);
    ASSERT_EQ(after.error, error_code::none);
    ASSERT_EQ(after.offsets.size(), 2u);
    EXPECT_EQ(after.offsets[0].tp, (model::topic_partition{"orders", 0}));
    EXPECT_EQ(after.offsets[0].offset, 12);
    EXPECT_EQ(after.offsets[1].offset, 3);
}

TEST_F(group_manager_test, UnknownPartitionsAndGroupsFetchMinusOne) {
    auto route = ready("nobody");
    offset_fetch_args args;
    args.group_id = "nobody";
    args.partitions = std::vector<model::topic_partition>{{"t", 0}};
    auto r = fetch(route, args);
    ASSERT_EQ(r.offsets.size(), 1u);
    EXPECT_EQ(r.offsets[0].offset, -1);
    EXPECT_EQ(r.offsets[0].error, error_code::none);
}

TEST_F(group_manager_test, CommitsWithAGenerationToAnUnknownGroupAreRefused) {
    auto route = ready("g");
    auto a = simple_commit("g", "t", 0, 1);
    a.generation_or_member_epoch = 3;
    a.member_id = "m";
    // Before OffsetCommit v9 Kafka answers ILLEGAL_GENERATION, from v9 GROUP_ID_NOT_FOUND.
    EXPECT_EQ(commit(route, a), std::vector<error_code>{error_code::illegal_generation});
}

TEST_F(group_manager_test, MetadataLongerThanTheLimitIsRefusedPerPartition) {
    auto route = ready("g");
    auto a = simple_commit("g", "t", 0, 1);
    a.entries[0].metadata = std::string(5000, 'x');
    EXPECT_EQ(commit(route, a), std::vector<error_code>{error_code::offset_metadata_too_large});
}

TEST_F(group_manager_test, DeletedOffsetsStayDeletedAfterARestart) {
    auto route = ready("g");
    ASSERT_EQ(commit(route, simple_commit("g", "t", 0, 1)), std::vector<error_code>{error_code::none});
    ASSERT_EQ(commit(route, simple_commit("g", "t", 1, 2)), std::vector<error_code>{error_code::none});
    auto e = on_shard(route.shard, [this, route]() -> awaitable<error_code> {
        auto* g = gms[route.shard]->find_group("g");
        std::vector<model::topic_partition> tps;
        tps.push_back(model::topic_partition{"t", 0});
        auto deleting = gms[route.shard]->delete_offsets(*g, std::move(tps));
        co_return co_await std::move(deleting);
    });
    EXPECT_EQ(e, error_code::none);
    reboot();
    route = ready("g");
    offset_fetch_args all;
    all.group_id = "g";
    auto r = fetch(route, all);
    ASSERT_EQ(r.offsets.size(), 1u);
    EXPECT_EQ(r.offsets[0].tp.partition, 1);
}

}  // namespace
}  // namespace tributary::groups
