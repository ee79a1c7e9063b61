// cluster::partition, the facade the handlers and coordinators use: it owns the high watermark (one
// replica: committed = durable under the flush policy), waits for it on acks=all, and reads below it.
#include "cluster/partition.h"

#include <gtest/gtest.h>

#include "../storage/storage_test_util.h"

namespace tributary::cluster {
namespace {

using storage::test::make_batch;
using storage::test::run;

class partition_test : public ::testing::Test {
protected:
    ~partition_test() override { close(); }

    void open(storage::log_config config = {}) {
        auto r = run(io, storage::log::open(storage::log_env(disk, fs), "/data/events-0", config, model::uuid{}));
        ASSERT_TRUE(r.ok()) << storage::to_string(r.error());
        p = std::make_shared<partition>(io.get_executor(), model::topic_partition{"events", 0}, model::uuid{},
                                        std::move(r).value());
        // The partition queued a write of leader-epoch-checkpoint; the FIFO disk queue has run it once
        // a task queued after it has.
        auto barrier = [] { return 0; };
        run(io, storage::run_on_disk(disk, std::move(barrier)));
    }
    void close() {
        if (p) run(io, p->close());
        p.reset();
    }
    util::result<storage::append_result, storage::storage_error> replicate(bytes::byte_vector& b, bool acks_all) {
        return run(io, p->replicate(b, {.acks_all = acks_all}));
    }

    asio::io_context io;
    storage::testing::memory_file_system fs;
    storage::thread_disk_executor disk{"test-disk"};
    std::shared_ptr<partition> p;
};

TEST_F(partition_test, AcksAllCompletesOnceTheHighWatermarkCoversTheBatch) {
    open();
    auto b = make_batch({.records = 3});
    run(io, [&]() -> awaitable<void> {
        auto r = co_await p->replicate(b, {.acks_all = true});
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(r->last_offset, model::offset(2));
        EXPECT_EQ(p->high_watermark(), model::offset(3));  // before anything else ran
        EXPECT_GE(fs.datasync_count(), 1u);
    }());
}

TEST_F(partition_test, AnAcksOneAppendBecomesVisibleOnceDurableWithoutAWaiter) {
    open();
    auto b = make_batch({.records = 2});
    run(io, [&]() -> awaitable<void> {
        auto r = co_await p->replicate(b, {.acks_all = false});
        EXPECT_TRUE(r.ok());
        // Written, not fsynced: a consumer must not see it yet.
        EXPECT_EQ(p->high_watermark(), model::offset(0));
        auto data = co_await p->read(model::offset(0), 1 << 20, read_bound::high_watermark);
        EXPECT_TRUE(data.ok() && data->records.empty());
        // A coordinator loading its partition reads to the log end.
        auto all = co_await p->read(model::offset(0), 1 << 20, read_bound::log_end);
        EXPECT_TRUE(all.ok() && !all->records.empty());
    }());
    EXPECT_EQ(p->high_watermark(), model::offset(2));
}

TEST_F(partition_test, UnderARelaxedFlushPolicyWrittenIsCommitted) {
    storage::log_config config;
    config.flush_messages = 1000;
    open(config);
    auto b = make_batch({.records = 2});
    const auto syncs = fs.datasync_count();  // after leader-epoch-checkpoint was written
    run(io, [&]() -> awaitable<void> {
        auto r = co_await p->replicate(b, {.acks_all = false});
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(p->high_watermark(), model::offset(2));
    }());
    EXPECT_EQ(fs.datasync_count(), syncs);
}

TEST_F(partition_test, AWatcherHearsTheHighWatermarkMove) {
    open();
    auto waiter = std::make_shared<data_waiter>(io.get_executor());
    bool woke = false;
    auto b = make_batch();
    run(io, [&]() -> awaitable<void> {
        p->watch(model::offset(0), waiter);
        asio::co_spawn(
            io, [&]() -> awaitable<void> {
                co_await waiter->wait();
                woke = true;
            },
            asio::detached);
        co_await p->replicate(b, {.acks_all = false});
    }());
    EXPECT_TRUE(woke);
}

TEST_F(partition_test, ARecoveredLogIsCommittedUpToItsEnd) {
    open();
    for (int i = 0; i < 4; ++i) {
        auto b = make_batch({.records = 2});
        ASSERT_TRUE(replicate(b, true).ok());
    }
    close();
    open();
    EXPECT_EQ(p->high_watermark(), model::offset(8));
    EXPECT_EQ(p->log_end_offset(), model::offset(8));
}

TEST_F(partition_test, TheCurrentLeaderEpochIsChecked) {
    open();
    EXPECT_EQ(p->check_leader_epoch(-1), model::error_code::none);
    EXPECT_EQ(p->check_leader_epoch(0), model::error_code::none);
    EXPECT_EQ(p->check_leader_epoch(1), model::error_code::unknown_leader_epoch);
}

TEST_F(partition_test, AFailedFsyncFailsAcksAllAndLeavesTheHighWatermark) {
    open();
    auto first = make_batch();
    ASSERT_TRUE(replicate(first, true).ok());
    fs.fail_syncs(storage::make_errno(EIO));
    auto second = make_batch();
    auto r = replicate(second, true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), storage::storage_error::log_offline);
    EXPECT_EQ(p->high_watermark(), model::offset(1));
    fs.fail_syncs(storage::sys_errno::none);
}

}  // namespace
}  // namespace tributary::cluster
