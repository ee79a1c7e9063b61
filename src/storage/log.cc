// The writer of a partition's log: open, append, flush policy and group commit, close.
// Reads are in log_read.cc, truncation and retention in log_maintenance.cc, recovery in log_loader.cc.
#include "storage/log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>

#include "storage/checkpoints.h"
#include "storage/format.h"
#include "storage/log_internal.h"
#include "storage/producer_snapshot.h"
#include "storage/segment_io.h"

namespace tributary::storage {

namespace bf = protocol::batch_format;

awaitable<util::result<std::unique_ptr<log>, storage_error>> log::open(log_env env, std::filesystem::path dir,
                                                                       log_config config,
                                                                       model::uuid topic_id) {
    auto task = [&fs = env.fs, dir, config, topic_id] { return load_log(fs, dir, config, topic_id); };
    auto loaded = co_await run_on_disk(env.disk, std::move(task));
    if (!loaded) {
        spdlog::error("{}: cannot open log: {}", dir.string(), to_string(loaded.error()));
        co_return loaded.error();
    }
    if (!loaded->report.clean_shutdown && !loaded->report.created)
        spdlog::info("{}: recovered: {}", dir.string(), to_string(loaded->report));
    auto executor = co_await asio::this_coro::executor;
    co_return std::unique_ptr<log>(
        new log(env, std::move(dir), std::move(config), topic_id, executor, std::move(*loaded)));
}

log::log(log_env env, std::filesystem::path dir, log_config config, model::uuid topic_id,
         asio::any_io_executor executor, loaded_log loaded)
    : env_(env),
      dir_(std::move(dir)),
      topic_id_(topic_id),
      executor_(executor),
      io_(std::make_shared<io_state>()),
      recovery_(std::move(loaded.report)),
      config_(std::move(config)),
      producers_(std::move(loaded.producers)),
      epochs_(std::move(loaded.leader_epochs)),
      snapshots_(std::move(loaded.snapshots)),
      log_start_offset_(loaded.log_start_offset),
      high_watermark_(loaded.log_start_offset),
      next_offset_(loaded.log_end_offset),
      written_offset_(loaded.log_end_offset),
      flushed_offset_(loaded.log_end_offset),
      recovery_point_(loaded.recovery_point),
      checkpoint_on_disk_(loaded.checkpoint_on_disk),
      cleaner_point_(loaded.log_start_offset),
      clean_marker_on_disk_(loaded.clean_shutdown_marker),
      changed_(executor, asio::steady_timer::time_point::max()),
      flush_timer_(executor) {
    const std::int64_t now = env_.clock.now_ms();
    for (auto& s : loaded.segments) {
        auto seg = std::make_shared<segment>(s.ref.base_offset, std::move(s.ref.files), s.ref.size, now);
        if (s.indexes) seg->set_indexes(std::move(*s.indexes));
        seg->set_rolling_base_timestamp(s.rolling_base_timestamp);
        segments_.push_back(std::move(seg));
    }
    assert(!segments_.empty() && active().loaded());
}

log::~log() {
    assert(closed_ && ops_in_flight_ == 0 && !flusher_running_);
}

std::optional<std::pair<std::int32_t, model::offset>> log::end_offset_for_epoch(std::int32_t epoch) const {
    auto [found_epoch, end] = epochs_.end_offset_for(epoch, next_offset_);
    if (end == leader_epoch_cache::undefined_offset) return std::nullopt;
    return std::pair{found_epoch, model::offset(end)};
}

void log::begin_epoch(std::int32_t epoch) {
    if (check_writable() != storage_error::none) return;
    if (epochs_.assign(epoch, next_offset_)) write_leader_epochs();
}

void log::write_leader_epochs() {
    epochs_file_stale_ = false;
    // A full disk poisons the writes queued after this one, as a failed roll does: the append whose
    // epoch could not be recorded fails and is rolled back.
    submit_to_disk(env_.disk, [&fs = env_.fs, path = dir_ / format::leader_epoch_checkpoint_file, io = io_,
                               text = encode_leader_epoch_checkpoint(epochs_.entries())] {
        if (io->fatal.load() != 0) return;
        const auto e = write_file_atomically(fs, path, bytes::as_bytes(text));
        if (e == sys_errno::none) return;
        if (!is_out_of_space(e)) return io->set_fatal(e);
        io->poison.store(static_cast<int>(e));
    });
}

void log::set_high_watermark(model::offset hw) {
    hw = std::clamp(hw, log_start_offset_, next_offset_);
    if (hw == high_watermark_) return;
    high_watermark_ = hw;
    notify();
}

model::offset log::last_stable_offset() const {
    const model::offset hw = high_watermark();
    auto first = producers_.first_unstable_offset();
    return first ? std::min(hw, *first) : hw;
}

std::uint64_t log::size_bytes() const {
    std::uint64_t total = 0;
    for (const auto& s : segments_) total += s->size();
    return total;
}

std::vector<segment_info> log::segments() const {
    std::vector<segment_info> out;
    out.reserve(segments_.size());
    for (const auto& s : segments_) out.push_back({s->base_offset(), s->size(), s->max_timestamp()});
    return out;
}

storage_error log::check_open() const {
    if (closed_) return storage_error::log_closed;
    if (offline_) return storage_error::log_offline;
    return storage_error::none;
}

storage_error log::check_writable() const {
    if (auto e = check_open(); e != storage_error::none) return e;
    if (write_failed_) return write_error_;
    if (truncating_) return storage_error::truncated;
    return storage_error::none;
}

std::shared_ptr<segment> log::segment_for(model::offset o) const {
    auto it = std::upper_bound(
        segments_.begin(), segments_.end(), o,
        [](model::offset v, const std::shared_ptr<segment>& s) { return v < s->base_offset(); });
    if (it == segments_.begin()) return segments_.front();
    return *std::prev(it);
}

std::shared_ptr<segment> log::segment_after(model::offset base) const {
    auto it = std::upper_bound(
        segments_.begin(), segments_.end(), base,
        [](model::offset v, const std::shared_ptr<segment>& s) { return v < s->base_offset(); });
    return it == segments_.end() ? nullptr : *it;
}

awaitable<storage_error> log::ensure_loaded(std::shared_ptr<segment> seg) {
    if (seg->loaded()) co_return storage_error::none;
    auto task = [&fs = env_.fs, files = seg->files(), base = seg->base_offset(), size = seg->size(),
                 config = config_]() -> load_outcome {
        load_outcome out;
        std::string problem;
        if (!files->replaced) out.indexes = load_segment_indexes(fs, *files, base, size, config, &problem);
        if (out.indexes) return out;
        // Missing or invalid: rebuild from the log and keep the result on disk.
        auto scan = scan_segment(*files->log, base, size, segment_scanner::mode::validate, config);
        if (scan.io_error != sys_errno::none) {
            out.io_error = scan.io_error;
            return out;
        }
        scan.indexes.close();
        out.rebuilt_because = problem;
        if (!files->replaced) out.io_error = write_segment_indexes_if_room(fs, *files, scan.indexes);
        out.indexes = std::move(scan.indexes);
        return out;
    };
    auto loaded = co_await run_on_disk(env_.disk, std::move(task));
    if (loaded.io_error != sys_errno::none) {
        spdlog::error("{}: loading indexes of segment {} failed: {}", dir_.string(),
                      seg->base_offset().value(), describe(loaded.io_error));
        co_return storage_error::io_error;
    }
    if (!loaded.rebuilt_because.empty()) {
        spdlog::warn("{}: segment {}: {}; rebuilt from the log", dir_.string(), seg->base_offset().value(),
                     loaded.rebuilt_because);
    }
    if (!seg->loaded()) seg->set_indexes(std::move(*loaded.indexes));
    co_return storage_error::none;
}

// ---- Appending ----

void log::mark_dirty() {
    if (!clean_marker_on_disk_) return;
    clean_marker_on_disk_ = false;
    // Queued before the first change, so the marker never vouches for files that changed after it.
    submit_to_disk(env_.disk, [&fs = env_.fs, dir = dir_, io = io_] {
        if (io->fatal.load() != 0) return;
        auto e = fs.remove(dir / format::clean_shutdown_file);
        if (e == make_errno(ENOENT)) e = sys_errno::none;
        if (e == sys_errno::none) e = fs.sync_dir(dir);
        if (e != sys_errno::none) io->set_fatal(e);
    });
}

void log::roll(std::int64_t now_ms) {
    segment& old = active();
    const model::offset new_base = next_offset_;
    segment_indexes closing = old.indexes();
    closing.close();
    old.set_indexes(closing);
    old.set_unsynced(false);  // the roll task below fsyncs it before anything queued after it
    auto new_files = std::make_shared<segment_files>(dir_, new_base);
    const partition_checkpoint checkpoint{log_start_offset_, new_base};
    // Only the fsync of the old segment and the new file are essential; the rest is written if there is
    // room. A full disk must not take the log offline (the failed append is rolled back instead):
    //   - creating the new file fails: the write queued after this sees the poison, and the repair
    //     drops the segment again (drop_failed_rolls);
    //   - the old segment's index files: removed instead, and rebuilt from the log when loaded;
    //   - the producer snapshot: state is rebuilt from an older one by replaying batches;
    //   - partition.checkpoint: the old one names a lower recovery point, so recovery scans more.
    submit_to_disk(env_.disk, [&fs = env_.fs, dir = dir_, io = io_, old_files = old.files(), new_files,
                               closing = std::move(closing), new_base, checkpoint,
                               snapshot = encode_producer_snapshot(new_base, producers_)] {
        if (io->fatal.load() != 0) return;
        if (!old_files->log) {
            // The roll that created `old` failed, so this one cannot happen either.
            io->poison.store(ENOSPC);
            return;
        }
        if (auto e = old_files->log->datasync(); e != sys_errno::none) return io->set_fatal(e);
        if (auto f = fs.open(new_files->log_path, open_mode::read_write_create); f) {
            new_files->log = std::move(*f);
        } else {
            if (!is_out_of_space(f.error())) return io->set_fatal(f.error());
            spdlog::warn("{}: cannot create segment {}: {}", dir.string(), new_base.value(), describe(f.error()));
            io->poison.store(static_cast<int>(f.error()));
            return;
        }
        if (auto e = write_segment_indexes_if_room(fs, *old_files, closing); e != sys_errno::none)
            return io->set_fatal(e);
        const auto snapshot_path = dir / format::offset_file_name(new_base, format::producer_snapshot_suffix);
        if (auto e = write_file_atomically(fs, snapshot_path, snapshot); e != sys_errno::none) {
            if (!is_out_of_space(e)) return io->set_fatal(e);
            fs.remove(snapshot_path);
        }
        if (auto e = fs.sync_dir(dir); e != sys_errno::none) return io->set_fatal(e);
        if (auto e = write_file_atomically(fs, dir / format::partition_checkpoint_file,
                                           encode_partition_checkpoint(checkpoint));
            e != sys_errno::none && !is_out_of_space(e)) {
            io->set_fatal(e);
        }
    });
    auto seg = std::make_shared<segment>(new_base, std::move(new_files), 0, now_ms);
    seg->set_indexes(segment_indexes(new_base, config_));
    seg->set_roll_undo({recovery_point_, checkpoint_on_disk_});
    segments_.push_back(std::move(seg));
    snapshots_.insert(new_base);
    recovery_point_ = new_base;
    checkpoint_on_disk_ = std::pair{checkpoint.log_start_offset, checkpoint.recovery_point};
}

awaitable<util::result<append_result, storage_error>> log::append(bytes::mutable_bytes_view batches,
                                                                  model::leader_epoch leader_epoch,
                                                                  append_options options) {
    if (auto e = check_writable(); e != storage_error::none) co_return e;
    op_guard guard(*this);

    // Headers, with the size limits (Kafka's LogValidator / UnifiedLog.append).
    std::vector<protocol::record_batch_header> headers;
    for (std::size_t pos = 0; pos < batches.size();) {
        auto h = protocol::parse_header(bytes::bytes_view(batches).subspan(pos));
        if (!h || h->size_bytes() > batches.size() - pos) co_return storage_error::invalid_batch;
        if (h->size_bytes() > static_cast<std::size_t>(config_.max_message_bytes)) {
            co_return storage_error::message_too_large;
        }
        headers.push_back(*h);
        pos += h->size_bytes();
    }
    if (headers.empty()) co_return storage_error::invalid_batch;
    if (batches.size() >
        static_cast<std::uint64_t>(std::min(config_.segment_bytes, format::max_segment_bytes))) {
        co_return storage_error::record_list_too_large;
    }

    // A retry of a batch already appended returns the original offsets (idempotence).
    if (options.origin == append_origin::client) {
        for (const auto& h : headers) {
            if (auto dup = producers_.find_duplicate(h)) {
                append_result r;
                r.base_offset = dup->first_offset;
                r.last_offset = dup->last_offset;
                r.log_append_time =
                    config_.message_timestamp_type == protocol::timestamp_type::log_append_time
                        ? dup->timestamp
                        : -1;
                r.log_start_offset = log_start_offset_;
                r.duplicate = true;
                co_return r;
            }
        }
    }

    // Offsets, then the producer checks against them. Nothing is changed until all batches pass.
    const std::int64_t now = env_.clock.now_ms();
    const bool assign = options.origin != append_origin::replication;
    const std::int64_t append_time =
        assign && config_.message_timestamp_type == protocol::timestamp_type::log_append_time ? now : -1;
    model::offset next = next_offset_;
    std::int64_t records = 0;
    std::int64_t max_timestamp = bf::no_timestamp;
    for (auto& h : headers) {
        if (assign) {
            h.base_offset = next;
        } else if (h.base_offset < next) {
            co_return storage_error::invalid_offset;
        }
        if (append_time >= 0) {
            h.max_timestamp = append_time;
            h.attributes = static_cast<std::int16_t>(h.attributes | bf::timestamp_type_bit);
        }
        next = h.next_offset();
        records += h.last_offset_delta + 1;
        max_timestamp = std::max(max_timestamp, h.max_timestamp);
    }
    const model::offset base = headers.front().base_offset;
    const model::offset last = headers.back().last_offset();
    producer_append producer_changes(producers_, options.origin);
    {
        std::size_t pos = 0;
        for (const auto& h : headers) {
            std::optional<txn_marker> marker;
            if (h.is_control())
                marker = parse_txn_marker(bytes::bytes_view(batches).subspan(pos, h.size_bytes()));
            if (auto e = producer_changes.add(h, marker); e != storage_error::none) co_return e;
            pos += h.size_bytes();
        }
    }

    // From here on the append happens: no suspension until the write is queued, so the order of
    // appends is the order of the calls.
    mark_dirty();
    if (active().should_roll(config_, batches.size(), max_timestamp, last, now)) roll(now);
    {
        std::size_t pos = 0;
        for (const auto& h : headers) {
            auto batch = batches.subspan(pos, h.size_bytes());
            if (assign) {
                protocol::set_base_offset(batch, h.base_offset);
                protocol::set_partition_leader_epoch(batch, leader_epoch);
            }
            if (append_time >= 0) protocol::set_log_append_time(batch, append_time);
            pos += h.size_bytes();
        }
    }
    std::move(producer_changes).commit(producers_);
    bool new_epoch = false;
    for (const auto& h : headers)
        new_epoch |= epochs_.assign(assign ? leader_epoch.value() : h.partition_leader_epoch.value(), h.base_offset);
    if (new_epoch || epochs_file_stale_) write_leader_epochs();
    segment& seg = active();
    const log_position position{seg.base_offset(), seg.size()};
    for (const auto& h : headers) seg.append(h, config_);
    next_offset_ = next;
    unflushed_messages_ += records;
    ++pending_writes_;
    const std::uint64_t generation = generation_;
    auto task = [files = seg.files(), io = io_, data = bytes::bytes_view(batches),
                 at = position.byte_position] {
        if (int f = io->fatal.load(); f != 0) return write_outcome{make_errno(f), true};
        if (int p = io->poison.load(); p != 0) return write_outcome{make_errno(p), false};
        if (!files->log) {  // cannot happen: the roll that failed to create it poisoned the writes after it
            io->poison.store(ENOSPC);
            return write_outcome{make_errno(ENOSPC), false};
        }
        const sys_errno e = files->log->pwrite(data, at);
        if (e != sys_errno::none) io->poison.store(static_cast<int>(e));
        return write_outcome{e, false};
    };
    const write_outcome w = co_await run_on_disk(env_.disk, std::move(task));
    --pending_writes_;
    if (auto e = on_write_done(generation, w, next); e != storage_error::none) co_return e;

    if (config_.fsync_before_ack()) {
        request_flush();
    } else {
        if (config_.flush_messages && unflushed_messages_ >= *config_.flush_messages) request_flush();
        if (config_.flush_ms) schedule_flush_timer();
    }
    append_result r;
    r.base_offset = base;
    r.last_offset = last;
    r.log_append_time = append_time;
    r.log_start_offset = log_start_offset_;
    r.position = position;
    co_return r;
}

storage_error log::on_write_done(std::uint64_t generation, const write_outcome& w, model::offset next) {
    if (w.fatal) {
        go_offline("a roll or metadata update", w.error);
        return storage_error::log_offline;
    }
    if (generation != generation_) return storage_error::truncated;
    if (w.error != sys_errno::none || write_failed_) {
        if (!write_failed_) {
            spdlog::error("{}: write failed: {}; rolling back to offset {}", dir_.string(), describe(w.error),
                          written_offset_.value());
            write_failed_ = true;
            epochs_file_stale_ = true;  // a rewrite queued before the write may have failed too
            write_error_ = w.error == make_errno(ENOSPC) ? storage_error::disk_full : storage_error::io_error;
        }
        if (pending_writes_ == 0 && !repairing_) {
            repairing_ = true;
            spawn(repair_after_write_failure());
        }
        return write_error_;
    }
    written_offset_ = next;
    notify();
    return storage_error::none;
}

awaitable<void> log::wait_high_watermark_above(model::offset seen) {
    while (high_watermark() <= seen && !closed_ && !offline_ && next_offset_ >= seen) co_await wait_change();
}

awaitable<storage_error> log::wait_durable(model::offset o) {
    op_guard guard(*this);
    const std::uint64_t resets = resets_;
    while (durable_offset() <= o) {
        if (offline_) co_return storage_error::log_offline;
        if (next_offset_ <= o) co_return storage_error::truncated;
        if (config_.fsync_before_ack()) request_flush();
        co_await wait_change();
    }
    co_return resets_ == resets ? storage_error::none : storage_error::truncated;
}

awaitable<storage_error> log::wait_written(model::offset o) {
    op_guard guard(*this);
    const std::uint64_t resets = resets_;
    while (written_offset_ <= o) {
        if (offline_) co_return storage_error::log_offline;
        if (next_offset_ <= o) co_return storage_error::truncated;
        if (write_failed_) co_return write_error_;
        co_await wait_change();
    }
    co_return resets_ == resets ? storage_error::none : storage_error::truncated;
}

awaitable<storage_error> log::wait_flushed(model::offset o) {
    op_guard guard(*this);
    const std::uint64_t resets = resets_;
    while (flushed_offset_ <= o) {
        if (offline_) co_return storage_error::log_offline;
        if (next_offset_ <= o) co_return storage_error::truncated;
        if (write_failed_ && written_offset_ <= o) co_return write_error_;
        request_flush();
        co_await wait_change();
    }
    co_return resets_ == resets ? storage_error::none : storage_error::truncated;
}

awaitable<storage_error> log::flush() {
    if (next_offset_ == flushed_offset_) co_return storage_error::none;
    co_return co_await wait_flushed(model::offset(next_offset_.value() - 1));
}

// ---- Flushing: group commit ----

void log::request_flush() {
    if (flusher_running_ || offline_ || write_failed_ || truncating_ || flushed_offset_ >= next_offset_)
        return;
    flusher_running_ = true;
    spawn(flush_loop());
}

awaitable<void> log::flush_loop() {
    // One fsync covers every append queued before it (the disk executor is FIFO), so while one runs,
    // new appends gather and the next fsync covers all of them. The segments' files are kept alive by
    // the task, and their descriptors stay open (a file is closed only when its last owner drops it),
    // so an fsync running beside later disk tasks (env_.sync) is safe against retention and rolls.
    while (!offline_ && !write_failed_ && !truncating_ && flushed_offset_ < next_offset_) {
        const model::offset target = next_offset_;
        std::vector<std::shared_ptr<segment_files>> files;
        for (auto& s : segments_) {
            if (s->unsynced()) {
                files.push_back(s->files());
                s->set_unsynced(false);
            }
        }
        auto task = [files = std::move(files), io = io_] {
            if (int f = io->fatal.load(); f != 0) return write_outcome{make_errno(f), true};
            for (const auto& f : files) {
                if (!f->log) continue;  // a failed roll: nothing was written there (written_offset_ is below)
                if (auto e = f->log->datasync(); e != sys_errno::none) {
                    // After a failed fsync the page cache may have dropped the data (Linux marks the
                    // pages clean): nothing unsynced can be trusted until the log is recovered.
                    io->set_fatal(e);
                    return write_outcome{e, true};
                }
            }
            return write_outcome{};
        };
        // The fsync covers every write queued on the FIFO disk executor before it; with a sync pool it
        // runs there once those writes are done, and the disk executor goes on meanwhile.
        write_outcome w;
        if (env_.sync != nullptr)
            w = co_await run_after_disk(env_.disk, *env_.sync, std::move(task));
        else
            w = co_await run_on_disk(env_.disk, std::move(task));
        if (w.fatal) {
            go_offline("fsync", w.error);
            break;
        }
        flushed_offset_ = std::max(flushed_offset_, std::min(target, written_offset_));
        unflushed_messages_ = 0;
        notify();
    }
    flusher_running_ = false;
    notify();
}

void log::schedule_flush_timer() {
    if (flush_timer_armed_ || closed_ || !config_.flush_ms) return;
    flush_timer_armed_ = true;
    spawn(flush_timer_loop());
}

awaitable<void> log::flush_timer_loop() {
    flush_timer_.expires_after(std::chrono::milliseconds(*config_.flush_ms));
    boost::system::error_code ec;
    co_await flush_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    flush_timer_armed_ = false;
    if (!closed_) request_flush();
    notify();
}

// ---- Closing ----

awaitable<void> log::abandon() {
    closed_ = true;
    flush_timer_.cancel();
    notify();
    while (ops_in_flight_ > 0 || flusher_running_ || flush_timer_armed_ || repairing_) co_await wait_change();
}

awaitable<void> log::close() {
    if (closed_) co_return;
    // Let appends waiting for the high watermark finish first.
    request_flush();
    closed_ = true;
    flush_timer_.cancel();
    notify();
    while (ops_in_flight_ > 0 || flusher_running_ || flush_timer_armed_ || repairing_) co_await wait_change();
    if (offline_ || write_failed_) co_return;  // the next open recovers
    if (clean_marker_on_disk_) co_return;      // nothing changed since a clean open: the files still match

    // Only the segments are fsynced, before the marker is written. The checkpoint is current already
    // (rolls, retention and DeleteRecords write it). The marker, the index files and the producer
    // snapshot need no fsync of their own: the marker is checksummed and, once written, only ever
    // describes durable segments, so if a power loss drops or tears it the next open just recovers;
    // the index files and the snapshot are hints that open validates against the marker. A clean
    // shutdown therefore costs one fsync per partition with unsynced data, none otherwise.
    segment_indexes indexes = active().indexes();
    indexes.close();
    std::vector<std::shared_ptr<segment_files>> unsynced;
    for (auto& s : segments_) {
        if (s->unsynced()) unsynced.push_back(s->files());
    }
    clean_shutdown_marker marker;
    marker.log_end_offset = next_offset_;
    marker.active_base_offset = active().base_offset();
    marker.active_size = active().size();
    marker.active_max_timestamp = indexes.max_timestamp;
    marker.active_offset_of_max_timestamp = indexes.offset_of_max_timestamp;
    marker.offset_index_entries = static_cast<std::uint32_t>(indexes.offsets.size());
    marker.time_index_entries = static_cast<std::uint32_t>(indexes.times.size());
    // Snapshots taken by earlier clean shutdowns inside the active segment are superseded by this one
    // (a truncation below it replays from the snapshot at the segment's base).
    std::vector<model::offset> superseded;
    for (auto it = snapshots_.upper_bound(active().base_offset());
         it != snapshots_.end() && *it < next_offset_;) {
        superseded.push_back(*it);
        it = snapshots_.erase(it);
    }
    snapshots_.insert(next_offset_);
    auto task = [&fs = env_.fs, dir = dir_, io = io_, unsynced = std::move(unsynced),
                 active = active().files(), indexes = std::move(indexes), marker,
                 superseded = std::move(superseded),
                 snapshot = encode_producer_snapshot(next_offset_, producers_)]() -> sys_errno {
        if (int f = io->fatal.load(); f != 0) return make_errno(f);
        for (const auto& f : unsynced) {
            if (auto e = f->log->datasync(); e != sys_errno::none) return e;
        }
        if (auto e = write_segment_indexes(fs, *active, indexes, false); e != sys_errno::none) return e;
        const auto snapshot_path =
            dir / format::offset_file_name(marker.log_end_offset, format::producer_snapshot_suffix);
        if (auto e = write_file_unsynced(fs, snapshot_path, snapshot); e != sys_errno::none) return e;
        for (const auto o : superseded) {
            fs.remove(dir / format::offset_file_name(o, format::producer_snapshot_suffix));
        }
        return write_file_unsynced(fs, dir / format::clean_shutdown_file,
                                   encode_clean_shutdown_marker(marker));
    };
    const auto e = co_await run_on_disk(env_.disk, std::move(task));
    if (e != sys_errno::none) {
        spdlog::error("{}: clean shutdown failed: {}; the next open will recover", dir_.string(),
                      describe(e));
    }
}

// ---- Coordination ----

void log::spawn(awaitable<void> work) {
    asio::co_spawn(executor_, std::move(work), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
}

void log::notify() {
    changed_.cancel();
}

awaitable<void> log::wait_change() {
    boost::system::error_code ec;
    co_await changed_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void log::go_offline(const char* what, sys_errno e) {
    if (!offline_) {
        spdlog::error("{}: {} failed: {}; the log is offline until it is reopened", dir_.string(), what,
                      describe(e));
    }
    offline_ = true;
    notify();
}

}  // namespace tributary::storage
