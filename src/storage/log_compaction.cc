// The event-loop side of compaction: deciding whether a log needs a cleaning pass and which segments it
// covers (Kafka's LogCleanerManager), and running it as a sequence of bounded disk tasks (log_cleaner.h)
// while appends and reads go on.
#include <spdlog/spdlog.h>

#include <limits>

#include "storage/format.h"
#include "storage/log_internal.h"

namespace tributary::storage {

awaitable<storage_error> log::discard_cleaned(std::shared_ptr<cleaned_segment> cleaned) {
    auto task = [&fs = env_.fs, cleaned] {
        cleaned->files->log.reset();
        auto e = fs.remove(cleaned->cleaned_path);
        return e == make_errno(ENOENT) ? sys_errno::none : e;
    };
    co_await run_on_disk(env_.disk, std::move(task));
    co_return check_open();
}

awaitable<util::result<compaction_result, storage_error>> log::compact(compaction_options options) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    compaction_result out;
    if (!config_.compact) co_return out;
    op_guard guard(*this);
    if (auto e = co_await wait_for_maintenance(); e != storage_error::none) co_return e;
    exclusive_guard exclusive(*this);
    const std::int64_t now = env_.clock.now_ms();

    // The first uncleanable offset (Kafka's LogCleanerManager.cleanableOffsets).
    model::offset uncleanable = std::min(active().base_offset(), high_watermark());
    if (auto u = producers_.first_unstable_offset()) uncleanable = std::min(uncleanable, *u);
    const model::offset first_dirty = std::max(cleaner_point_, log_start_offset_);
    if (config_.min_compaction_lag_ms > 0) {
        for (std::size_t i = 0; i + 1 < segments_.size(); ++i) {
            if (segments_[i + 1]->base_offset() <= first_dirty) continue;
            if (segments_[i]->base_offset() >= uncleanable) break;
            if (auto e = co_await ensure_loaded(segments_[i]); e != storage_error::none) co_return e;
            if (segments_[i]->max_timestamp() > now - config_.min_compaction_lag_ms) {
                uncleanable = std::min(uncleanable, segments_[i]->base_offset());
                break;
            }
        }
    }
    // Closed segments wholly below it: [0, cleanable); the dirty ones: [first_dirty_index, cleanable).
    std::size_t cleanable = 0;
    while (cleanable + 1 < segments_.size() && segments_[cleanable + 1]->base_offset() <= uncleanable) ++cleanable;
    if (cleanable == 0) co_return out;
    std::size_t first_dirty_index = 0;
    while (first_dirty_index < cleanable && segments_[first_dirty_index + 1]->base_offset() <= first_dirty)
        ++first_dirty_index;
    std::uint64_t clean_bytes = 0;
    std::uint64_t dirty_bytes = 0;
    for (std::size_t i = 0; i < cleanable; ++i) (i < first_dirty_index ? clean_bytes : dirty_bytes) += segments_[i]->size();
    out.dirty_ratio = clean_bytes + dirty_bytes == 0
                          ? 0.0
                          : static_cast<double>(dirty_bytes) / static_cast<double>(clean_bytes + dirty_bytes);
    bool due = options.force || (dirty_bytes > 0 && out.dirty_ratio >= config_.min_cleanable_dirty_ratio);
    if (!due && dirty_bytes > 0 && config_.max_compaction_lag_ms < std::numeric_limits<std::int64_t>::max()) {
        // The oldest dirty record has waited longer than max.compaction.lag.ms (by its segment's first
        // batch, as Kafka judges it; the segment's largest timestamp when that is not known).
        auto seg = segments_[first_dirty_index];
        if (auto e = co_await ensure_loaded(seg); e != storage_error::none) co_return e;
        const std::int64_t ts = seg->rolling_base_timestamp().value_or(seg->max_timestamp());
        due = ts >= 0 && now - ts > config_.max_compaction_lag_ms;
    }
    if (!due && next_delete_horizon_ && now >= *next_delete_horizon_) due = true;  // tombstones to drop
    if (!due) co_return out;
    mark_dirty();

    // The offset map over the dirty section, segment by segment, until it is full.
    auto map = std::make_shared<offset_map>(options.offset_map_bytes);
    std::size_t mapped = first_dirty_index;
    for (std::size_t i = first_dirty_index; i < cleanable; ++i) {
        if (map->full() && i > first_dirty_index) break;
        const auto seg = segments_[i];
        for (std::uint64_t pos = 0; pos < seg->size();) {
            auto task = [files = seg->files(), pos, size = seg->size(), map, budget = options.chunk_bytes] {
                return map_segment_chunk(*files->log, pos, size, *map, budget);
            };
            const chunk_result r = co_await run_on_disk(env_.disk, std::move(task));
            if (r.io_error != sys_errno::none || r.corrupt) {
                spdlog::error("{}: compaction stopped: segment {} {}", dir_.string(), seg->base_offset().value(),
                              r.corrupt ? "holds an invalid batch" : describe(r.io_error));
                co_return r.corrupt ? storage_error::corrupt_data : storage_error::io_error;
            }
            if (auto e = check_open(); e != storage_error::none) co_return e;
            pos = r.next_position;
        }
        mapped = i + 1;
    }
    if (first_dirty_index == cleanable) mapped = cleanable;  // only tombstones to drop: reclean it all
    const model::offset clean_end = segments_[mapped]->base_offset();

    auto policy = std::make_shared<cleaning_policy>();
    policy->map = map;
    policy->now_ms = now;
    policy->delete_retention_ms = config_.delete_retention_ms;
    for (const auto& [id, entry] : producers_.producers()) {
        if (!entry.batches.empty()) policy->producer_last_offsets.emplace(id.value(), entry.batches.back().last_offset.value());
    }

    out.cleaned = true;
    std::optional<std::int64_t> earliest_horizon;
    const std::int64_t segment_limit = std::min(config_.segment_bytes, format::max_segment_bytes);
    for (std::size_t i = 0; segments_[i]->base_offset() < clean_end; ++i) {
        // A group: the segment at i and the neighbours after it whose bytes still fit in segment.bytes
        // next to what the cleaned copy holds so far (even if all of them survived), and whose offsets
        // fit one segment's relative offsets.
        const model::offset base = segments_[i]->base_offset();
        auto cleaned = std::make_shared<cleaned_segment>(dir_, base, config_);
        {
            auto task = [&fs = env_.fs, cleaned] { return open_cleaned(fs, *cleaned); };
            if (auto e = co_await run_on_disk(env_.disk, std::move(task)); e != sys_errno::none) {
                spdlog::warn("{}: compaction cannot create {}: {}", dir_.string(), cleaned->cleaned_path.string(),
                             describe(e));
                co_await discard_cleaned(cleaned);
                co_return is_out_of_space(e) ? storage_error::disk_full : storage_error::io_error;
            }
        }
        std::size_t j = i;
        std::uint64_t bytes = 0;
        while (segments_[j]->base_offset() < clean_end) {
            const auto seg = segments_[j];
            if (j > i) {
                const model::offset group_end = segments_[j + 1]->base_offset();
                if (cleaned->size + seg->size() > static_cast<std::uint64_t>(segment_limit) ||
                    group_end.value() - 1 - base.value() > format::max_relative_offset)
                    break;
            }
            for (std::uint64_t pos = 0; pos < seg->size();) {
                auto task = [files = seg->files(), pos, size = seg->size(), policy, config = config_, cleaned,
                             budget = options.chunk_bytes] {
                    return clean_segment_chunk(*files->log, pos, size, *policy, config, *cleaned, budget);
                };
                const chunk_result r = co_await run_on_disk(env_.disk, std::move(task));
                if (r.io_error != sys_errno::none || r.corrupt) {
                    spdlog::error("{}: compaction of segment {} failed: {}", dir_.string(), seg->base_offset().value(),
                                  r.corrupt ? "an invalid batch" : describe(r.io_error));
                    co_await discard_cleaned(cleaned);
                    if (r.corrupt) co_return storage_error::corrupt_data;
                    co_return is_out_of_space(r.io_error) ? storage_error::disk_full : storage_error::io_error;
                }
                if (closed_ || offline_) {
                    co_await discard_cleaned(cleaned);
                    co_return check_open();
                }
                pos = r.next_position;
            }
            bytes += seg->size();
            ++j;
        }
        std::vector<std::shared_ptr<segment>> group(segments_.begin() + static_cast<std::ptrdiff_t>(i),
                                                    segments_.begin() + static_cast<std::ptrdiff_t>(j));
        out.segments_before += group.size();
        out.bytes_before += bytes;

        // The swap. Past its second step it must complete (or the log goes offline and the loader
        // completes it at the next open).
        std::vector<std::shared_ptr<segment_files>> old_files;
        for (const auto& seg : group) old_files.push_back(seg->files());
        auto task = [&fs = env_.fs, dir = dir_, io = io_, cleaned, old_files, stop_after = options.stop_after] {
            if (int f = io->fatal.load(); f != 0) return make_errno(f);
            const auto e = swap_in_cleaned(fs, dir, *cleaned, old_files, stop_after);
            if (e != sys_errno::none) io->set_fatal(e);
            return e;
        };
        if (auto e = co_await run_on_disk(env_.disk, std::move(task)); e != sys_errno::none) {
            go_offline("a compaction swap", e);
            co_return storage_error::log_offline;
        }
        if (options.stop_after) co_return out;  // a test simulating a crash there abandons the log now
        auto replacement = std::make_shared<segment>(base, cleaned->files, cleaned->size, now);
        replacement->set_indexes(cleaned->indexes);
        replacement->set_rolling_base_timestamp(cleaned->first_batch_max_timestamp);
        segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i),
                        segments_.begin() + static_cast<std::ptrdiff_t>(j));
        segments_.insert(segments_.begin() + static_cast<std::ptrdiff_t>(i), std::move(replacement));
        out.segments_after += 1;
        out.bytes_after += cleaned->size;
        out.records_removed += cleaned->records_removed;
        if (cleaned->earliest_delete_horizon)
            earliest_horizon = std::min(earliest_horizon.value_or(*cleaned->earliest_delete_horizon),
                                        *cleaned->earliest_delete_horizon);
    }
    cleaner_point_ = clean_end;
    next_delete_horizon_ = earliest_horizon;
    out.cleaned_up_to = clean_end;
    co_return out;
}

}  // namespace tributary::storage
