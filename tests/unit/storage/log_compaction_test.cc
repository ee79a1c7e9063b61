// Compaction (log::compact, log_cleaner.h): the latest record per key survives at its offset, tombstones
// live for delete.retention.ms after their first cleaning, producer state survives in empty batches, and
// a swap interrupted by a crash at any step is completed or rolled back by the next open.
#include <map>

#include "protocol/record_batch_reader.h"
#include "storage/log_checker.h"
#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

struct rec {
    model::offset offset;
    std::string key;
    std::optional<std::string> value;
};

bytes::byte_vector keyed_batch(const std::string& key, std::optional<std::string> value, std::int64_t ts,
                               std::optional<producer_ids> producer = std::nullopt) {
    protocol::record_batch_builder b;
    if (producer)
        b.producer(model::producer_id(producer->id), model::producer_epoch(producer->epoch), producer->sequence);
    std::optional<bytes::bytes_view> v;
    if (value) v = bytes::as_bytes(*value);
    b.add(ts, bytes::as_bytes(key), v);
    return std::move(b.build()).value();
}

class log_compaction : public log_fixture {
protected:
    log_compaction() {
        config.compact = true;
        config.retention_ms = -1;
        config.segment_bytes = 600;
        config.index_interval_bytes = 100;
        config.delete_retention_ms = 10'000;
    }

    // Appends `count` updates cycling over `keys` keys; remembers what was written.
    void write_updates(int count, int keys, int first = 0) {
        for (int i = first; i < first + count; ++i) {
            std::string key = "key-";
            key += std::to_string(i % keys);
            std::string value = "value-";
            value += std::to_string(i);
            auto r = append(keyed_batch(key, value, clock.now_ms()), {.acks_all = true});
            ASSERT_TRUE(r.ok());
            written.push_back({r->base_offset, key, value});
        }
    }

    std::vector<rec> read_all() {
        std::vector<rec> out;
        model::offset from = lg->log_start_offset();
        protocol::record_reader reader;
        while (from < lg->high_watermark()) {
            auto r = read(from);
            EXPECT_TRUE(r.ok());
            if (!r.ok() || r->records.empty()) break;
            protocol::batch_iterator it(r->records);
            while (it.next()) {
                EXPECT_EQ(reader.open(it.batch()), protocol::batch_error::none);
                while (reader.next()) {
                    const auto& x = reader.record();
                    std::optional<std::string> value;
                    if (x.value) value = std::string(bytes::as_chars(*x.value));
                    out.push_back({x.offset, x.key ? std::string(bytes::as_chars(*x.key)) : std::string("<null>"), value});
                }
                batches.push_back(it.header());
            }
            from = r->next_offset;
        }
        return out;
    }

    compaction_result compact(compaction_options options = {.force = true}) {
        auto r = run(io, lg->compact(options));
        EXPECT_TRUE(r.ok()) << to_string(r.error());
        return r.ok() ? *r : compaction_result{};
    }

    // For every key written: the latest value, at its offset, is in `log`; every record of `log` is one
    // that was written, at the offset it was written at.
    void expect_latest_values_kept(const std::vector<rec>& log) {
        std::map<std::string, rec> latest;
        for (const auto& w : written) latest[w.key] = w;
        std::map<std::int64_t, const rec*> by_offset;
        for (const auto& w : written) by_offset[w.offset.value()] = &w;
        for (const auto& [key, w] : latest) {
            auto it = std::find_if(log.begin(), log.end(), [&](const rec& r) { return r.offset == w.offset; });
            ASSERT_NE(it, log.end()) << "latest record of " << key << " at " << w.offset.value() << " is gone";
            EXPECT_EQ(it->key, key);
            EXPECT_EQ(it->value, w.value);
        }
        for (std::size_t i = 0; i < log.size(); ++i) {
            if (i > 0) {
                EXPECT_LT(log[i - 1].offset, log[i].offset);
            }
            auto w = by_offset.find(log[i].offset.value());
            ASSERT_NE(w, by_offset.end()) << "offset " << log[i].offset.value() << " was never written";
            EXPECT_EQ(w->second->key, log[i].key);
            EXPECT_EQ(w->second->value, log[i].value);
        }
    }

    std::vector<rec> written;
    std::vector<protocol::record_batch_header> batches;
};

TEST_F(log_compaction, KeepsTheLatestRecordPerKeyAtItsOffset) {
    open_log();
    write_updates(80, 4);
    const auto segments_before = lg->segments().size();
    ASSERT_GE(segments_before, 8u);
    const auto r = compact();
    EXPECT_TRUE(r.cleaned);
    EXPECT_GT(r.records_removed, 60u);
    EXPECT_LT(lg->segments().size(), segments_before);  // small neighbours were merged
    auto log = read_all();
    expect_latest_values_kept(log);
    // Below the cleaned point each key appears once.
    std::map<std::string, int> seen;
    for (const auto& x : log)
        if (x.offset < r.cleaned_up_to) {
            ++seen[x.key];
        }
    for (const auto& [key, n] : seen) EXPECT_EQ(n, 1) << key;
    // Offsets are kept, so the log end does not move, and gaps read through.
    EXPECT_EQ(lg->log_end_offset(), model::offset(80));
    auto from_gap = read(model::offset(1));
    ASSERT_TRUE(from_gap.ok());
    EXPECT_GT(from_gap->first_offset, model::offset(0));

    // What a reopen (clean or after a crash) finds is the same, and check-log accepts the gaps.
    close_log();
    auto c = check_partition_dir(fs, dir);
    EXPECT_TRUE(c.problems.empty()) << (c.problems.empty() ? "" : c.problems.front());
    open_log();
    expect_latest_values_kept(read_all());
    crash();
    open_log();
    expect_latest_values_kept(read_all());
}

TEST_F(log_compaction, TheDirtyRatioDecidesUnlessForced) {
    config.min_cleanable_dirty_ratio = 0.5;
    open_log();
    write_updates(60, 3);
    EXPECT_TRUE(compact({}).cleaned);  // all dirty: ratio 1
    // New data after a clean pass: due only once its share of the cleanable bytes reaches the ratio.
    write_updates(20, 3, 60);
    config.min_cleanable_dirty_ratio = 0.99;
    lg->update_config(config);
    auto r = compact({});
    EXPECT_FALSE(r.cleaned);
    EXPECT_GT(r.dirty_ratio, 0.0);
    EXPECT_LT(r.dirty_ratio, 0.99);
    config.min_cleanable_dirty_ratio = r.dirty_ratio;
    lg->update_config(config);
    r = compact({});
    EXPECT_TRUE(r.cleaned);
    expect_latest_values_kept(read_all());
}

TEST_F(log_compaction, MinCompactionLagKeepsYoungSegmentsDirty) {
    config.min_compaction_lag_ms = 60'000;
    open_log();
    write_updates(60, 3);
    auto r = compact();
    EXPECT_FALSE(r.cleaned);  // every segment is younger than the lag
    clock.advance_ms(120'000);
    write_updates(10, 3, 60);
    r = compact();
    EXPECT_TRUE(r.cleaned);
    EXPECT_LE(r.cleaned_up_to, model::offset(60));
    expect_latest_values_kept(read_all());
}

TEST_F(log_compaction, ATombstoneIsKeptThenRemovedAfterItsHorizon) {
    open_log();
    write_updates(20, 2);  // key-0 and key-1
    auto t = append(keyed_batch("key-0", std::nullopt, clock.now_ms()), {.acks_all = true});
    ASSERT_TRUE(t.ok());
    // Filler under another key so the tombstone's segment is closed.
    for (int i = 0; i < 30; ++i) {
        std::string v = "f";
        v += std::to_string(i);
        ASSERT_TRUE(append(keyed_batch("filler", v, clock.now_ms()), {.acks_all = true}).ok());
    }
    compact();
    auto log = read_all();
    auto is_tombstone = [&](const rec& r) { return r.offset == t->base_offset; };
    ASSERT_EQ(std::count_if(log.begin(), log.end(), is_tombstone), 1);  // kept, horizon set
    for (const auto& x : log) EXPECT_FALSE(x.key == "key-0" && x.value) << "key-0 has a value again";
    bool horizon_set = false;
    for (const auto& h : batches)
        if (h.base_offset == t->base_offset) horizon_set = h.has_delete_horizon();
    EXPECT_TRUE(horizon_set);

    // Not yet past the horizon: a pass keeps it (a pass is due only once the horizon passes).
    clock.advance_ms(5'000);
    EXPECT_FALSE(compact({}).cleaned);
    clock.advance_ms(6'000);
    EXPECT_TRUE(compact({}).cleaned);
    log = read_all();
    EXPECT_EQ(std::count_if(log.begin(), log.end(), is_tombstone), 0);
    for (const auto& x : log) EXPECT_NE(x.key, "key-0");
    EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const rec& r) { return r.key == "key-1"; }));
}

TEST_F(log_compaction, TheLastBatchOfAProducerStaysEmptySoIdempotenceSurvives) {
    open_log();
    producer_ids p{.id = 4242, .epoch = 3, .sequence = 0};
    for (int i = 0; i < 3; ++i) {
        p.sequence = i;
        ASSERT_TRUE(append(keyed_batch("owned", "by-producer", clock.now_ms(), p), {.acks_all = true}).ok());
    }
    // Later plain writes to the same key make all three producer batches obsolete.
    write_updates(40, 1);  // key-0
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(append(keyed_batch("owned", "plain", clock.now_ms()), {.acks_all = true}).ok());
    compact();
    read_all();
    int producer_batches = 0;
    for (const auto& h : batches) {
        if (h.producer_id.value() != 4242) continue;
        ++producer_batches;
        EXPECT_EQ(h.record_count, 0);
        EXPECT_EQ(h.base_offset, model::offset(2));  // the last one, where it was
        EXPECT_EQ(h.last_sequence(), 2);
    }
    EXPECT_EQ(producer_batches, 1);
    // After a crash the state is rebuilt from the log: the next sequence is accepted, a retry is a duplicate.
    crash();
    open_log();
    auto* entry = lg->producers().find(model::producer_id(4242));
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->last_sequence(), 2);
    p.sequence = 2;
    auto dup = append(keyed_batch("owned", "by-producer", clock.now_ms(), p), {.acks_all = true});
    ASSERT_TRUE(dup.ok());
    EXPECT_TRUE(dup->duplicate);
    p.sequence = 3;
    EXPECT_TRUE(append(keyed_batch("owned", "next", clock.now_ms(), p), {.acks_all = true}).ok());
}

TEST_F(log_compaction, RecordsWithoutAKeyAreDropped) {
    open_log();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(append(make_batch({.records = 1}), {.acks_all = true}).ok());  // key k0
    protocol::record_batch_builder b;
    b.add(clock.now_ms(), std::nullopt, bytes::as_bytes(std::string("no key")));
    ASSERT_TRUE(append(std::move(b.build()).value(), {.acks_all = true}).ok());
    write_updates(40, 2);
    compact();
    for (const auto& x : read_all()) EXPECT_NE(x.value, std::optional<std::string>("no key"));
}

TEST_F(log_compaction, CompactAndDeleteBothApply) {
    config.retention_bytes = 1500;  // cleanup.policy=compact,delete: retention stays on
    open_log();
    write_updates(80, 4);
    compact();
    expect_latest_values_kept(read_all());
    // New updates for every key; retention then deletes the oldest segments by size.
    write_updates(80, 4, 80);
    auto r = run(io, lg->apply_retention());
    ASSERT_TRUE(r.ok());
    EXPECT_GT(r->segments_deleted, 0u);
    EXPECT_GT(lg->log_start_offset(), model::offset(0));
    EXPECT_LE(lg->size_bytes(), 1500u + static_cast<std::uint64_t>(config.segment_bytes));
    compact();
    auto log = read_all();
    ASSERT_FALSE(log.empty());
    // The newest value of each key was written last, so neither policy may have removed it.
    std::map<std::string, rec> latest;
    for (const auto& w : written) latest[w.key] = w;
    for (const auto& [key, w] : latest) {
        EXPECT_TRUE(std::any_of(log.begin(), log.end(), [&](const rec& x) { return x.offset == w.offset; })) << key;
    }
}

// A crash at each step of the swap: the next open completes it or rolls it back, and either way every
// key's latest value is there and check-log is content.
class log_compaction_crash : public log_compaction, public ::testing::WithParamInterface<swap_step> {};

TEST_P(log_compaction_crash, AnInterruptedSwapIsCompletedOrRolledBack) {
    open_log();
    write_updates(80, 4);
    const auto segments_before = lg->segments().size();
    compact({.force = true, .stop_after = GetParam()});
    crash();
    open_log();
    const auto& notes = lg->recovery().notes;
    const bool decided = GetParam() >= swap_step::renamed_to_swap;
    const bool noted = std::any_of(notes.begin(), notes.end(), [&](const std::string& n) {
        return n.find(decided ? "completed the interrupted compaction swap" : "removed unfinished compaction") !=
               std::string::npos;
    });
    // (A crash right after step 1 loses the .cleaned file's name too: nothing to note then.)
    if (GetParam() == swap_step::renamed_to_swap || GetParam() == swap_step::old_removed) {
        EXPECT_TRUE(noted) << to_string(lg->recovery());
    }
    if (decided) {
        EXPECT_LT(lg->segments().size(), segments_before);
    } else {
        EXPECT_EQ(lg->segments().size(), segments_before);
    }
    expect_latest_values_kept(read_all());
    EXPECT_EQ(lg->log_end_offset(), model::offset(80));
    // A later pass finishes the job.
    compact();
    expect_latest_values_kept(read_all());
    close_log();
    auto names = fs.list(dir).value();
    for (const auto& n : names) {
        EXPECT_FALSE(n.ends_with(".cleaned")) << n;
        EXPECT_FALSE(n.ends_with(".swap")) << n;
    }
    auto c = check_partition_dir(fs, dir);
    EXPECT_TRUE(c.problems.empty()) << (c.problems.empty() ? "" : c.problems.front());
}

INSTANTIATE_TEST_SUITE_P(EachStep, log_compaction_crash,
                         ::testing::Values(swap_step::cleaned_synced, swap_step::renamed_to_swap,
                                           swap_step::old_removed, swap_step::swapped_in, swap_step::done));

}  // namespace
}  // namespace tributary::storage::test
