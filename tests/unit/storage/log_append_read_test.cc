// Appending and reading: offsets, patching, whole-batch reads, timestamps.
#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

using log_append_read = log_fixture;

TEST_F(log_append_read, AppendAssignsConsecutiveOffsetsAcrossBatches) {
    open_log();
    auto a = append_ok({.records = 3});
    auto b = append_ok({.records = 5});
    auto c = append_ok({.records = 1});
    EXPECT_EQ(a.base_offset, model::offset(0));
    EXPECT_EQ(a.last_offset, model::offset(2));
    EXPECT_EQ(b.base_offset, model::offset(3));
    EXPECT_EQ(b.last_offset, model::offset(7));
    EXPECT_EQ(c.base_offset, model::offset(8));
    EXPECT_EQ(lg->log_end_offset(), model::offset(9));
    EXPECT_EQ(a.log_append_time, -1);
}

TEST_F(log_append_read, SeveralBatchesInOneAppendGetConsecutiveOffsets) {
    open_log();
    auto both = make_batch({.records = 2});
    auto second = make_batch({.records = 4});
    both.insert(both.end(), second.begin(), second.end());
    auto r = run(io, lg->append(both, model::leader_epoch(7), {}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->base_offset, model::offset(0));
    EXPECT_EQ(r->last_offset, model::offset(5));
    auto hs = headers_of(both);
    EXPECT_EQ(hs[1].base_offset, model::offset(2));
}

TEST_F(log_append_read, AppendPatchesOffsetAndLeaderEpochAndKeepsTheCrcValid) {
    open_log();
    append_ok({.records = 2});
    auto batch = make_batch({.records = 2});
    auto r = run(io, lg->append(batch, model::leader_epoch(42), {}));
    ASSERT_TRUE(r.ok());
    auto h = protocol::validate(batch);  // the caller's bytes were patched in place
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->base_offset, model::offset(2));
    EXPECT_EQ(h->partition_leader_epoch, model::leader_epoch(42));
}

TEST_F(log_append_read, ReadReturnsTheStoredBytesOfWholeBatches) {
    open_log();
    auto first = make_batch({.records = 2});
    auto second = make_batch({.records = 3});
    ASSERT_TRUE(append(first).ok());
    bytes::byte_vector second_copy = second;
    ASSERT_TRUE(run(io, append_committed(*lg, second_copy, model::leader_epoch(7))).ok());
    auto r = read(model::offset(0));
    ASSERT_TRUE(r.ok());
    auto hs = headers_of(r->records);
    ASSERT_EQ(hs.size(), 2u);
    EXPECT_EQ(hs[0].base_offset, model::offset(0));
    EXPECT_EQ(hs[1].base_offset, model::offset(2));
    EXPECT_EQ(r->first_offset, model::offset(0));
    EXPECT_EQ(r->next_offset, model::offset(5));
    // The second batch is exactly the (patched) bytes that were appended.
    EXPECT_TRUE(std::equal(second_copy.begin(), second_copy.end(), r->records.end() - second_copy.size()));
}

TEST_F(log_append_read, ReadStartsAtTheBatchContainingTheOffset) {
    config.index_interval_bytes = 100;  // index many batches, so the lookup path is used
    open_log();
    for (int i = 0; i < 50; ++i) append_ok({.records = 4});
    run(io, lg->flush());
    for (std::int64_t o : {0, 1, 3, 4, 57, 199}) {
        auto r = read(model::offset(o), 1);
        ASSERT_TRUE(r.ok());
        auto hs = headers_of(r->records);
        ASSERT_EQ(hs.size(), 1u) << o;
        EXPECT_EQ(hs[0].base_offset, model::offset(o / 4 * 4)) << o;
    }
}

TEST_F(log_append_read, ReadNeverReturnsBatchesAtOrPastTheUpperBound) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2});
    run(io, lg->flush());
    auto r = read(model::offset(0), 1 << 20, model::offset(5));
    ASSERT_TRUE(r.ok());
    auto hs = headers_of(r->records);
    ASSERT_EQ(hs.size(), 3u);  // [0,1] [2,3] [4,5]: the batch holding offset 4 starts below the bound
    EXPECT_EQ(r->next_offset, model::offset(6));
    auto empty = read(model::offset(6), 1 << 20, model::offset(6));
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->records.empty());
}

TEST_F(log_append_read, ReadStopsBeforeABatchThatWouldExceedMaxBytes) {
    open_log();
    for (int i = 0; i < 4; ++i) append_ok({.records = 1, .value_size = 100});
    run(io, lg->flush());
    const std::size_t batch_size = make_batch({.records = 1, .value_size = 100}).size();
    auto r = read(model::offset(0), batch_size * 2 + batch_size / 2);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(headers_of(r->records).size(), 2u);
}

TEST_F(log_append_read, MinOneBatchReturnsAFirstBatchLargerThanMaxBytes) {
    open_log();
    append_ok({.records = 10, .value_size = 1000});
    run(io, lg->flush());
    auto one = read(model::offset(0), 100, std::nullopt, true);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(headers_of(one->records).size(), 1u);
    auto none = read(model::offset(0), 100, std::nullopt, false);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->records.empty());
}

TEST_F(log_append_read, ReadOutsideTheLogIsOffsetOutOfRange) {
    open_log();
    append_ok({.records = 2});
    EXPECT_EQ(read(model::offset(3)).error(), storage_error::offset_out_of_range);
    EXPECT_TRUE(read(model::offset(2)).ok());  // the log end offset itself: empty
}

TEST_F(log_append_read, ReadContinuesIntoTheNextSegment) {
    config.segment_bytes = 1024;
    open_log();
    for (int i = 0; i < 20; ++i) append_ok({.records = 2, .value_size = 100});
    run(io, lg->flush());
    ASSERT_GT(lg->segments().size(), 3u);
    for (std::int64_t o = 0; o < 40; o += 2) {
        auto r = read(model::offset(o), 1);
        ASSERT_TRUE(r.ok());
        auto hs = headers_of(r->records);
        ASSERT_EQ(hs.size(), 1u);
        EXPECT_EQ(hs[0].base_offset, model::offset(o));
    }
}

TEST_F(log_append_read, SegmentsRollBySize) {
    config.segment_bytes = 1000;
    open_log();
    const std::size_t batch_size = make_batch({.records = 1, .value_size = 200}).size();
    for (int i = 0; i < 10; ++i) append_ok({.records = 1, .value_size = 200});
    auto segs = lg->segments();
    const std::size_t per_segment = 1000 / batch_size;
    EXPECT_EQ(segs.size(), (10 + per_segment - 1) / per_segment);
    for (const auto& s : segs) EXPECT_LE(s.size_bytes, 1000u);
    EXPECT_EQ(segs[1].base_offset, model::offset(static_cast<std::int64_t>(per_segment)));
    close_log();
    EXPECT_TRUE(fs.contents(file(segs[1].base_offset, ".log")).has_value());
    EXPECT_TRUE(fs.contents(file(segs[1].base_offset, ".snapshot")).has_value());
}

TEST_F(log_append_read, SegmentsRollByTimeBetweenBatchTimestamps) {
    config.segment_ms = 1000;
    open_log();
    append_ok({.timestamp = 10'000});
    append_ok({.timestamp = 10'900});
    EXPECT_EQ(lg->segments().size(), 1u);
    append_ok({.timestamp = 11'001});
    EXPECT_EQ(lg->segments().size(), 2u);
    EXPECT_EQ(lg->segments()[1].base_offset, model::offset(2));
}

TEST_F(log_append_read, SegmentRollsWhenTheOffsetIndexIsFull) {
    config.segment_index_bytes = 3 * 8;  // three offset index entries
    config.index_interval_bytes = 1;
    open_log();
    for (int i = 0; i < 10; ++i) append_ok();
    EXPECT_GT(lg->segments().size(), 1u);
}

TEST_F(log_append_read, BatchLargerThanMaxMessageBytesIsRejected) {
    config.max_message_bytes = 500;
    open_log();
    auto r = append(make_batch({.records = 1, .value_size = 600}));
    EXPECT_EQ(r.error(), storage_error::message_too_large);
    EXPECT_EQ(to_error_code(r.error()), model::error_code::message_too_large);
    EXPECT_EQ(lg->log_end_offset(), model::offset(0));
}

TEST_F(log_append_read, LogAppendTimeStampsTheBatchWithTheClock) {
    config.message_timestamp_type = protocol::timestamp_type::log_append_time;
    open_log();
    auto batch = make_batch({.records = 2, .timestamp = 5});
    auto r = run(io, lg->append(batch, model::leader_epoch(1), {}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->log_append_time, clock.now_ms());
    auto h = protocol::validate(batch);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->max_timestamp, clock.now_ms());
    EXPECT_EQ(h->timestamp_type(), protocol::timestamp_type::log_append_time);
}

TEST_F(log_append_read, OffsetForTimestampFindsTheFirstRecordAtOrAfterIt) {
    config.segment_bytes = 2000;
    config.index_interval_bytes = 50;
    open_log();
    // Batch i holds records with timestamps 1000*i + {0, 1, 2}.
    for (int i = 0; i < 30; ++i) append_ok({.records = 3, .timestamp = 1000 * i, .value_size = 40});
    run(io, lg->flush());
    ASSERT_GT(lg->segments().size(), 2u);
    auto lookup = [&](std::int64_t ts) {
        return run(io, lg->offset_for_timestamp(ts, lg->high_watermark()));
    };
    auto r = lookup(5001);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->offset, model::offset(16));
    EXPECT_EQ((*r)->timestamp, 5001);
    r = lookup(5003);  // between batches: the next batch's first record
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->offset, model::offset(18));
    r = lookup(-5);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->offset, model::offset(0));
    r = lookup(29'003);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
}

TEST_F(log_append_read, MaxTimestampIsTheFirstRecordWithTheLargestTimestamp) {
    config.segment_bytes = 600;
    open_log();
    append_ok({.records = 3, .timestamp = 100});
    append_ok({.records = 3, .timestamp = 9000});  // 9000..9002: the max is the third record
    append_ok({.records = 3, .timestamp = 200});
    append_ok({.records = 2, .timestamp = 300});
    run(io, lg->flush());
    auto r = run(io, lg->max_timestamp_offset(lg->high_watermark()));
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->timestamp, 9002);
    EXPECT_EQ((*r)->offset, model::offset(5));
}

TEST_F(log_append_read, MaxTimestampIgnoresRecordsAboveTheUpperBound) {
    open_log();
    append_ok({.records = 2, .timestamp = 100});
    append_ok({.records = 2, .timestamp = 500});
    run(io, lg->flush());
    auto r = run(io, lg->max_timestamp_offset(model::offset(2)));
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->timestamp, 101);
    EXPECT_EQ((*r)->offset, model::offset(1));
}

TEST_F(log_append_read, CompressedBatchesAreStoredAndSearchedByTimestamp) {
    open_log();
    append_ok({.records = 5, .timestamp = 100, .compression = util::compression_type::zstd});
    append_ok({.records = 5, .timestamp = 200, .compression = util::compression_type::lz4});
    run(io, lg->flush());
    auto r = run(io, lg->offset_for_timestamp(202, lg->high_watermark()));
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->offset, model::offset(7));
    auto data = read(model::offset(0));
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(headers_of(data->records).size(), 2u);
}

TEST_F(log_append_read, SegmentsReportSizesForDescribeLogDirs) {
    open_log();
    append_ok({.records = 2});
    append_ok({.records = 2});
    auto segs = lg->segments();
    ASSERT_EQ(segs.size(), 1u);
    EXPECT_EQ(segs[0].size_bytes, lg->size_bytes());
    EXPECT_EQ(lg->size_bytes(), 2 * make_batch({.records = 2}).size());
}

}  // namespace
}  // namespace tributary::storage::test
