// Zero-copy reads (log::read with zero_copy): the batches are located by their headers and returned as a
// region of the segment file, to be sent with sendfile. They must be exactly the batches a buffered read
// returns, for every fetch offset, byte limit, upper bound and batch-size mix.
#include <stdlib.h>

#include <random>

#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

using log_zero_copy_read = log_fixture;

bytes::byte_vector bytes_of(const read_result& r) {
    if (r.region.size == 0) return bytes::byte_vector(r.records.begin(), r.records.end());
    bytes::byte_vector out(r.region.size);
    EXPECT_TRUE(bytes::read_region(r.region, out.data()));
    return out;
}

void expect_same(const read_result& buffered, const read_result& zero_copy, const std::string& where) {
    EXPECT_EQ(bytes_of(buffered), bytes_of(zero_copy)) << where;
    EXPECT_EQ(buffered.first_offset, zero_copy.first_offset) << where;
    EXPECT_EQ(buffered.next_offset, zero_copy.next_offset) << where;
    EXPECT_EQ(buffered.high_watermark, zero_copy.high_watermark) << where;
}

// Without a file descriptor (the in-memory file system), the located range is read into a buffer: this
// compares the header walk with the buffered read over a random mix of small and large batches.
TEST_F(log_zero_copy_read, LocatesTheSameBatchesAsABufferedRead) {
    config.index_interval_bytes = 1000;
    config.segment_bytes = 300'000;  // several segments
    open_log();
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> records(1, 20);
    std::uniform_int_distribution<int> value(1, 3000);
    for (int i = 0; i < 200; ++i)
        append_ok({.records = records(rng), .value_size = static_cast<std::size_t>(value(rng))});
    run(io, lg->flush());
    const auto end = lg->log_end_offset().value();
    std::uniform_int_distribution<std::int64_t> offset(0, end);
    const std::size_t limits[] = {0, 1, 100, 4096, 20'000, 70'000, 1 << 20};
    for (int i = 0; i < 300; ++i) {
        const model::offset from(offset(rng));
        const std::size_t max_bytes = limits[i % std::size(limits)];
        const model::offset upper(std::min<std::int64_t>(end, from.value() + (i % 3 == 0 ? 30 : end)));
        const bool min_one = i % 4 != 1;
        auto b = run(io, lg->read(from, max_bytes, upper, min_one, /*zero_copy=*/false));
        auto z = run(io, lg->read(from, max_bytes, upper, min_one, /*zero_copy=*/true));
        const std::string where = "from " + std::to_string(from.value()) + " max " + std::to_string(max_bytes) +
                                  " upper " + std::to_string(upper.value()) + " min_one " + std::to_string(min_one);
        ASSERT_EQ(b.ok(), z.ok()) << where;
        if (!b.ok()) continue;
        EXPECT_EQ(z->region.size, 0u) << "no descriptor in memory, so no region";
        expect_same(*b, *z, where);
    }
}

TEST_F(log_zero_copy_read, OffsetsOutOfRangeAreReportedAsForABufferedRead) {
    open_log();
    append_ok({.records = 5});
    auto z = run(io, lg->read(model::offset(6), 1 << 20, lg->high_watermark(), true, true));
    ASSERT_FALSE(z.ok());
    EXPECT_EQ(z.error(), storage_error::offset_out_of_range);
    auto at_end = run(io, lg->read(model::offset(5), 1 << 20, lg->high_watermark(), true, true));
    ASSERT_TRUE(at_end.ok());
    EXPECT_EQ(at_end->region.size, 0u);
    EXPECT_TRUE(at_end->records.empty());
}

// On the real file system the read returns a region with its own descriptor: the bytes stay readable
// after the log deletes the segment (retention while a response is queued) and after the log closes.
TEST_F(log_zero_copy_read, OnTheRealFileSystemARegionOutlivesItsSegmentFile) {
    char tmpl[] = "/tmp/tributary-zc-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path real_dir = std::filesystem::path(tmpl) / "events-0";
    log_env real(disk, posix_file_system(), clock);
    auto opened = run(io, log::open(real, real_dir, config, test_topic_id));
    ASSERT_TRUE(opened.ok());
    auto l = std::move(opened).value();
    for (int i = 0; i < 20; ++i) {
        auto b = make_batch({.records = 3, .value_size = 2000});
        ASSERT_TRUE(run(io, append_committed(*l, b, model::leader_epoch(7))).ok());
    }
    auto b = run(io, l->read(model::offset(7), 20'000, l->high_watermark(), true, false));
    auto z = run(io, l->read(model::offset(7), 20'000, l->high_watermark(), true, true));
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(z.ok());
    ASSERT_GT(z->region.size, 0u);
    EXPECT_TRUE(z->records.empty());
    ASSERT_NE(z->region.file, nullptr);
    expect_same(*b, *z, "real");
    const auto expected = bytes_of(*b);
    run(io, l->close());
    l.reset();
    std::filesystem::remove_all(tmpl);  // the segment files are gone; the region's descriptor is not
    EXPECT_EQ(bytes_of(*z), expected);
}

}  // namespace
}  // namespace tributary::storage::test
