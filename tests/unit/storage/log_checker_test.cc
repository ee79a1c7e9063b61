// check_partition_dir (`tributary check-log`): a log the broker wrote checks clean; each kind of damage
// is reported.
#include "storage/log_checker.h"

#include "storage/checkpoints.h"
#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

class log_checker : public log_fixture {
protected:
    // Three segments and a clean shutdown, with index entries in each segment.
    void write_log() {
        config.segment_bytes = 1200;
        config.index_interval_bytes = 100;
        open_log();
        for (int i = 0; i < 30; ++i) {
            append_ok({.records = 2, .timestamp = 1'700'000'000'000 + (i % 7) * 1000}, {.acks_all = true});
        }
        ASSERT_GE(lg->segments().size(), 3u);
        end = lg->log_end_offset();
        close_log();
    }
    std::string problems(const partition_check& c) {
        std::string out;
        for (const auto& p : c.problems) out += p + "\n";
        return out;
    }
    model::offset end{0};
};

TEST_F(log_checker, ALogClosedCleanlyHasNoProblems) {
    write_log();
    auto c = check_partition_dir(fs, dir);
    EXPECT_TRUE(c.problems.empty()) << problems(c);
    EXPECT_EQ(c.segments, 3u);
    EXPECT_EQ(c.batches, 30u);
    EXPECT_EQ(c.records, 60u);
    EXPECT_EQ(c.log_end_offset, end);
    EXPECT_GT(c.index_entries, 6u);
}

TEST_F(log_checker, ALogRecoveredAfterACrashHasNoProblems) {
    write_log();
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2}, {.acks_all = true});
    crash();
    // Before recovery, the active segment's index files are stale: that is expected, not a problem.
    auto before = check_partition_dir(fs, dir);
    EXPECT_TRUE(before.problems.empty()) << problems(before);
    open_log();
    close_log();
    auto after = check_partition_dir(fs, dir);
    EXPECT_TRUE(after.problems.empty()) << problems(after);
    EXPECT_EQ(after.log_end_offset, model::offset(end.value() + 10));
}

TEST_F(log_checker, AnIndexEntryNotAtABatchStartIsReported) {
    write_log();
    const auto path = file(model::offset(0), ".index");
    auto data = fs.contents(path).value();
    ASSERT_GE(data.size(), 8u);
    data[7] = static_cast<bytes::byte>(data[7] + 1);  // the first entry's position, off by one
    fs.set_contents(path, data);
    auto c = check_partition_dir(fs, dir);
    ASSERT_EQ(c.problems.size(), 1u) << problems(c);
    EXPECT_NE(c.problems[0].find("not the start of a batch"), std::string::npos) << problems(c);
}

TEST_F(log_checker, ATimeIndexWithoutTheMaxTimestampIsReported) {
    write_log();
    const auto path = file(model::offset(0), ".timeindex");
    auto data = fs.contents(path).value();
    ASSERT_GE(data.size(), 24u);
    data.resize(data.size() - 12);  // drop the closing entry
    fs.set_contents(path, data);
    auto c = check_partition_dir(fs, dir);
    EXPECT_FALSE(c.problems.empty());
}

TEST_F(log_checker, ACorruptBatchIsReported) {
    write_log();
    const auto path = file(model::offset(0), ".log");
    auto data = fs.contents(path).value();
    data[data.size() - 5] = static_cast<bytes::byte>(data[data.size() - 5] ^ 0x40);  // in the last batch's records
    fs.set_contents(path, data);
    auto c = check_partition_dir(fs, dir);
    ASSERT_FALSE(c.problems.empty());
    EXPECT_NE(problems(c).find("invalid batch"), std::string::npos) << problems(c);
}

TEST_F(log_checker, ASegmentOverlappingTheOneBeforeIsReported) {
    write_log();
    // A segment named below the end of the one before it: its batches repeat offsets (compaction leaves
    // gaps, which are fine, but never overlaps).
    const model::offset inside(end.value() - 3);
    fs.set_contents(file(inside, ".log"), make_batch());
    auto c = check_partition_dir(fs, dir);
    EXPECT_NE(problems(c).find("(an overlap)"), std::string::npos) << problems(c);
}

}  // namespace
}  // namespace tributary::storage::test
