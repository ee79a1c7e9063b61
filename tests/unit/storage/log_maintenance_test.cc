// Truncation, DeleteRecords and retention.
#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

using log_maintenance = log_fixture;

TEST_F(log_maintenance, TruncateToOffsetThenAppendContinuesThere) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2});
    auto r = run(io, lg->truncate_to(model::offset(6)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, model::offset(6));
    EXPECT_EQ(lg->log_end_offset(), model::offset(6));
    EXPECT_EQ(append_ok({.records = 3}).base_offset, model::offset(6));
    auto data = read(model::offset(0));
    ASSERT_TRUE(data.ok());
    auto hs = headers_of(data->records);
    ASSERT_EQ(hs.size(), 4u);
    EXPECT_EQ(hs[3].base_offset, model::offset(6));
    EXPECT_EQ(hs[3].record_count, 3);
}

TEST_F(log_maintenance, TruncateInsideABatchRemovesTheWholeBatch) {
    open_log();
    for (int i = 0; i < 3; ++i) append_ok({.records = 4});
    auto r = run(io, lg->truncate_to(model::offset(6)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, model::offset(4));
}

TEST_F(log_maintenance, TruncateAcrossSegmentsDeletesTheLaterOnesAndRebuildsProducerState) {
    config.segment_bytes = 500;
    open_log();
    for (int i = 0; i < 20; ++i)
        append_ok({.records = 2, .producer = producer_ids{.id = 9, .sequence = 2 * i}});
    const auto segs = lg->segments();
    ASSERT_GE(segs.size(), 4u);
    auto r = run(io, lg->truncate_to(model::offset(10)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, model::offset(10));
    EXPECT_LT(lg->segments().size(), segs.size());
    EXPECT_FALSE(fs.contents(file(segs.back().base_offset, ".log")).has_value());
    // Producer 9's last batch is now sequences 8..9: 10 is next, and a retry of 8..9 is a duplicate.
    EXPECT_EQ(lg->producers().find(model::producer_id(9))->last_sequence(), 9);
    auto dup = append(make_batch({.records = 2, .producer = producer_ids{.id = 9, .sequence = 8}}));
    ASSERT_TRUE(dup.ok());
    EXPECT_TRUE(dup->duplicate);
    EXPECT_EQ(append_ok({.records = 2, .producer = producer_ids{.id = 9, .sequence = 10}}).base_offset,
              model::offset(10));
}

TEST_F(log_maintenance, ATruncationIsDurable) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2}, {.acks_all = true});
    ASSERT_TRUE(run(io, lg->truncate_to(model::offset(4))).ok());
    crash();
    open_log();
    EXPECT_EQ(lg->log_end_offset(), model::offset(4));
}

TEST_F(log_maintenance, TruncateBelowTheLogStartOffsetIsRejected) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2}, {.acks_all = true});
    ASSERT_TRUE(run(io, lg->delete_records_before(model::offset(4))).ok());
    EXPECT_EQ(run(io, lg->truncate_to(model::offset(2))).error(), storage_error::offset_out_of_range);
}

TEST_F(log_maintenance, DeleteRecordsAdvancesTheLogStartOffsetDurably) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2}, {.acks_all = true});
    auto r = run(io, lg->delete_records_before(model::offset(5)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, model::offset(5));
    EXPECT_EQ(read(model::offset(3)).error(), storage_error::offset_out_of_range);
    auto data = read(model::offset(5));  // the batch holding 5 starts at 4: whole batches are returned
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(headers_of(data->records)[0].base_offset, model::offset(4));
    EXPECT_EQ(run(io, lg->delete_records_before(model::offset(11))).error(),
              storage_error::offset_out_of_range);
    crash();
    open_log();
    EXPECT_EQ(lg->log_start_offset(), model::offset(5));
}

TEST_F(log_maintenance, DeleteRecordsRemovesSegmentsWhollyBelowTheNewStart) {
    config.segment_bytes = 400;
    open_log();
    for (int i = 0; i < 12; ++i) append_ok({.records = 2}, {.acks_all = true});
    const auto segs = lg->segments();
    ASSERT_GE(segs.size(), 3u);
    ASSERT_TRUE(run(io, lg->delete_records_before(segs[2].base_offset)).ok());
    EXPECT_EQ(lg->segments().front().base_offset, segs[2].base_offset);
    EXPECT_FALSE(fs.contents(file(segs[0].base_offset, ".log")).has_value());
    EXPECT_FALSE(fs.contents(file(segs[1].base_offset, ".index")).has_value());
}

TEST_F(log_maintenance, RetentionDeletesOldSegmentsButNotTheActiveOne) {
    config.segment_bytes = 400;
    config.retention_ms = 24 * 3600 * 1000;
    open_log();
    const std::int64_t old = clock.now_ms() - 2 * config.retention_ms;
    for (int i = 0; i < 12; ++i) append_ok({.records = 2, .timestamp = old}, {.acks_all = true});
    const auto segs = lg->segments();
    ASSERT_GE(segs.size(), 3u);
    auto r = run(io, lg->apply_retention());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->segments_deleted, segs.size() - 1);
    ASSERT_EQ(lg->segments().size(), 1u);
    EXPECT_EQ(lg->log_start_offset(), segs.back().base_offset);
    EXPECT_EQ(lg->segments()[0].base_offset, segs.back().base_offset);
    EXPECT_EQ(lg->log_end_offset(), model::offset(24));
}

TEST_F(log_maintenance, RetentionByTimeKeepsRecentSegments) {
    config.segment_bytes = 400;
    config.retention_ms = 24 * 3600 * 1000;
    open_log();
    const std::int64_t old = clock.now_ms() - 2 * config.retention_ms;
    for (int i = 0; i < 4; ++i) append_ok({.records = 2, .timestamp = old});
    const model::offset recent_from = lg->log_end_offset();
    for (int i = 0; i < 8; ++i) append_ok({.records = 2, .timestamp = clock.now_ms()}, {.acks_all = true});
    auto r = run(io, lg->apply_retention());
    ASSERT_TRUE(r.ok());
    EXPECT_LE(lg->log_start_offset(), recent_from);
    auto data = read(recent_from);
    ASSERT_TRUE(data.ok());
    EXPECT_FALSE(data->records.empty());
}

TEST_F(log_maintenance, RetentionBytesKeepsTheLogUnderTheLimit) {
    config.segment_bytes = 400;
    config.retention_ms = -1;
    config.retention_bytes = 1000;
    open_log();
    for (int i = 0; i < 30; ++i) append_ok({.records = 2}, {.acks_all = true});
    auto r = run(io, lg->apply_retention());
    ASSERT_TRUE(r.ok());
    EXPECT_GT(r->segments_deleted, 0u);
    EXPECT_LE(lg->size_bytes(), 1000u + 400u);  // whole segments: at most one segment over
    EXPECT_GE(lg->size_bytes() + lg->segments().front().size_bytes, 1000u);
}

TEST_F(log_maintenance, RetentionWorkIsBoundedPerCall) {
    config.segment_bytes = 300;
    config.retention_ms = -1;
    config.retention_bytes = 0;
    open_log();
    for (int i = 0; i < 20; ++i) append_ok({.records = 2}, {.acks_all = true});
    const auto before = lg->segments().size();
    ASSERT_GE(before, 5u);
    auto r = run(io, lg->apply_retention(2));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->segments_deleted, 2u);
    EXPECT_TRUE(r->more);
    r = run(io, lg->apply_retention(100));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->more);
    EXPECT_EQ(lg->segments().size(), 1u);
}

TEST_F(log_maintenance, RetentionNeverDeletesAboveTheHighWatermark) {
    config.segment_bytes = 300;
    config.retention_ms = -1;
    config.retention_bytes = 0;
    config.flush_messages = 1'000'000;  // relaxed: high watermark = written offset
    open_log();
    for (int i = 0; i < 10; ++i) append_ok({.records = 2});
    auto r = run(io, lg->apply_retention());
    ASSERT_TRUE(r.ok());
    EXPECT_LE(lg->log_start_offset(), lg->high_watermark());
}

TEST_F(log_maintenance, RetentionExpiresIdleProducers) {
    config.producer_id_expiration_ms = 1000;
    open_log();
    append_ok({.records = 1, .timestamp = clock.now_ms() - 5000, .producer = producer_ids{.id = 3}});
    append_ok({.records = 1, .timestamp = clock.now_ms(), .producer = producer_ids{.id = 4}});
    auto r = run(io, lg->apply_retention());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->producers_expired, 1u);
    EXPECT_EQ(lg->producers().find(model::producer_id(3)), nullptr);
    // Its state is gone, so a later batch from it is accepted at any sequence (KIP-360).
    auto again = append(make_batch({.producer = producer_ids{.id = 3, .sequence = 57}}));
    EXPECT_TRUE(again.ok());
}

}  // namespace
}  // namespace tributary::storage::test
