#include "cluster/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>

#include "protocol/record_batch_builder.h"
#include "storage/testing/memory_file_system.h"

namespace tributary::cluster {
namespace {

using model::error_code;

// A broker's worth of controller around a real shard set (two event loops) and a real disk thread,
// over an in-memory file system that can crash.
class controller_test : public ::testing::Test {
protected:
    controller_test() : shards(2), env(disk, fs) {
        shards.start();
        data_dir = "/data";
    }
    ~controller_test() override {
        if (ctl) stop();
        shards.stop();
        shards.join();
    }

    template <typename F>
    auto on_shard(unsigned shard, F fn) {
        return asio::co_spawn(shards.context(shard), std::move(fn), asio::use_future).get();
    }

    void boot(config_map static_props = {}) {
        broker_config_layers layers;
        layers.node_id = 1;
        layers.static_props = std::move(static_props);
        cache = std::make_unique<metadata_cache>();
        cache->init_shards(shards.size(), topic_table::empty(layers));
        ctl = std::make_unique<controller>(shards, *cache, env, data_dir, layers);
        cache->controller = ctl.get();
        ctl->set_reconciler([this](unsigned shard, std::shared_ptr<const topic_table> t) -> awaitable<void> {
            std::lock_guard lock(mu);
            reconciled.emplace_back(shard, t->version());
            co_return;
        });
        on_shard(0, [this] { return ctl->start(); });
    }
    void stop() {
        on_shard(0, [this] { return ctl->stop(); });
        ctl.reset();
    }
    void crash_and_reboot() {
        fs.crash();
        on_shard(0, [this] { return ctl->abandon(); });
        ctl.reset();
        boot();
    }

    std::shared_ptr<const topic_table> table_on(unsigned shard) {
        return on_shard(shard, [this, shard]() -> awaitable<std::shared_ptr<const topic_table>> {
            co_return cache->topics(shard);
        });
    }

    std::vector<create_topic_result> create(std::vector<topic_spec> specs, unsigned from_shard = 1,
                                            bool validate_only = false) {
        return on_shard(from_shard, [this, specs = std::move(specs), validate_only]() mutable {
            return ctl->create_topics(std::move(specs), validate_only);
        });
    }

    static topic_spec spec(std::string name, std::int32_t partitions, std::vector<std::pair<std::string, std::optional<std::string>>> configs = {}) {
        topic_spec s;
        s.name = std::move(name);
        s.num_partitions = partitions;
        s.configs = std::move(configs);
        return s;
    }

    net::shard_set shards;
    storage::testing::memory_file_system fs;
    storage::thread_disk_executor disk{"test-disk"};
    storage::log_env env;
    std::filesystem::path data_dir;
    std::unique_ptr<metadata_cache> cache;
    std::unique_ptr<controller> ctl;
    std::mutex mu;
    std::vector<std::pair<unsigned, std::int64_t>> reconciled;  // guarded by mu
};

TEST_F(controller_test, StartPublishesTheTableToEveryShardAndReconcilesThem) {
    boot();
    for (unsigned s = 0; s < shards.size(); ++s) EXPECT_EQ(table_on(s)->size(), 0u);
    std::lock_guard lock(mu);
    ASSERT_EQ(reconciled.size(), 2u);
    EXPECT_GE(reconciled[0].second, 1);  // the format record of a new log
}

TEST_F(controller_test, ACreatedTopicIsOnEveryShardBeforeTheAnswer) {
    boot();
    auto results = create({spec("orders", 3)});
    ASSERT_EQ(results.size(), 1u);
    ASSERT_TRUE(results[0].error.ok()) << results[0].error.message;
    for (unsigned s = 0; s < shards.size(); ++s) {
        auto t = table_on(s);
        ASSERT_NE(t->find("orders"), nullptr) << "shard " << s;
        EXPECT_EQ(t->find("orders")->id, results[0].id);
        EXPECT_EQ(t->find("orders")->partition_count(), 3);
    }
    std::lock_guard lock(mu);
    EXPECT_EQ(reconciled.size(), 4u);  // start + the creation, on both shards
}

TEST_F(controller_test, ValidateOnlyAnswersLikeACreationAndWritesNothing) {
    boot();
    const auto before = fs.write_count();
    auto results = create({spec("orders", 2)}, 1, true);
    ASSERT_TRUE(results[0].error.ok());
    EXPECT_EQ(results[0].num_partitions, 2);
    EXPECT_EQ(fs.write_count(), before);
    EXPECT_EQ(table_on(1)->find("orders"), nullptr);
}

TEST_F(controller_test, ARestartRebuildsTheSameTable) {
    boot({{"num.partitions", "2"}});
    create({spec("a", -1, {{"retention.ms", "1000"}}), spec("b", 4), spec("c", 1)});
    auto inc = on_shard(1, [this] {
        std::vector<incremental_config_change> changes{
            {{config_resource_type::topic, "b"}, {{"cleanup.policy", config_op::set, "compact"}}},
            {{config_resource_type::broker, ""}, {{"log.retention.bytes", config_op::set, "123456789"}}},
            {{config_resource_type::broker, "1"}, {{"log.segment.bytes", config_op::set, "2097152"}}}};
        return ctl->incremental_alter_configs(std::move(changes), false);
    });
    for (const auto& e : inc) EXPECT_TRUE(e.ok()) << e.message;
    auto grown = on_shard(0, [this] { return ctl->create_partitions({{"c", 3, std::nullopt}}, false); });
    EXPECT_TRUE(grown[0].ok());
    auto deleted = on_shard(1, [this] { return ctl->delete_topics({{"a", {}}}); });
    EXPECT_TRUE(deleted[0].error.ok());
    auto before = table_on(0);

    stop();
    boot({{"num.partitions", "2"}});
    auto after = table_on(1);
    ASSERT_EQ(after->size(), before->size());
    EXPECT_EQ(after->find("a"), nullptr);
    for (const auto& [name, t] : before->topics()) {
        const topic_metadata* r = after->find(name);
        ASSERT_NE(r, nullptr) << name;
        EXPECT_EQ(r->id, t->id);
        EXPECT_EQ(r->partitions, t->partitions);
        EXPECT_EQ(r->overrides, t->overrides);
        EXPECT_EQ(r->log_config.segment_bytes, 2097152);
        // "b" is compact-only: no size retention, whatever the broker default says.
        EXPECT_EQ(r->log_config.retention_bytes, name == "b" ? -1 : 123456789);
    }
    EXPECT_EQ(after->broker_configs(), before->broker_configs());
    EXPECT_EQ(after->version(), before->version());
}

TEST_F(controller_test, AnAnsweredChangeSurvivesACrash) {
    boot();
    auto results = create({spec("durable", 2)});
    ASSERT_TRUE(results[0].error.ok());
    crash_and_reboot();
    auto t = table_on(0);
    ASSERT_NE(t->find("durable"), nullptr);
    EXPECT_EQ(t->find("durable")->id, results[0].id);
}

TEST_F(controller_test, ProducerIdsNeverRepeatAcrossRestarts) {
    boot();
    std::set<std::int64_t> seen;
    for (int i = 0; i < 5; ++i) {
        auto a = on_shard(i % 2, [this] { return ctl->allocate_producer_id(); });
        ASSERT_EQ(a.error, error_code::none);
        EXPECT_TRUE(seen.insert(a.id.value()).second);
    }
    EXPECT_EQ(*seen.begin(), 0);
    crash_and_reboot();
    auto a = on_shard(1, [this] { return ctl->allocate_producer_id(); });
    ASSERT_EQ(a.error, error_code::none);
    EXPECT_EQ(a.id.value(), producer_id_block_size);  // the next block: the rest of the old one is skipped
}

TEST_F(controller_test, ConcurrentCreatesOfOneNameCreateItOnce) {
    boot();
    std::vector<std::future<std::vector<create_topic_result>>> futures;
    for (int i = 0; i < 8; ++i) {
        futures.push_back(asio::co_spawn(shards.context(i % 2), ctl->create_topics({spec("race", 1)}, false),
                                         asio::use_future));
    }
    int created = 0;
    for (auto& f : futures) {
        auto r = f.get();
        if (r[0].error.ok())
            ++created;
        else
            EXPECT_EQ(r[0].error.code, error_code::topic_already_exists);
    }
    EXPECT_EQ(created, 1);
}

TEST_F(controller_test, AutoCreationUsesTheBrokerDefaultsAndKeepsExistingTopics) {
    boot({{"num.partitions", "3"}});
    create({spec("exists", 1)});
    auto r = on_shard(1, [this] { return ctl->auto_create_topics({"exists", "fresh", "fresh", "__consumer_offsets"}); });
    ASSERT_EQ(r.size(), 4u);
    for (const auto& x : r) EXPECT_TRUE(x.error.ok()) << x.name << ": " << x.error.message;
    EXPECT_EQ(r[0].num_partitions, 1);
    EXPECT_EQ(r[1].num_partitions, 3);
    EXPECT_EQ(r[3].num_partitions, 50);
    auto t = table_on(0);
    EXPECT_EQ(t->find("fresh")->partition_count(), 3);
    EXPECT_TRUE(t->find("__consumer_offsets")->internal);
}

TEST_F(controller_test, AfterStopChangesAreRefused) {
    boot();
    on_shard(0, [this] { return ctl->stop(); });
    auto r = create({spec("late", 1)});
    EXPECT_EQ(r[0].error.code, error_code::not_controller);
    auto a = on_shard(1, [this] { return ctl->allocate_producer_id(); });
    EXPECT_EQ(a.error, error_code::not_controller);
    ctl.reset();
}

TEST_F(controller_test, ALogFromANewerVersionIsRefused) {
    {
        auto log = on_shard(0, [this]() -> awaitable<std::unique_ptr<metadata_log>> {
            auto l = co_await metadata_log::open(env, data_dir);
            co_return std::move(*l);
        });
        protocol::feature_level_record f;
        f.name = std::string(metadata_format_feature);
        f.feature_level = metadata_format_level + 1;
        on_shard(0, [&]() -> awaitable<void> {
            const metadata_record records[] = {f};
            co_await log->append(records);
            co_await log->close();
        });
    }
    EXPECT_THROW(boot(), std::runtime_error);
    ctl.reset();
}

TEST_F(controller_test, AnUndecodableRecordStopsTheStart) {
    on_shard(0, [this]() -> awaitable<void> {
        auto l = co_await storage::log::open(env, data_dir / metadata_log_dir_name, metadata_log_config(),
                                             metadata_topic_id());
        protocol::record_batch_builder b;
        const bytes::byte_vector junk{0x01, 0x7f, 0x00};  // record type 127: not ours
        b.add(0, std::nullopt, bytes::bytes_view(junk));
        auto batch = std::move(b.build()).value();
        auto appended = co_await (*l)->append(batch, model::leader_epoch(0));
        co_await (*l)->wait_durable(appended->last_offset);
        co_await (*l)->close();
    });
    try {
        boot();
        FAIL() << "started";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("unknown metadata record type 127"), std::string::npos) << e.what();
    }
    ctl.reset();
}

}  // namespace
}  // namespace tributary::cluster
