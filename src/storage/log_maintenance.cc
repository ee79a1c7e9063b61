// Changes to a log other than appends: truncation (Raft, and the repair after a failed write),
// DeleteRecords, retention. Each holds the log's exclusive flag, so they never interleave.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <functional>

#include "storage/checkpoints.h"
#include "storage/format.h"
#include "storage/log_internal.h"
#include "storage/segment_io.h"

namespace tributary::storage {

namespace {
std::filesystem::path snapshot_path(const std::filesystem::path& dir, model::offset o) {
    return dir / format::offset_file_name(o, format::producer_snapshot_suffix);
}
sys_errno remove_if_exists(file_system& fs, const std::filesystem::path& p) {
    auto e = fs.remove(p);
    return e == make_errno(ENOENT) ? sys_errno::none : e;
}
}  // namespace

awaitable<util::result<model::offset, storage_error>> log::truncate_to(model::offset offset) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    op_guard guard(*this);
    if (offset < log_start_offset_) co_return storage_error::offset_out_of_range;
    // A repair after a failed write waits for the exclusive flag, so it must not be waited for with it held.
    while (exclusive_ || repairing_) co_await wait_change();
    exclusive_guard exclusive(*this);
    // Writes already issued finish first, so every byte below the cut is on disk when it is scanned.
    truncating_ = true;
    while (pending_writes_ > 0 || flusher_running_) co_await wait_change();
    model::offset target = offset;
    if (write_failed_) target = std::min(target, written_offset_);  // nothing after a failed write survives
    if (offline_ || target >= next_offset_) {
        truncating_ = false;
        notify();
        if (offline_) co_return storage_error::log_offline;
        co_return next_offset_;
    }
    if (auto e = co_await truncate_locked(target); e != storage_error::none) co_return e;
    write_failed_ = false;
    write_error_ = storage_error::none;
    if (config_.fsync_before_ack()) request_flush();
    co_return next_offset_;
}

awaitable<void> log::drop_failed_rolls() {
    // REQUIRES: no write is pending, so every roll task queued so far has run (each roll is queued
    // just before the write of the append that caused it).
    std::vector<std::shared_ptr<segment_files>> newest_first;
    for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) newest_first.push_back((*it)->files());
    auto task = [files = std::move(newest_first)] {
        std::size_t n = 0;
        while (n < files.size() && !files[n]->log) ++n;
        return n;
    };
    std::size_t failed = co_await run_on_disk(env_.disk, std::move(task));
    failed = std::min(failed, segments_.size() - 1);  // the first segment was opened by load_log
    if (failed == 0) co_return;
    const auto& undo = segments_[segments_.size() - failed]->undo_of_roll();
    assert(undo.has_value());
    recovery_point_ = undo->recovery_point;
    checkpoint_on_disk_ = undo->checkpoint_on_disk;
    for (std::size_t i = 0; i < failed; ++i) segments_.pop_back();
    spdlog::warn("{}: dropped {} segment(s) whose files could not be created; segment {} is active again",
                 dir_.string(), failed, active().base_offset().value());
}

awaitable<storage_error> log::truncate_locked(model::offset offset) {
    truncating_ = true;
    mark_dirty();
    co_await drop_failed_rolls();
    const auto cut = segment_for(offset);
    std::vector<std::shared_ptr<segment_files>> doomed;
    std::vector<segment_ref> kept;
    for (const auto& s : segments_) {
        if (s->base_offset() > cut->base_offset()) {
            doomed.push_back(s->files());
        } else {
            kept.push_back(segment_ref{s->base_offset(), s->files(), s->size()});
        }
    }
    const model::offset new_recovery_point = std::min(recovery_point_, cut->base_offset());
    const partition_checkpoint checkpoint{log_start_offset_, new_recovery_point};
    // Only a checkpoint whose recovery point is now too high must change. Without one, recovery starts
    // at the first segment anyway; and nothing that grows the disk is written here, because this also
    // repairs a log after ENOSPC.
    const bool write_checkpoint =
        checkpoint_on_disk_ &&
        *checkpoint_on_disk_ != std::pair{checkpoint.log_start_offset, checkpoint.recovery_point};

    struct outcome {
        std::optional<segment_scan> scan;
        producer_rebuild producers;
        std::set<model::offset> snapshots;
        sys_errno error = sys_errno::none;
        bool checkpoint_written = false;
    };
    auto task = [&fs = env_.fs, dir = dir_, io = io_, config = config_, offset, doomed = std::move(doomed),
                 kept = std::move(kept), snapshots = snapshots_, checkpoint, write_checkpoint]() mutable {
        outcome out;
        auto fail = [&](sys_errno e) {
            io->set_fatal(e);
            out.error = e;
            return std::move(out);
        };
        if (int f = io->fatal.load(); f != 0) return fail(make_errno(f));
        segment_ref& cut = kept.back();
        auto scan = scan_segment(*cut.files->log, cut.base_offset, cut.size, segment_scanner::mode::headers,
                                 config, offset);
        if (scan.io_error != sys_errno::none) return fail(scan.io_error);
        if (auto e = cut.files->log->truncate(scan.valid_size); e != sys_errno::none) return fail(e);
        if (auto e = cut.files->log->datasync(); e != sys_errno::none) return fail(e);
        cut.size = scan.valid_size;
        for (const auto& f : doomed) {
            for (const auto* p : {&f->log_path, &f->offset_index_path, &f->time_index_path}) {
                if (auto e = remove_if_exists(fs, *p); e != sys_errno::none) return fail(e);
            }
        }
        out.producers = rebuild_producer_state(fs, dir, snapshots, kept, scan.next_offset);
        if (out.producers.io_error != sys_errno::none) return fail(out.producers.io_error);
        if (auto e = fs.sync_dir(dir); e != sys_errno::none) return fail(e);
        if (write_checkpoint) {
            // A recovery point above the cut is harmless while the cut segment is the last (recovery
            // scans the segment holding it) and every later roll fsyncs before it rewrites the file; so
            // a full disk leaves the old file (checkpoint_written stays false).
            auto e = write_file_atomically(fs, dir / format::partition_checkpoint_file,
                                           encode_partition_checkpoint(checkpoint));
            if (e != sys_errno::none && !is_out_of_space(e)) return fail(e);
            out.checkpoint_written = e == sys_errno::none;
        }
        io->poison.store(0);  // every write queued before this one has finished: none can land after the cut
        out.scan = std::move(scan);
        out.snapshots = std::move(snapshots);
        return out;
    };
    auto r = co_await run_on_disk(env_.disk, std::move(task));
    if (r.error != sys_errno::none) {
        truncating_ = false;
        go_offline("truncation", r.error);
        co_return storage_error::log_offline;
    }
    while (segments_.back()->base_offset() > cut->base_offset()) segments_.pop_back();
    auto& scan = *r.scan;
    cut->reset(std::move(scan.indexes), scan.valid_size, scan.first_batch_max_timestamp);
    cut->set_unsynced(false);
    ++generation_;
    next_offset_ = scan.next_offset;
    high_watermark_ = std::min(high_watermark_, next_offset_);
    if (epochs_.truncate_from_end(next_offset_)) epochs_file_stale_ = true;
    written_offset_ = next_offset_;
    flushed_offset_ = std::min(flushed_offset_, next_offset_);
    producers_ = std::move(r.producers.state);
    snapshots_ = std::move(r.snapshots);
    recovery_point_ = new_recovery_point;
    if (r.checkpoint_written)
        checkpoint_on_disk_ = std::pair{checkpoint.log_start_offset, checkpoint.recovery_point};
    truncating_ = false;
    notify();
    spdlog::info("{}: truncated to offset {}", dir_.string(), next_offset_.value());
    co_return storage_error::none;
}

awaitable<util::result<model::offset, storage_error>> log::truncate_fully_and_start_at(model::offset offset) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    op_guard guard(*this);
    if (offset < model::offset(0)) co_return storage_error::offset_out_of_range;
    while (exclusive_ || repairing_) co_await wait_change();
    exclusive_guard exclusive(*this);
    truncating_ = true;
    auto finish = [this](storage_error e) -> util::result<model::offset, storage_error> {
        truncating_ = false;
        notify();
        if (e != storage_error::none) return e;
        return next_offset_;
    };
    while (pending_writes_ > 0 || flusher_running_) co_await wait_change();
    if (offline_) co_return finish(storage_error::log_offline);
    mark_dirty();

    // The checkpoint first, so that whatever a crash leaves of the old segments opens as a part of the
    // old log (load_log starts the log at max(first segment base, checkpoint), but not past where the
    // segments end): ahead of them, the new start hides them all; inside them, it hides what is below.
    // The old start is kept if it is higher, or records it deleted would come back. A full disk fails
    // here with nothing changed yet.
    const model::offset old_log_start = log_start_offset_;
    const partition_checkpoint first{std::max(offset, old_log_start), offset};
    if (auto e = co_await write_checkpoint(first); e != storage_error::none) co_return finish(e);

    // Then every file of the old log, the newest first (a crash that keeps some unlinks and not others
    // should leave a prefix), and the new segment, made durable by one fsync of the directory. Listing
    // the directory rather than segments_ catches files the log no longer tracks (stale snapshots).
    // leader-epoch-checkpoint is removed rather than rewritten empty: on an empty log, load_log reads a
    // missing file as an empty list, and a removal needs no space.
    auto new_files = std::make_shared<segment_files>(dir_, offset);
    auto task = [&fs = env_.fs, dir = dir_, io = io_, new_files]() -> sys_errno {
        if (int f = io->fatal.load(); f != 0) return make_errno(f);
        auto names = fs.list(dir);
        if (!names) return names.error();
        std::vector<std::pair<model::offset, std::string>> doomed;
        for (const auto& name : *names) {
            for (const auto suffix : {format::log_suffix, format::offset_index_suffix,
                                      format::time_index_suffix, format::producer_snapshot_suffix}) {
                if (auto o = format::parse_offset_file_name(name, suffix)) doomed.emplace_back(*o, name);
            }
        }
        std::sort(doomed.begin(), doomed.end(), std::greater<>());
        for (const auto& [o, name] : doomed) {
            if (auto e = remove_if_exists(fs, dir / name); e != sys_errno::none) return e;
        }
        if (auto e = remove_if_exists(fs, dir / format::leader_epoch_checkpoint_file); e != sys_errno::none)
            return e;
        auto f = fs.open(new_files->log_path, open_mode::create_truncate);
        if (!f) return f.error();
        new_files->log = std::move(*f);
        if (auto e = fs.sync_dir(dir); e != sys_errno::none) return e;
        io->poison.store(0);  // every write queued before this one has finished, and its segment is gone
        return sys_errno::none;
    };
    if (auto e = co_await run_on_disk(env_.disk, std::move(task)); e != sys_errno::none) {
        // The old files may be partly gone: only a reopen can tell what is left.
        io_->set_fatal(e);
        go_offline("replacing the log", e);
        co_return finish(storage_error::log_offline);
    }

    auto seg = std::make_shared<segment>(offset, std::move(new_files), 0, env_.clock.now_ms());
    seg->set_indexes(segment_indexes(offset, config_));
    segments_.clear();
    segments_.push_back(std::move(seg));
    snapshots_.clear();
    producers_.clear();
    epochs_ = leader_epoch_cache();
    epochs_file_stale_ = false;  // no file describes no epochs
    ++generation_;
    ++resets_;
    log_start_offset_ = offset;
    high_watermark_ = offset;
    next_offset_ = offset;
    written_offset_ = offset;
    flushed_offset_ = offset;
    recovery_point_ = offset;
    cleaner_point_ = offset;
    next_delete_horizon_.reset();
    unflushed_messages_ = 0;
    write_failed_ = false;  // a write that failed while this waited wrote into a segment that is gone
    write_error_ = storage_error::none;
    // Below the old log start the checkpoint still names that start, which would hide the records
    // appended from `offset` after a crash.
    if (offset < old_log_start) {
        if (auto e = co_await write_checkpoint({offset, offset}); e != storage_error::none) {
            if (e == storage_error::disk_full) go_offline("writing partition.checkpoint", make_errno(ENOSPC));
            co_return finish(storage_error::log_offline);
        }
    }
    spdlog::info("{}: replaced by an empty log starting at offset {}", dir_.string(), offset.value());
    co_return finish(storage_error::none);
}

awaitable<void> log::repair_after_write_failure() {
    // REQUIRES: repairing_ is set and no write is pending. Appends are refused meanwhile (write_failed_).
    while (exclusive_) co_await wait_change();
    exclusive_guard exclusive(*this);
    while (flusher_running_) co_await wait_change();
    if (!offline_ && write_failed_) {  // a truncate_to may have repaired it already
        const auto e = co_await truncate_locked(written_offset_);
        if (e == storage_error::none) {
            write_failed_ = false;
            write_error_ = storage_error::none;
            spdlog::info("{}: rolled back to offset {} after a failed write", dir_.string(),
                         next_offset_.value());
        }
    }
    repairing_ = false;
    notify();
    if (config_.fsync_before_ack()) request_flush();
}

awaitable<util::result<model::offset, storage_error>> log::delete_records_before(model::offset offset) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    op_guard guard(*this);
    if (auto e = co_await wait_for_maintenance(); e != storage_error::none) co_return e;
    exclusive_guard exclusive(*this);
    if (offset > high_watermark()) co_return storage_error::offset_out_of_range;
    if (offset <= log_start_offset_) co_return log_start_offset_;
    mark_dirty();
    // Durable before anyone is told: a restart must not bring the deleted records back.
    if (auto e = co_await write_checkpoint({offset, recovery_point_}); e != storage_error::none) co_return e;
    log_start_offset_ = offset;
    if (epochs_.truncate_from_start(log_start_offset_)) epochs_file_stale_ = true;
    std::size_t count = 0;
    while (count + 1 < segments_.size() && segments_[count + 1]->base_offset() <= log_start_offset_) ++count;
    if (count > 0) {
        if (auto e = co_await delete_front_segments(count, log_start_offset_); e != storage_error::none)
            co_return e;
    }
    co_return log_start_offset_;
}

awaitable<storage_error> log::wait_for_maintenance() {
    // A repair after a failed write goes first: it may drop segments whose roll failed, which
    // retention must not see as closed segments.
    while ((exclusive_ || repairing_ || write_failed_) && !closed_ && !offline_) co_await wait_change();
    co_return check_open();
}

awaitable<util::result<retention_result, storage_error>> log::apply_retention(std::size_t max_segments) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    op_guard guard(*this);
    if (auto e = co_await wait_for_maintenance(); e != storage_error::none) co_return e;
    exclusive_guard exclusive(*this);
    const std::int64_t now = env_.clock.now_ms();
    retention_result out;
    std::uint64_t total = size_bytes();
    model::offset new_start = log_start_offset_;
    std::size_t count = 0;
    // Whole closed segments from the front, while one of the rules holds (Kafka's deletableSegments).
    while (count + 1 < segments_.size()) {
        if (count == max_segments) {
            out.more = true;
            break;
        }
        const auto seg = segments_[count];
        const model::offset next_base = segments_[count + 1]->base_offset();
        if (next_base > high_watermark()) break;
        bool deletable = next_base <= log_start_offset_;
        if (!deletable && config_.retention_bytes >= 0 &&
            total - seg->size() >= static_cast<std::uint64_t>(config_.retention_bytes)) {
            deletable = true;
        }
        if (!deletable && config_.retention_ms >= 0) {
            if (auto e = co_await ensure_loaded(seg); e != storage_error::none) co_return e;
            deletable = seg->max_timestamp() >= 0 && now - seg->max_timestamp() > config_.retention_ms;
        }
        if (!deletable) break;
        total -= seg->size();
        out.bytes_deleted += seg->size();
        new_start = std::max(new_start, next_base);
        ++count;
    }
    if (count > 0) {
        mark_dirty();
        if (auto e = co_await delete_front_segments(count, new_start); e != storage_error::none) co_return e;
        out.segments_deleted = count;
    }
    out.producers_expired = producers_.remove_expired(now, config_.producer_id_expiration_ms);
    out.log_start_offset = log_start_offset_;
    co_return out;
}

awaitable<storage_error> log::delete_front_segments(std::size_t count, model::offset new_log_start) {
    // Readers in flight keep the files open (segment_files is shared), so they finish undisturbed.
    std::vector<std::shared_ptr<segment_files>> doomed;
    for (std::size_t i = 0; i < count; ++i) {
        doomed.push_back(segments_.front()->files());
        segments_.pop_front();
    }
    log_start_offset_ = std::max(log_start_offset_, new_log_start);
    high_watermark_ = std::max(high_watermark_, log_start_offset_);
    if (epochs_.truncate_from_start(log_start_offset_)) epochs_file_stale_ = true;
    const model::offset first_base = segments_.front()->base_offset();
    std::vector<model::offset> old_snapshots;
    for (auto it = snapshots_.begin(); it != snapshots_.end() && *it < first_base;) {
        old_snapshots.push_back(*it);
        it = snapshots_.erase(it);
    }
    const partition_checkpoint checkpoint{log_start_offset_, recovery_point_};
    const bool checkpoint_needed =
        checkpoint_on_disk_ != std::pair{checkpoint.log_start_offset, checkpoint.recovery_point};
    struct outcome {
        sys_errno error = sys_errno::none;
        bool checkpoint_written = false;
    };
    auto task = [&fs = env_.fs, dir = dir_, io = io_, doomed = std::move(doomed),
                 old_snapshots = std::move(old_snapshots), checkpoint, checkpoint_needed]() mutable {
        outcome out;
        if (int f = io->fatal.load(); f != 0) {
            out.error = make_errno(f);
            return out;
        }
        // The segments go first, so that this works on a full disk, where retention is what makes room.
        // A crash before the checkpoint is written is harmless: the log start offset is at least the
        // first remaining segment's base offset (load_log), which is what retention moved it to, and
        // DeleteRecords wrote its own offset before calling this.
        sys_errno e = sys_errno::none;
        for (const auto& f : doomed) {
            for (const auto* p : {&f->log_path, &f->offset_index_path, &f->time_index_path}) {
                if (e == sys_errno::none) e = remove_if_exists(fs, *p);
            }
        }
        doomed.clear();  // closes the files unless a reader still has them, so their space is free
        for (const auto o : old_snapshots) {
            if (e == sys_errno::none) e = remove_if_exists(fs, snapshot_path(dir, o));
        }
        if (e == sys_errno::none) e = fs.sync_dir(dir);
        if (e == sys_errno::none && checkpoint_needed) {
            e = write_file_atomically(fs, dir / format::partition_checkpoint_file,
                                      encode_partition_checkpoint(checkpoint));
            out.checkpoint_written = e == sys_errno::none;
            if (is_out_of_space(e)) e = sys_errno::none;  // the old checkpoint's start offset is lower: see above
        }
        if (e != sys_errno::none) io->set_fatal(e);
        out.error = e;
        return out;
    };
    const auto r = co_await run_on_disk(env_.disk, std::move(task));
    if (r.error != sys_errno::none) {
        go_offline("deleting segments", r.error);
        co_return storage_error::log_offline;
    }
    if (r.checkpoint_written)
        checkpoint_on_disk_ = std::pair{checkpoint.log_start_offset, checkpoint.recovery_point};
    co_return storage_error::none;
}

awaitable<storage_error> log::write_checkpoint(partition_checkpoint checkpoint) {
    if (checkpoint_on_disk_ == std::pair{checkpoint.log_start_offset, checkpoint.recovery_point}) {
        co_return storage_error::none;
    }
    auto task = [&fs = env_.fs, dir = dir_, io = io_, checkpoint] {
        if (int f = io->fatal.load(); f != 0) return make_errno(f);
        auto e = write_file_atomically(fs, dir / format::partition_checkpoint_file,
                                       encode_partition_checkpoint(checkpoint));
        if (e != sys_errno::none && !is_out_of_space(e)) io->set_fatal(e);
        return e;
    };
    const auto e = co_await run_on_disk(env_.disk, std::move(task));
    if (is_out_of_space(e)) {
        spdlog::warn("{}: cannot write partition.checkpoint: {}", dir_.string(), describe(e));
        co_return storage_error::disk_full;  // the old file is intact and nothing changed
    }
    if (e != sys_errno::none) {
        go_offline("writing partition.checkpoint", e);
        co_return storage_error::log_offline;
    }
    checkpoint_on_disk_ = std::pair{checkpoint.log_start_offset, checkpoint.recovery_point};
    co_return storage_error::none;
}

}  // namespace tributary::storage
