// A full disk: appends fail with disk_full (KAFKA_STORAGE_ERROR), nothing acknowledged is damaged, no
// partial batch stays behind, the log never goes offline for lack of space, and it takes writes again
// as soon as there is room, without being reopened. Retention and recovery work on a full disk.
#include <cerrno>

#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

class log_disk_full : public log_fixture {
protected:
    // Every batch of the log below the high watermark, as stored.
    std::vector<protocol::record_batch_header> all_batches() {
        std::vector<protocol::record_batch_header> out;
        model::offset next = lg->log_start_offset();
        while (next < lg->high_watermark()) {
            auto r = read(next);
            EXPECT_TRUE(r.ok());
            if (!r.ok() || r->records.empty()) break;
            for (const auto& h : headers_of(r->records)) out.push_back(h);
            next = r->next_offset;
        }
        return out;
    }
};

TEST_F(log_disk_full, ARollOnAFullDiskFailsTheAppendAndTheLogResumesWhenSpaceReturns) {
    config.segment_bytes = 400;
    open_log();
    while (lg->segments().size() < 2) append_ok({.records = 2}, {.acks_all = true});
    // Fill the active segment up to the point where the next append rolls, then fill the disk.
    const std::size_t batch_size = make_batch({.records = 2}).size();
    while (lg->segments().back().size_bytes + batch_size <= 400) append_ok({.records = 2}, {.acks_all = true});
    const model::offset acknowledged = lg->log_end_offset();
    const auto before = lg->segments().size();
    fs.set_capacity(fs.used_bytes());
    auto r = append(make_batch({.records = 2}), {.acks_all = true});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), storage_error::disk_full);
    EXPECT_EQ(to_error_code(r.error()), model::error_code::kafka_storage_error);
    EXPECT_EQ(lg->segments().size(), before + 1);  // the roll itself happened: its file is empty
    EXPECT_FALSE(lg->offline());
    EXPECT_EQ(lg->log_end_offset(), acknowledged);
    EXPECT_EQ(lg->high_watermark(), acknowledged);
    // Reads of acknowledged data still work while the disk is full.
    EXPECT_EQ(all_batches().back().next_offset(), acknowledged);

    fs.set_capacity(std::nullopt);
    EXPECT_EQ(append_ok({.records = 2}, {.acks_all = true}).base_offset, acknowledged);
    crash();
    open_log();
    EXPECT_FALSE(lg->recovery().truncated.has_value()) << to_string(lg->recovery());
    EXPECT_EQ(lg->log_end_offset(), model::offset(acknowledged.value() + 2));
    EXPECT_EQ(all_batches().size(), static_cast<std::size_t>(acknowledged.value() / 2 + 1));
}

TEST_F(log_disk_full, ASegmentThatCannotBeCreatedIsDroppedAndTheLogResumes) {
    config.segment_bytes = 400;
    open_log();
    while (lg->segments().size() < 2) append_ok({.records = 2}, {.acks_all = true});
    const auto segments_before = lg->segments().size();
    fs.fail_creates(make_errno(ENOSPC));
    model::offset acknowledged = lg->log_end_offset();
    // Appends until one needs a new segment: that one fails, everything before it was acknowledged.
    for (int i = 0; i < 100; ++i) {
        auto r = append(make_batch({.records = 2}), {.acks_all = true});
        if (!r.ok()) {
            EXPECT_EQ(r.error(), storage_error::disk_full);
            break;
        }
        acknowledged = model::offset(r->last_offset.value() + 1);
    }
    // The repair runs once the failed write is reported; an append after it sees the dropped roll.
    EXPECT_FALSE(lg->offline());
    EXPECT_EQ(lg->log_end_offset(), acknowledged);
    EXPECT_EQ(lg->segments().size(), segments_before);
    fs.fail_creates(sys_errno::none);
    EXPECT_EQ(append_ok({.records = 2}, {.acks_all = true}).base_offset, acknowledged);
    EXPECT_EQ(lg->segments().size(), segments_before + 1);
    const model::offset end = lg->log_end_offset();
    crash();
    open_log();
    EXPECT_FALSE(lg->recovery().truncated.has_value()) << to_string(lg->recovery());
    EXPECT_EQ(lg->log_end_offset(), end);
    EXPECT_EQ(all_batches().size(), static_cast<std::size_t>(end.value() / 2));
}

TEST_F(log_disk_full, ConcurrentAppendsBehindAFailedRollAllFailAndNoneIsVisible) {
    config.segment_bytes = 400;
    open_log();
    append_ok({.records = 2}, {.acks_all = true});
    const model::offset acknowledged = lg->log_end_offset();
    fs.set_capacity(fs.used_bytes());
    fs.fail_creates(make_errno(ENOSPC));
    // Twenty appends in one turn of the loop: several rolls are queued behind the failing one.
    std::vector<bytes::byte_vector> batches;
    std::vector<util::result<append_result, storage_error>> results(20, storage_error::log_closed);
    for (int i = 0; i < 20; ++i) batches.push_back(make_batch({.records = 2}));
    run(io, [&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 20; ++i) {
            asio::co_spawn(
                ex,
                [&, i]() -> awaitable<void> {
                    results[i] = co_await append_committed(*lg, batches[i], model::leader_epoch(7));
                },
                asio::detached);
        }
        co_return;
    }());
    for (const auto& r : results) {
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), storage_error::disk_full);
    }
    EXPECT_FALSE(lg->offline());
    EXPECT_EQ(lg->log_end_offset(), acknowledged);
    EXPECT_EQ(lg->segments().size(), 1u);
    fs.set_capacity(std::nullopt);
    fs.fail_creates(sys_errno::none);
    for (int i = 0; i < 10; ++i) append_ok({.records = 2}, {.acks_all = true});
    EXPECT_EQ(lg->log_end_offset(), model::offset(acknowledged.value() + 20));
    close_log();
    open_log();
    EXPECT_TRUE(lg->recovery().clean_shutdown);
    EXPECT_EQ(all_batches().size(), 11u);
}

TEST_F(log_disk_full, RetentionFreesSpaceOnAFullDiskAndWritesResume) {
    config.segment_bytes = 400;
    config.retention_ms = -1;
    config.retention_bytes = 800;
    open_log();
    for (int i = 0; i < 20; ++i) append_ok({.records = 2}, {.acks_all = true});
    const auto used = fs.used_bytes();
    fs.set_capacity(used);
    auto failed = append(make_batch({.records = 2}), {.acks_all = true});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error(), storage_error::disk_full);
    auto r = run(io, lg->apply_retention());
    ASSERT_TRUE(r.ok()) << to_string(r.error());
    EXPECT_GT(r->segments_deleted, 0u);
    EXPECT_FALSE(lg->offline());
    EXPECT_LT(fs.used_bytes(), used);
    // The capacity is unchanged: the space retention freed is what the next appends use.
    const model::offset end = lg->log_end_offset();
    EXPECT_EQ(append_ok({.records = 2}, {.acks_all = true}).base_offset, end);
    const model::offset start = lg->log_start_offset();
    crash();
    fs.set_capacity(std::nullopt);
    open_log();
    EXPECT_EQ(lg->log_start_offset(), start);
    EXPECT_EQ(lg->log_end_offset(), model::offset(end.value() + 2));
}

TEST_F(log_disk_full, DeleteRecordsOnAFullDiskFailsRetriablyAndChangesNothing) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2}, {.acks_all = true});
    fs.set_capacity(fs.used_bytes());
    auto r = run(io, lg->delete_records_before(model::offset(4)));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), storage_error::disk_full);
    EXPECT_EQ(lg->log_start_offset(), model::offset(0));
    EXPECT_FALSE(lg->offline());
    fs.set_capacity(std::nullopt);
    auto again = run(io, lg->delete_records_before(model::offset(4)));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, model::offset(4));
}

TEST_F(log_disk_full, RecoveryOnAFullDiskOpensTheLog) {
    config.segment_bytes = 400;
    open_log();
    for (int i = 0; i < 12; ++i) append_ok({.records = 2}, {.acks_all = true});
    const model::offset end = lg->log_end_offset();
    const auto last = file(lg->segments().back().base_offset, ".log");
    crash();
    // A torn tail to cut, and no room for a new checkpoint or index files.
    auto data = fs.contents(last).value();
    auto torn = make_batch({.records = 3});
    data.insert(data.end(), torn.begin(), torn.begin() + 30);
    fs.set_contents(last, data);
    fs.set_capacity(fs.used_bytes());
    open_log();
    ASSERT_TRUE(lg);
    EXPECT_TRUE(lg->recovery().truncated.has_value());
    EXPECT_EQ(lg->log_end_offset(), end);
    EXPECT_FALSE(lg->offline());
    EXPECT_EQ(all_batches().size(), 12u);
}

}  // namespace
}  // namespace tributary::storage::test
