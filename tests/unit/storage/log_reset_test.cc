// log::truncate_fully_and_start_at: a follower's log replaced by an empty one at the leader's log start
// (raft::reset_op), then appended to, closed, crashed and reopened.
#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

class log_reset : public log_fixture {
protected:
    util::result<model::offset, storage_error> reset(std::int64_t offset) {
        return run(io, lg->truncate_fully_and_start_at(model::offset(offset)));
    }

    // A batch as a follower receives it: offsets and leader epoch set by the leader.
    append_result replicate(std::int64_t base_offset, std::int32_t epoch, int records = 2) {
        auto b = make_batch({.records = records});
        protocol::set_base_offset(b, model::offset(base_offset));
        protocol::set_partition_leader_epoch(b, model::leader_epoch(epoch));
        auto r = run(io, lg->append(b, model::leader_epoch(epoch), {.origin = append_origin::replication}));
        EXPECT_TRUE(r.ok()) << to_string(r.error());
        commit();
        return r.ok() ? *r : append_result{};
    }

    // Every offset the log reports is `o`, and it holds nothing.
    void expect_empty_at(std::int64_t o) {
        const model::offset at(o);
        EXPECT_EQ(lg->log_start_offset(), at);
        EXPECT_EQ(lg->log_end_offset(), at);
        EXPECT_EQ(lg->high_watermark(), at);
        EXPECT_EQ(lg->written_offset(), at);
        EXPECT_EQ(lg->flushed_offset(), at);
        EXPECT_EQ(lg->durable_offset(), at);
        EXPECT_EQ(lg->recovery_point(), at);
        ASSERT_EQ(lg->segments().size(), 1u);
        EXPECT_EQ(lg->segments()[0].base_offset, at);
        EXPECT_EQ(lg->segments()[0].size_bytes, 0u);
        EXPECT_TRUE(lg->leader_epochs().entries().empty());
        EXPECT_EQ(lg->producers().size(), 0u);
        auto r = read(at);
        ASSERT_TRUE(r.ok()) << to_string(r.error());
        EXPECT_TRUE(r->records.empty());
        if (o > 0) {
            EXPECT_EQ(read(model::offset(o - 1)).error(), storage_error::offset_out_of_range);
        }
    }

    // The names of the files in the partition directory that hold offsets (segments, indexes, snapshots).
    std::vector<std::string> offset_files() {
        std::vector<std::string> out;
        const auto names = fs.list(dir);
        for (const auto& name : *names) {
            for (auto suffix : {format::log_suffix, format::offset_index_suffix, format::time_index_suffix,
                                format::producer_snapshot_suffix}) {
                if (format::parse_offset_file_name(name, suffix)) out.push_back(name);
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }
};

TEST_F(log_reset, AnEmptyLogStartsAgainAtTheOffset) {
    open_log();
    auto r = reset(100);
    ASSERT_TRUE(r.ok()) << to_string(r.error());
    EXPECT_EQ(*r, model::offset(100));
    expect_empty_at(100);
    EXPECT_EQ(offset_files(), std::vector<std::string>{format::offset_file_name(model::offset(100), ".log")});
}

TEST_F(log_reset, ALogOfSeveralSegmentsResetPastItsEndKeepsNothing) {
    config.segment_bytes = 500;
    open_log();
    for (int i = 0; i < 20; ++i) {
        auto b = make_batch({.records = 2, .producer = producer_ids{.id = 9, .sequence = 2 * i}});
        ASSERT_TRUE(run(io, append_committed(*lg, b, model::leader_epoch(i < 10 ? 1 : 3))).ok());
    }
    ASSERT_GE(lg->segments().size(), 4u);
    ASSERT_EQ(lg->leader_epochs().entries().size(), 2u);
    ASSERT_EQ(lg->producers().size(), 1u);
    ASSERT_TRUE(fs.contents(dir / format::leader_epoch_checkpoint_file));

    ASSERT_TRUE(reset(1000).ok());
    expect_empty_at(1000);
    EXPECT_EQ(offset_files(),
              std::vector<std::string>{format::offset_file_name(model::offset(1000), ".log")});
    EXPECT_FALSE(fs.contents(dir / format::leader_epoch_checkpoint_file));
    EXPECT_EQ(*decode_partition_checkpoint(*fs.contents(dir / format::partition_checkpoint_file)),
              (partition_checkpoint{model::offset(1000), model::offset(1000)}));
    // The producer is forgotten: its next batch is a new producer's first, not a duplicate or a gap.
    auto next = append_ok({.records = 1, .producer = producer_ids{.id = 9, .epoch = 1, .sequence = 0}});
    EXPECT_EQ(next.base_offset, model::offset(1000));
    EXPECT_FALSE(next.duplicate);
}

TEST_F(log_reset, AnOffsetInsideTheLogStillRemovesAllOfIt) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 2}, {.acks_all = true});
    ASSERT_TRUE(reset(4).ok());
    expect_empty_at(4);
    EXPECT_EQ(append_ok({.records = 3}).base_offset, model::offset(4));
    auto data = read(model::offset(4));
    ASSERT_TRUE(data.ok());
    auto hs = headers_of(data->records);
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_EQ(hs[0].record_count, 3);
}

TEST_F(log_reset, AnOffsetBelowTheLogStartOffsetMovesTheStartDown) {
    open_log();
    for (int i = 0; i < 10; ++i) append_ok({.records = 2}, {.acks_all = true});
    ASSERT_TRUE(run(io, lg->delete_records_before(model::offset(15))).ok());
    ASSERT_TRUE(reset(6).ok());
    expect_empty_at(6);
    append_ok({.records = 2}, {.acks_all = true});
    crash();
    open_log();
    EXPECT_EQ(lg->log_start_offset(), model::offset(6));
    EXPECT_EQ(lg->log_end_offset(), model::offset(8));
}

TEST_F(log_reset, AResetLogReopensEmptyAfterACleanClose) {
    config.segment_bytes = 500;
    open_log();
    for (int i = 0; i < 12; ++i) append_ok({.records = 2, .producer = producer_ids{.sequence = 2 * i}});
    ASSERT_TRUE(reset(500).ok());
    open_log();  // closes cleanly first
    EXPECT_TRUE(lg->recovery().clean_shutdown);
    expect_empty_at(500);
}

TEST_F(log_reset, AResetIsDurableWhenItReturns) {
    config.segment_bytes = 500;
    open_log();
    for (int i = 0; i < 12; ++i) append_ok({.records = 2, .producer = producer_ids{.sequence = 2 * i}});
    ASSERT_TRUE(reset(500).ok());
    crash();
    open_log();
    EXPECT_FALSE(lg->recovery().clean_shutdown);
    expect_empty_at(500);
    EXPECT_TRUE(lg->recovery().notes.empty()) << to_string(lg->recovery());
}

// What a crash leaves between the reset's first step (partition.checkpoint at the new start) and the
// removal of the old segments: the old log, with nothing readable below the new start.
TEST_F(log_reset, ACrashAfterTheCheckpointOnlyReopensAPartOfTheOldLog) {
    config.segment_bytes = 500;
    open_log();
    for (int i = 0; i < 12; ++i) append_ok({.records = 2}, {.acks_all = true});
    const model::offset old_end = lg->log_end_offset();
    crash();
    for (const std::int64_t start : {1000, 10}) {
        fs.set_contents(dir / format::partition_checkpoint_file,
                        encode_partition_checkpoint({model::offset(start), model::offset(start)}));
        open_log();
        const model::offset expected_start = std::min(model::offset(start), old_end);
        EXPECT_EQ(lg->log_start_offset(), expected_start);
        EXPECT_EQ(lg->log_end_offset(), old_end);
        close_log();
    }
}

TEST_F(log_reset, ReplicatedAppendsAfterAResetSurviveACrash) {
    open_log();
    replicate(0, 1);
    replicate(2, 1);
    ASSERT_TRUE(reset(1000).ok());
    replicate(1000, 4, 3);
    replicate(1003, 5, 2);
    const std::vector<epoch_entry> epochs{{4, model::offset(1000)}, {5, model::offset(1003)}};
    ASSERT_EQ(run(io, lg->flush()), storage_error::none);
    EXPECT_EQ(lg->leader_epochs().entries(), epochs);
    crash();
    open_log();
    EXPECT_EQ(lg->log_start_offset(), model::offset(1000));
    EXPECT_EQ(lg->log_end_offset(), model::offset(1005));
    EXPECT_EQ(lg->leader_epochs().entries(), epochs);
    auto data = read(model::offset(1000), 1 << 20, model::offset(1005));
    ASSERT_TRUE(data.ok());
    auto hs = headers_of(data->records);
    ASSERT_EQ(hs.size(), 2u);
    EXPECT_EQ(hs[0].base_offset, model::offset(1000));
    EXPECT_EQ(hs[1].base_offset, model::offset(1003));
    EXPECT_EQ(hs[1].partition_leader_epoch, model::leader_epoch(5));
}

TEST_F(log_reset, ClientAppendsAfterAResetSurviveACleanClose) {
    open_log();
    for (int i = 0; i < 3; ++i) append_ok({.records = 2, .producer = producer_ids{.sequence = 2 * i}});
    ASSERT_TRUE(reset(50).ok());
    EXPECT_EQ(append_ok({.records = 2, .producer = producer_ids{.epoch = 1}}, {.acks_all = true}).base_offset,
              model::offset(50));
    EXPECT_EQ(append_ok({.records = 2}, {.acks_all = true}).base_offset, model::offset(52));
    open_log();
    EXPECT_EQ(lg->log_start_offset(), model::offset(50));
    EXPECT_EQ(lg->log_end_offset(), model::offset(54));
    EXPECT_EQ(lg->leader_epochs().entries(), (std::vector<epoch_entry>{{7, model::offset(50)}}));
    EXPECT_EQ(lg->producers().find(model::producer_id(1000))->last_sequence(), 1);
    auto hs = headers_of(read(model::offset(50))->records);
    ASSERT_EQ(hs.size(), 2u);
    EXPECT_EQ(hs[1].base_offset, model::offset(52));
}

// A wait for an offset that the reset removed must not report it written: the log end moved up past it.
TEST_F(log_reset, AWaitForAnOffsetTheResetRemovedEndsTruncated) {
    config.flush_messages = 1'000'000;  // appends do not flush by themselves
    open_log();
    append_ok({.records = 2});
    ASSERT_LT(lg->flushed_offset(), model::offset(2));
    std::optional<util::result<model::offset, storage_error>> reset_result;
    std::optional<storage_error> waited;
    // The reset starts first (co_spawn runs them in order), so the flush the wait asks for never runs.
    asio::co_spawn(io, store_into(lg->truncate_fully_and_start_at(model::offset(100)), &reset_result),
                   asio::detached);
    asio::co_spawn(io, store_into(lg->wait_flushed(model::offset(1)), &waited), asio::detached);
    io.restart();
    io.run();
    ASSERT_TRUE(reset_result && reset_result->ok());
    ASSERT_TRUE(waited);
    EXPECT_EQ(*waited, storage_error::truncated);
    expect_empty_at(100);
}

}  // namespace
}  // namespace tributary::storage::test
