// Idempotent producer state: Kafka's sequence/epoch rules, snapshots, and the log's use of them.
#include <limits>

#include "protocol/record_batch_control.h"
#include "storage/producer_snapshot.h"
#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

protocol::record_batch_header batch(std::int64_t pid, std::int16_t epoch, std::int32_t seq, int records,
                                    std::int64_t base_offset, bool transactional = false) {
    protocol::record_batch_header h;
    h.producer_id = model::producer_id(pid);
    h.producer_epoch = model::producer_epoch(epoch);
    h.base_sequence = seq;
    h.last_offset_delta = records - 1;
    h.record_count = records;
    h.base_offset = model::offset(base_offset);
    h.max_timestamp = 1000 + base_offset;
    if (transactional) h.attributes = protocol::batch_format::transactional_bit;
    return h;
}

storage_error apply(producer_state& s, const protocol::record_batch_header& h,
                    append_origin origin = append_origin::client,
                    std::optional<txn_marker> marker = std::nullopt) {
    producer_append a(s, origin);
    auto e = a.add(h, marker);
    if (e == storage_error::none) std::move(a).commit(s);
    return e;
}

TEST(producer_state, ANewProducerStartsAtAnySequence) {
    producer_state s;
    EXPECT_EQ(apply(s, batch(1, 0, 0, 5, 0)), storage_error::none);
    // KIP-360: no state (never seen, or removed by retention) accepts any sequence.
    EXPECT_EQ(apply(s, batch(2, 3, 17, 1, 5)), storage_error::none);
    EXPECT_EQ(s.find(model::producer_id(1))->last_sequence(), 4);
}

TEST(producer_state, SequencesMustBeConsecutive) {
    producer_state s;
    ASSERT_EQ(apply(s, batch(1, 0, 0, 5, 0)), storage_error::none);
    EXPECT_EQ(apply(s, batch(1, 0, 6, 1, 5)), storage_error::out_of_order_sequence);
    EXPECT_EQ(apply(s, batch(1, 0, 4, 1, 5)), storage_error::out_of_order_sequence);
    EXPECT_EQ(apply(s, batch(1, 0, 5, 1, 5)), storage_error::none);
}

TEST(producer_state, TheSequenceWrapsFromInt32MaxToZero) {
    producer_state s;
    constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
    ASSERT_EQ(apply(s, batch(1, 0, max - 2, 3, 0)), storage_error::none);
    EXPECT_EQ(s.find(model::producer_id(1))->last_sequence(), max);
    EXPECT_EQ(apply(s, batch(1, 0, 0, 2, 3)), storage_error::none);
    // A batch spanning the wrap: last sequence is counted past INT32_MAX to 0.
    ASSERT_EQ(apply(s, batch(2, 0, max - 1, 4, 10)), storage_error::none);
    EXPECT_EQ(s.find(model::producer_id(2))->last_sequence(), 1);
}

TEST(producer_state, AnEpochBumpMustRestartAtSequenceZero) {
    producer_state s;
    ASSERT_EQ(apply(s, batch(1, 0, 0, 5, 0)), storage_error::none);
    EXPECT_EQ(apply(s, batch(1, 1, 5, 1, 5)), storage_error::out_of_order_sequence);
    EXPECT_EQ(apply(s, batch(1, 1, 0, 1, 5)), storage_error::none);
    const auto* e = s.find(model::producer_id(1));
    EXPECT_EQ(e->epoch, model::producer_epoch(1));
    EXPECT_EQ(e->batches.size(), 1u);  // the old epoch's batches are forgotten
}

TEST(producer_state, AnOlderEpochIsFenced) {
    producer_state s;
    ASSERT_EQ(apply(s, batch(1, 3, 0, 1, 0)), storage_error::none);
    EXPECT_EQ(apply(s, batch(1, 2, 1, 1, 1)), storage_error::invalid_producer_epoch);
    EXPECT_EQ(to_error_code(storage_error::invalid_producer_epoch),
              model::error_code::invalid_producer_epoch);
}

TEST(producer_state, OnlyTheLastFiveBatchesAreRememberedAsDuplicates) {
    producer_state s;
    for (int i = 0; i < 7; ++i) ASSERT_EQ(apply(s, batch(1, 0, i * 2, 2, i * 2)), storage_error::none);
    EXPECT_FALSE(s.find_duplicate(batch(1, 0, 2, 2, 0)));  // the second batch: evicted
    auto dup = s.find_duplicate(batch(1, 0, 4, 2, 0));
    ASSERT_TRUE(dup);
    EXPECT_EQ(dup->first_offset, model::offset(4));
    EXPECT_EQ(dup->last_offset, model::offset(5));
    EXPECT_FALSE(s.find_duplicate(batch(1, 1, 4, 2, 0)));  // another epoch is not a duplicate
    EXPECT_FALSE(s.find_duplicate(batch(1, 0, 4, 3, 0)));  // nor another sequence range
}

TEST(producer_state, BatchesOfOneAppendAreCheckedAgainstEachOther) {
    producer_state s;
    ASSERT_EQ(apply(s, batch(1, 0, 0, 2, 0)), storage_error::none);
    producer_append a(s, append_origin::client);
    EXPECT_EQ(a.add(batch(1, 0, 2, 2, 2)), storage_error::none);
    EXPECT_EQ(a.add(batch(1, 0, 4, 2, 4)), storage_error::none);
    EXPECT_EQ(a.add(batch(1, 0, 9, 2, 6)), storage_error::out_of_order_sequence);
    EXPECT_EQ(s.find(model::producer_id(1))->last_sequence(), 1);  // nothing changes before commit
}

TEST(producer_state, ANewProducersFirstAppendIsNotCheckedWithinItself) {
    // Kafka checks against the committed entry's epoch: with no state, every batch of the append passes.
    producer_state s;
    producer_append a(s, append_origin::client);
    EXPECT_EQ(a.add(batch(1, 0, 0, 2, 0)), storage_error::none);
    EXPECT_EQ(a.add(batch(1, 0, 9, 2, 2)), storage_error::none);
}

TEST(producer_state, TransactionsOpenWithADataBatchAndCloseWithAMarker) {
    producer_state s;
    ASSERT_EQ(apply(s, batch(1, 0, 0, 2, 10, true)), storage_error::none);
    EXPECT_EQ(s.first_unstable_offset(), model::offset(10));
    EXPECT_EQ(apply(s, batch(1, 0, 2, 1, 12, false)), storage_error::invalid_txn_state);
    auto marker = batch(1, 0, -1, 1, 13, true);
    marker.attributes |= protocol::batch_format::control_bit;
    EXPECT_EQ(
        apply(s, marker, append_origin::coordinator, txn_marker{protocol::control_record_type::commit, 5}),
        storage_error::none);
    EXPECT_FALSE(s.first_unstable_offset());
    EXPECT_EQ(
        apply(s, marker, append_origin::coordinator, txn_marker{protocol::control_record_type::abort, 4}),
        storage_error::coordinator_fenced);
}

TEST(producer_state, ProducersExpireAfterTheirLastBatch) {
    producer_state s;
    ASSERT_EQ(apply(s, batch(1, 0, 0, 1, 0)), storage_error::none);  // timestamp 1000
    EXPECT_EQ(s.remove_expired(1500, 1000), 0u);
    EXPECT_EQ(s.remove_expired(2000, 1000), 1u);
    EXPECT_EQ(s.size(), 0u);
}

TEST(producer_snapshot, RoundTripsEveryField) {
    producer_state s;
    for (int i = 0; i < 6; ++i) ASSERT_EQ(apply(s, batch(7, 2, i, 1, i)), storage_error::none);
    ASSERT_EQ(apply(s, batch(8, 0, 0, 3, 10, true)), storage_error::none);
    auto data = encode_producer_snapshot(model::offset(13), s);
    auto back = decode_producer_snapshot(data);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->offset, model::offset(13));
    EXPECT_EQ(back->state, s);
}

TEST(producer_snapshot, ADamagedSnapshotIsRejected) {
    producer_state s;
    ASSERT_EQ(apply(s, batch(7, 2, 0, 1, 0)), storage_error::none);
    auto data = encode_producer_snapshot(model::offset(1), s);
    data[data.size() - 3] ^= 0x40;
    EXPECT_EQ(decode_producer_snapshot(data).error(), snapshot_error::envelope);
}

// --- Through the log ---

using log_producers = log_fixture;

TEST_F(log_producers, DuplicateBatchReturnsOriginalOffsets) {
    open_log();
    append_ok({.records = 2});
    const batch_spec spec{.records = 3, .producer = producer_ids{.id = 5, .epoch = 0, .sequence = 0}};
    auto first = append_ok(spec);
    append_ok({.records = 1});
    auto retry = append(make_batch(spec));
    ASSERT_TRUE(retry.ok());
    EXPECT_TRUE(retry->duplicate);
    EXPECT_EQ(retry->base_offset, first.base_offset);
    EXPECT_EQ(retry->last_offset, first.last_offset);
    EXPECT_EQ(lg->log_end_offset(), model::offset(6));  // not appended again
}

TEST_F(log_producers, OutOfOrderSequenceIsRejectedWithoutAppending) {
    open_log();
    append_ok({.records = 3, .producer = producer_ids{.id = 5, .sequence = 0}});
    auto r = append(make_batch({.records = 1, .producer = producer_ids{.id = 5, .sequence = 7}}));
    EXPECT_EQ(r.error(), storage_error::out_of_order_sequence);
    EXPECT_EQ(to_error_code(r.error()), model::error_code::out_of_order_sequence_number);
    EXPECT_EQ(lg->log_end_offset(), model::offset(3));
}

TEST_F(log_producers, ProducerStateSurvivesRestart) {
    config.segment_bytes = 700;  // several rolls, so snapshots are taken along the way
    open_log();
    for (int i = 0; i < 12; ++i) {
        append_ok({.records = 2, .producer = producer_ids{.id = 5, .sequence = 2 * i}});
        append_ok({.records = 1, .producer = producer_ids{.id = 6, .epoch = 3, .sequence = i}});
    }
    const producer_state before = lg->producers();
    close_log();
    open_log();
    EXPECT_TRUE(lg->recovery().clean_shutdown);
    EXPECT_EQ(lg->producers(), before);
    auto retry = append(make_batch({.records = 2, .producer = producer_ids{.id = 5, .sequence = 22}}));
    ASSERT_TRUE(retry.ok());
    EXPECT_TRUE(retry->duplicate);
    auto next =
        append(make_batch({.records = 1, .producer = producer_ids{.id = 6, .epoch = 3, .sequence = 12}}));
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(next->duplicate);
}

TEST_F(log_producers, RestartsDoNotAccumulateSnapshots) {
    open_log();
    for (int i = 0; i < 4; ++i) {
        append_ok({.records = 1, .producer = producer_ids{.id = 5, .sequence = i}});
        close_log();
        open_log();
    }
    std::size_t snapshots = 0;
    const auto names = fs.list(dir);
    for (const auto& name : *names) snapshots += name.ends_with(".snapshot");
    EXPECT_EQ(snapshots, 1u);
    EXPECT_EQ(lg->producers().find(model::producer_id(5))->last_sequence(), 3);
}

TEST_F(log_producers, ProducerStateIsRebuiltAfterACrash) {
    config.segment_bytes = 700;
    open_log();
    for (int i = 0; i < 12; ++i) {
        append_ok({.records = 2, .producer = producer_ids{.id = 5, .sequence = 2 * i}}, {.acks_all = true});
    }
    const producer_state before = lg->producers();
    crash();
    open_log();
    EXPECT_FALSE(lg->recovery().clean_shutdown);
    EXPECT_TRUE(lg->recovery().producer_snapshot.has_value());
    EXPECT_EQ(lg->producers(), before);
}

TEST_F(log_producers, DeletedSnapshotsAreRebuiltFromTheLog) {
    config.segment_bytes = 700;
    open_log();
    for (int i = 0; i < 12; ++i)
        append_ok({.records = 2, .producer = producer_ids{.id = 5, .sequence = 2 * i}});
    const producer_state before = lg->producers();
    close_log();
    const auto names = fs.list(dir);
    for (const auto& name : *names) {
        if (name.ends_with(".snapshot")) fs.remove(dir / name);
    }
    open_log();
    EXPECT_FALSE(lg->recovery().producer_snapshot.has_value());
    EXPECT_EQ(lg->recovery().batches_replayed, 12u);
    EXPECT_EQ(lg->producers(), before);
}

}  // namespace
}  // namespace tributary::storage::test
