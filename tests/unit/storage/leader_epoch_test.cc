// The leader epoch cache (Kafka's LeaderEpochFileCache rules), its leader-epoch-checkpoint file, and how
// the log keeps both true: appends in a new epoch, truncation, DeleteRecords, crashes, and logs written
// before the file existed.
#include "storage/leader_epoch_cache.h"

#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

using entries = std::vector<epoch_entry>;
constexpr std::int32_t undefined = leader_epoch_cache::undefined_epoch;

epoch_entry e(std::int32_t epoch, std::int64_t start) { return {epoch, model::offset(start)}; }

TEST(leader_epoch_cache, AssignKeepsOneEntryPerEpochInOrder) {
    leader_epoch_cache c;
    EXPECT_TRUE(c.assign(0, model::offset(0)));
    EXPECT_FALSE(c.assign(0, model::offset(5)));  // later batches of the same epoch
    EXPECT_TRUE(c.assign(2, model::offset(10)));
    EXPECT_FALSE(c.assign(-1, model::offset(12)));  // no epoch (old message format): ignored
    EXPECT_EQ(c.entries(), (entries{e(0, 0), e(2, 10)}));
    // An epoch that contradicts later entries replaces them (a replica after a divergence).
    EXPECT_TRUE(c.assign(1, model::offset(8)));
    EXPECT_EQ(c.entries(), (entries{e(0, 0), e(1, 8)}));
    EXPECT_TRUE(c.assign(1, model::offset(6)));  // the latest epoch at a lower start
    EXPECT_EQ(c.entries(), (entries{e(0, 0), e(1, 6)}));
}

TEST(leader_epoch_cache, EndOffsetForAnswersAsKafkaDoes) {
    leader_epoch_cache c(entries{e(1, 0), e(3, 100), e(5, 200)});
    const model::offset end(250);
    EXPECT_EQ(c.end_offset_for(5, end), std::pair(5, std::int64_t{250}));   // latest: the log end
    EXPECT_EQ(c.end_offset_for(3, end), std::pair(3, std::int64_t{200}));   // ended where 5 began
    EXPECT_EQ(c.end_offset_for(4, end), std::pair(3, std::int64_t{200}));   // unknown: the one below it
    EXPECT_EQ(c.end_offset_for(0, end), std::pair(0, std::int64_t{0}));     // below every epoch
    EXPECT_EQ(c.end_offset_for(6, end), std::pair(undefined, std::int64_t{-1}));  // above every epoch
    EXPECT_EQ(c.end_offset_for(undefined, end), std::pair(undefined, std::int64_t{-1}));
    EXPECT_EQ(leader_epoch_cache().end_offset_for(0, end), std::pair(undefined, std::int64_t{-1}));
}

TEST(leader_epoch_cache, TruncationFromEitherEnd) {
    leader_epoch_cache c(entries{e(1, 0), e(3, 100), e(5, 200)});
    EXPECT_FALSE(c.truncate_from_end(model::offset(250)));
    EXPECT_TRUE(c.truncate_from_end(model::offset(200)));  // an entry starting at the new end goes
    EXPECT_EQ(c.entries(), (entries{e(1, 0), e(3, 100)}));
    EXPECT_TRUE(c.truncate_from_start(model::offset(150)));  // the last entry below moves up to the start
    EXPECT_EQ(c.entries(), (entries{e(3, 150)}));
    EXPECT_FALSE(c.truncate_from_start(model::offset(150)));
    EXPECT_FALSE(c.truncate_from_start(model::offset(20)));
}

TEST(leader_epoch_cache, TheCheckpointFileIsKafkasText) {
    const entries es{e(0, 0), e(4, 1234)};
    EXPECT_EQ(encode_leader_epoch_checkpoint(es), "0\n2\n0 0\n4 1234\n");
    EXPECT_EQ(decode_leader_epoch_checkpoint("0\n2\n0 0\n4 1234\n"), es);
    EXPECT_EQ(decode_leader_epoch_checkpoint("0\n0\n"), entries{});
    EXPECT_FALSE(decode_leader_epoch_checkpoint("1\n0\n"));               // unknown version
    EXPECT_FALSE(decode_leader_epoch_checkpoint("0\n2\n0 0\n"));          // fewer entries than counted
    EXPECT_FALSE(decode_leader_epoch_checkpoint("0\n2\n4 0\n1 10\n"));    // not ascending
    EXPECT_FALSE(decode_leader_epoch_checkpoint("0\n1\n0 x\n"));
    EXPECT_FALSE(decode_leader_epoch_checkpoint(""));
}

class leader_epochs : public log_fixture {
protected:
    std::optional<entries> on_disk() {
        auto data = fs.contents(dir / format::leader_epoch_checkpoint_file);
        if (!data) return std::nullopt;
        return decode_leader_epoch_checkpoint(bytes::as_chars(*data));
    }
    append_result append_in(std::int32_t epoch, int records = 2) {
        auto b = make_batch({.records = records});
        auto r = run(io, append_committed(*lg, b, model::leader_epoch(epoch)));
        EXPECT_TRUE(r.ok());
        return r.ok() ? *r : append_result{};
    }
};

TEST_F(leader_epochs, EachNewEpochIsOnDiskWithItsFirstBatch) {
    open_log();
    EXPECT_FALSE(on_disk());  // nothing written yet
    append_in(0);
    append_in(0);
    append_in(3);
    EXPECT_EQ(on_disk(), (entries{e(0, 0), e(3, 4)}));
    EXPECT_EQ(lg->end_offset_for_epoch(0), std::pair(0, model::offset(4)));
    EXPECT_EQ(lg->end_offset_for_epoch(3), std::pair(3, model::offset(6)));
    EXPECT_EQ(lg->end_offset_for_epoch(7), std::nullopt);
    // The epoch reached the disk before the batch did: a machine crash keeps both or neither.
    crash();
    open_log();
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(0, 0), e(3, 4)}));
}

TEST_F(leader_epochs, TruncationAndDeleteRecordsCutTheEpochs) {
    open_log();
    append_in(1);
    append_in(2);
    append_in(4);  // offsets 4-5
    ASSERT_TRUE(run(io, lg->truncate_to(model::offset(4))).ok());
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(1, 0), e(2, 2)}));
    ASSERT_TRUE(run(io, lg->delete_records_before(model::offset(3))).ok());
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(2, 3)}));
    // Cutting the list only marks the file stale: the next open cuts it the same way, and the next
    // append rewrites it before its batch.
    close_log();
    open_log();
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(2, 3)}));
    EXPECT_EQ(on_disk(), (entries{e(2, 3)}));
    // A truncation leaves (5, 4) in the file; the next batch, in epoch 2 at offset 4, must not be
    // described by it, so that append rewrites the file first.
    append_in(5);
    EXPECT_EQ(on_disk(), (entries{e(2, 3), e(5, 4)}));
    ASSERT_TRUE(run(io, lg->truncate_to(model::offset(4))).ok());
    EXPECT_EQ(on_disk(), (entries{e(2, 3), e(5, 4)}));
    append_in(2);
    EXPECT_EQ(on_disk(), (entries{e(2, 3)}));
    crash();
    open_log();
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(2, 3)}));
}

TEST_F(leader_epochs, ACrashThatCutsTheLogCutsTheEpochs) {
    open_log();
    append_in(1);
    append_in(2);
    const auto before = fs.contents(dir / format::offset_file_name(model::offset(0), format::log_suffix))->size();
    append_in(5);
    // Tear the last batch: recovery drops it, and with it the epoch it opened.
    const auto path = dir / format::offset_file_name(model::offset(0), format::log_suffix);
    auto data = *fs.contents(path);
    data.resize(before + 10);
    close_log();
    fs.set_contents(path, data);
    fs.remove(dir / format::clean_shutdown_file);
    open_log();
    EXPECT_EQ(lg->log_end_offset(), model::offset(4));
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(1, 0), e(2, 2)}));
    EXPECT_EQ(on_disk(), (entries{e(1, 0), e(2, 2)}));
}

TEST_F(leader_epochs, ALogWithoutTheFileGetsItRebuiltFromTheBatches) {
    open_log();
    append_in(0);
    append_in(2);
    append_in(2);
    close_log();
    fs.remove(dir / format::leader_epoch_checkpoint_file);
    open_log();
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(0, 0), e(2, 2)}));
    EXPECT_EQ(on_disk(), (entries{e(0, 0), e(2, 2)}));
    close_log();
    fs.set_contents(dir / format::leader_epoch_checkpoint_file, bytes::as_bytes(std::string_view("garbage")));
    open_log();
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(0, 0), e(2, 2)}));
}

TEST_F(leader_epochs, AFullDiskFailsTheAppendThatOpensAnEpoch) {
    open_log();
    append_in(1);
    fs.set_capacity(fs.used_bytes());  // no room for the new file
    auto b = make_batch({.records = 2});
    auto r = run(io, append_committed(*lg, b, model::leader_epoch(2)));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), storage_error::disk_full);
    EXPECT_EQ(lg->log_end_offset(), model::offset(2));
    EXPECT_EQ(lg->leader_epochs().entries(), (entries{e(1, 0)}));
    fs.set_capacity(std::nullopt);
    append_in(2);
    EXPECT_EQ(on_disk(), (entries{e(1, 0), e(2, 2)}));
}

}  // namespace
}  // namespace tributary::storage::test
