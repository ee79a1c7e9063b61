// Flush policy, group commit, the high watermark, and disk failures on the write path.
#include <cerrno>

#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

using log_flush = log_fixture;

// Appends `n` batches concurrently (issued in the same turn of the event loop) with acks=all.
std::vector<util::result<append_result, storage_error>> append_concurrently(
    asio::io_context& io, log& l, int n, std::vector<bytes::byte_vector>& batches) {
    std::vector<util::result<append_result, storage_error>> results(n, storage_error::log_closed);
    batches.clear();
    for (int i = 0; i < n; ++i) batches.push_back(make_batch({.records = 2}));
    run(io, [&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < n; ++i) {
            asio::co_spawn(
                ex,
                [&, i]() -> awaitable<void> {
                    results[i] = co_await append_committed(l, batches[i], model::leader_epoch(7));
                },
                asio::detached);
        }
        co_return;
    }());
    return results;
}

TEST_F(log_flush, GroupCommitCoversConcurrentAppendsWithOneFsync) {
    open_log();
    append_ok({}, {.acks_all = true});  // the first write also removes nothing and creates the segment
    const auto before = fs.datasync_count();
    std::vector<bytes::byte_vector> batches;
    constexpr int n = 64;
    auto results = append_concurrently(io, *lg, n, batches);
    for (const auto& r : results) ASSERT_TRUE(r.ok());
    const auto fsyncs = fs.datasync_count() - before;
    std::printf("[ metric ] %d concurrent acks=all appends: %llu fsync(s)\n", n,
                static_cast<unsigned long long>(fsyncs));
    EXPECT_GE(fsyncs, 1u);
    EXPECT_LE(fsyncs, 2u);
    EXPECT_EQ(lg->flushed_offset(), lg->log_end_offset());
}

TEST_F(log_flush, AcksAllWaitsForAnFsyncByDefault) {
    open_log();
    run(io, [&]() -> awaitable<void> {
        auto b = make_batch({.records = 2});
        auto r = co_await append_committed(*lg, b, model::leader_epoch(7));
        EXPECT_TRUE(r.ok());
        EXPECT_GT(lg->flushed_offset(), r->last_offset);
        EXPECT_GE(fs.datasync_count(), 1u);
    }());
}

TEST_F(log_flush, DurableOffsetIsTheFlushedOffsetByDefault) {
    open_log();
    run(io, [&]() -> awaitable<void> {
        auto b = make_batch({.records = 2});
        auto r = co_await lg->append(b, model::leader_epoch(1));
        EXPECT_TRUE(r.ok());
        // Written, not yet fsynced: not durable, and the high watermark is not the log's to move.
        EXPECT_EQ(lg->written_offset(), model::offset(2));
        EXPECT_EQ(lg->flushed_offset(), model::offset(0));
        EXPECT_EQ(lg->durable_offset(), model::offset(0));
        EXPECT_EQ(lg->high_watermark(), model::offset(0));
    }());
    // The append still started a flush, so the data becomes durable without anyone waiting for it.
    EXPECT_EQ(lg->durable_offset(), model::offset(2));
    EXPECT_EQ(lg->high_watermark(), model::offset(0));
}

TEST_F(log_flush, TheHighWatermarkIsSetFromOutsideWithinTheLog) {
    open_log();
    for (int i = 0; i < 3; ++i) append_ok({.records = 2}, {.acks_all = true});
    lg->set_high_watermark(model::offset(4));
    EXPECT_EQ(lg->high_watermark(), model::offset(4));
    auto r = read(model::offset(0));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(headers_of(r->records).size(), 2u);  // reads stop at the high watermark
    EXPECT_EQ(r->high_watermark, model::offset(4));
    lg->set_high_watermark(model::offset(100));  // clamped to the log end
    EXPECT_EQ(lg->high_watermark(), model::offset(6));
    lg->set_high_watermark(model::offset(2));  // a replica may move it down
    EXPECT_EQ(lg->high_watermark(), model::offset(2));
    lg->set_high_watermark(model::offset(6));
    ASSERT_TRUE(run(io, lg->truncate_to(model::offset(4))).ok());  // truncation takes it down with the log
    EXPECT_EQ(lg->high_watermark(), model::offset(4));
}

TEST_F(log_flush, RelaxedPolicyAcksAfterTheWriteAndExposesWrittenData) {
    config.flush_messages = 1000;
    open_log();
    append_ok({.records = 2}, {.acks_all = true});  // also writes leader-epoch-checkpoint (one fsync)
    const auto before = fs.datasync_count();
    for (int i = 0; i < 4; ++i) append_ok({.records = 2}, {.acks_all = true});
    EXPECT_EQ(fs.datasync_count(), before);
    EXPECT_EQ(lg->high_watermark(), model::offset(10));
    EXPECT_EQ(lg->flushed_offset(), model::offset(0));
}

TEST_F(log_flush, FlushMessagesFsyncsEveryNMessages) {
    config.flush_messages = 10;
    open_log();
    append_ok({.records = 1});  // also writes leader-epoch-checkpoint (one fsync)
    const auto before = fs.datasync_count();
    for (int i = 0; i < 24; ++i) append_ok({.records = 1});
    EXPECT_EQ(fs.datasync_count() - before, 2u);
    EXPECT_EQ(lg->flushed_offset(), model::offset(20));
}

TEST_F(log_flush, FlushMsFsyncsAfterTheInterval) {
    config.flush_ms = 5;
    open_log();
    append_ok({.records = 3});  // run() returns once the timer has fired and the flush is done
    EXPECT_EQ(lg->flushed_offset(), model::offset(3));
}

TEST_F(log_flush, EnospcFailsTheAppendWithoutDamagingAcknowledgedData) {
    open_log();
    for (int i = 0; i < 3; ++i) append_ok({.records = 2}, {.acks_all = true});
    fs.set_capacity(fs.used_bytes() + 30);  // the next batch only half fits
    auto failed = append(make_batch({.records = 2}), {.acks_all = true});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error(), storage_error::disk_full);
    EXPECT_EQ(to_error_code(failed.error()), model::error_code::kafka_storage_error);
    // The log rolled the failed write back and is usable once there is room again.
    EXPECT_EQ(lg->log_end_offset(), model::offset(6));
    EXPECT_FALSE(lg->offline());
    fs.set_capacity(std::nullopt);
    EXPECT_EQ(append_ok({.records = 2}, {.acks_all = true}).base_offset, model::offset(6));
    crash();
    open_log();
    EXPECT_FALSE(lg->recovery().truncated.has_value());  // no garbage was left behind
    EXPECT_EQ(lg->log_end_offset(), model::offset(8));
    auto r = read(model::offset(0));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(headers_of(r->records).size(), 4u);
}

TEST_F(log_flush, AFailedWriteFailsTheAppendsQueuedBehindIt) {
    open_log();
    append_ok({.records = 1}, {.acks_all = true});
    fs.fail_nth_write(1, make_errno(EIO));
    std::vector<bytes::byte_vector> batches;
    auto results = append_concurrently(io, *lg, 3, batches);
    for (const auto& r : results) {
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), storage_error::io_error);
    }
    EXPECT_EQ(lg->log_end_offset(), model::offset(1));
    EXPECT_EQ(append_ok({.records = 1}).base_offset, model::offset(1));
}

TEST_F(log_flush, AnFsyncFailureTakesTheLogOffline) {
    open_log();
    append_ok({.records = 1}, {.acks_all = true});
    fs.fail_syncs(make_errno(EIO));
    auto r = append(make_batch(), {.acks_all = true});
    EXPECT_EQ(r.error(), storage_error::log_offline);
    EXPECT_EQ(to_error_code(r.error()), model::error_code::kafka_storage_error);
    EXPECT_TRUE(lg->offline());
    EXPECT_EQ(append(make_batch()).error(), storage_error::log_offline);
    EXPECT_EQ(read(model::offset(0)).error(), storage_error::log_offline);
    fs.fail_syncs(sys_errno::none);
    close_log();  // writes nothing: the next open recovers
    open_log();
    EXPECT_FALSE(lg->recovery().clean_shutdown);
    EXPECT_GE(lg->log_end_offset(), model::offset(1));
}

// With the broker's fsync pool (log_env::sync): a flush's fsync runs beside the shard's FIFO disk
// thread once the writes queued before it are done; acks=all must still mean fsynced.
class log_flush_pool : public log_fixture {
protected:
    log_flush_pool() { sync = &pool; }
    ~log_flush_pool() override { close_log(); }  // before the pool goes
    thread_pool_disk_executor pool{"test-fsync", 2};
};

TEST_F(log_flush_pool, GroupCommitStillCoversConcurrentAppends) {
    open_log();
    append_ok({}, {.acks_all = true});
    const auto before = fs.datasync_count();
    std::vector<bytes::byte_vector> batches;
    auto results = append_concurrently(io, *lg, 64, batches);
    for (const auto& r : results) ASSERT_TRUE(r.ok());
    EXPECT_GE(fs.datasync_count() - before, 1u);
    EXPECT_LE(fs.datasync_count() - before, 2u);
    EXPECT_EQ(lg->flushed_offset(), lg->log_end_offset());
}

TEST_F(log_flush_pool, AcknowledgedAcksAllAppendsSurviveACrash) {
    config.segment_bytes = 4096;  // rolls too
    open_log();
    std::vector<bytes::byte_vector> batches;
    for (int round = 0; round < 5; ++round) {
        auto results = append_concurrently(io, *lg, 16, batches);
        for (const auto& r : results) ASSERT_TRUE(r.ok());
    }
    const auto end = lg->log_end_offset();
    EXPECT_EQ(end, model::offset(5 * 16 * 2));
    crash();  // loses everything not fsynced
    open_log();
    EXPECT_EQ(lg->log_end_offset(), end);
    auto r = read(model::offset(0));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->records.empty());
}

}  // namespace
}  // namespace tributary::storage::test
