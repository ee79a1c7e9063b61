// One partition's log: a directory of segments (docs/formats/segment.md) with Kafka's offsets model.
//
//   log_start_offset <= high_watermark <= log_end_offset,  durable_offset <= written_offset <= log_end_offset
//
// Offsets are assigned on the event loop when append() is called, so the order of appends is fixed when
// they are issued; the batch bytes then go to the disk executor (FIFO) and `written_offset` advances as
// writes complete, `flushed_offset` as fsyncs complete. The durable offset is the one below which data
// survives a crash under the topic's flush policy:
//   - default (flush.messages and flush.ms unset): the flushed offset. Every write is followed by an
//     fsync; one fsync covers every append waiting at that moment (group commit).
//   - flush.messages / flush.ms set: the written offset; fsyncs happen every N messages / T ms.
// The high watermark is not the log's to decide: the partition that owns the log (cluster::partition)
// sets it once its replication policy says the data is committed, and consumers read below it. The log
// only keeps it within [log_start_offset, log_end_offset], wakes those who wait for it to move, and
// bounds retention, DeleteRecords and compaction by it, as Kafka's UnifiedLog does.
//
// Ownership: a log belongs to one shard. Every member function must be called on that shard's event
// loop (the executor open() ran on), and no two calls may overlap except as coroutines on that loop.
// It never blocks the loop: file I/O runs on the disk executor. close() must complete before the log is
// destroyed.
#pragma once

#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "bytes/file_region.h"
#include "model/fundamental.h"
#include "net/asio.h"
#include "storage/checkpoints.h"
#include "storage/clock.h"
#include "storage/disk_executor.h"
#include "storage/errors.h"
#include "storage/file_io.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"
#include "storage/log_loader.h"
#include "storage/producer_state.h"
#include "storage/read_buffers.h"
#include "storage/segment.h"
#include "util/result.h"

namespace tributary::storage {

// Where a log does its I/O, reads the time and puts Fetch reads. REQUIRES: all of them outlive the log.
struct log_env {
    explicit log_env(disk_executor& d, file_system& f = posix_file_system(), const clock& c = default_clock(),
                     read_buffer_pool& b = read_buffer_pool::uncached())
        : disk(d), fs(f), clock(c), read_buffers(&b) {}
    disk_executor& disk;
    file_system& fs;
    const storage::clock& clock;
    read_buffer_pool* read_buffers;  // where Fetch reads land (thread-safe)
    // Where flush fsyncs run (run_after_disk), concurrently with other partitions' and with this
    // shard's later disk tasks; null: on `disk` itself, in its FIFO order.
    disk_executor* sync = nullptr;
};

struct append_options {
    // client: assign offsets and check idempotence; coordinator: transaction markers (epoch checks
    // only); replication: keep the offsets and leader epoch in the batches, check nothing.
    append_origin origin = append_origin::client;
};

struct log_position {
    model::offset segment_base_offset{-1};
    std::uint64_t byte_position = 0;  // in that segment's .log
};

struct append_result {
    model::offset base_offset{-1};
    model::offset last_offset{-1};
    std::int64_t log_append_time = -1;  // the stamped time under LogAppendTime, else -1
    model::offset log_start_offset{0};
    log_position position;   // of the first batch; unset for a duplicate
    bool duplicate = false;  // a retry of an appended batch: its original offsets, nothing written
};

// Whole batches as stored, ready to send in a Fetch response without re-encoding.
struct read_result {
    std::shared_ptr<const void> buffer;  // owns the bytes `records` views
    bytes::bytes_view records;                         // empty if there is nothing to return
    // Instead of `records` (then empty), for a zero-copy read: where the batches lie in the segment
    // file, with its own descriptor (sendfile). Empty (size 0) otherwise.
    bytes::file_region region;
    model::offset first_offset{-1};                    // base offset of the first batch
    model::offset next_offset{-1};                     // one past the last batch
    // At the time of the read.
    model::offset high_watermark{0};
    model::offset log_start_offset{0};
    model::offset log_end_offset{0};
};

struct segment_info {
    model::offset base_offset;
    std::uint64_t size_bytes = 0;
    std::int64_t max_timestamp = -1;  // -1 if unknown (indexes not loaded yet) or no timestamps
};

struct retention_result {
    std::size_t segments_deleted = 0;
    std::uint64_t bytes_deleted = 0;
    std::size_t producers_expired = 0;
    model::offset log_start_offset{0};
    bool more = false;  // stopped at max_segments: call again
};

struct compaction_options {
    std::size_t offset_map_bytes = 32 << 20;  // keys of the dirty section held per pass
    std::size_t chunk_bytes = 4 << 20;        // read per disk task
    bool force = false;                       // clean even below min.cleanable.dirty.ratio
    std::optional<swap_step> stop_after;      // tests: stop the first swap there, as a crash would
};

struct compaction_result {
    bool cleaned = false;     // false: the log did not need cleaning (or was not compacted)
    double dirty_ratio = 0;   // dirty bytes / cleanable bytes when the pass was decided
    std::size_t segments_before = 0;
    std::size_t segments_after = 0;
    std::uint64_t bytes_before = 0;  // of the cleaned range
    std::uint64_t bytes_after = 0;
    std::uint64_t records_removed = 0;
    model::offset cleaned_up_to{0};  // the first dirty offset of the next pass
};

class log {
public:
    // Opens (creating if needed) the partition directory `dir`, recovering it if it was not closed
    // cleanly (log_loader.h); see recovery(). topic_id may be zero; otherwise it must match the
    // directory's partition.metadata (inconsistent_topic_id) or is written there.
    static awaitable<util::result<std::unique_ptr<log>, storage_error>> open(log_env env,
                                                                             std::filesystem::path dir,
                                                                             log_config config,
                                                                             model::uuid topic_id);

    log(const log&) = delete;
    log& operator=(const log&) = delete;
    ~log();

    // Appends `batches`: one or more concatenated record batches that the caller validated (CRC,
    // records). For client and coordinator origins the log assigns offsets from log_end_offset(), sets
    // the partition leader epoch (patching the caller's bytes in place, outside the CRC) and, under
    // LogAppendTime, stamps the time. Idempotence is checked per producer_state.h, all batches or none.
    // Returns once the bytes are written; wait_durable() waits for the flush policy to cover them.
    // A duplicate returns its original offsets at once: those may not be durable yet either.
    // REQUIRES: `batches` stays valid and unmodified until the returned awaitable completes.
    awaitable<util::result<append_result, storage_error>> append(bytes::mutable_bytes_view batches,
                                                                 model::leader_epoch leader_epoch,
                                                                 append_options options = {});

    // Whole batches from the one holding fetch_offset (or the first after it), none at or past
    // upper_bound (normally the high watermark; clamped to the written offset), at most max_bytes unless
    // min_one_batch and the first batch alone is larger (KIP-74). Reads come from one segment at a time,
    // as Kafka's do. offset_out_of_range iff fetch_offset < log_start_offset or > log_end_offset.
    // With `zero_copy`, the batches are located by their headers and returned as a file region instead
    // of being read (files without a descriptor, as in tests, fall back to reading them).
    awaitable<util::result<read_result, storage_error>> read(model::offset fetch_offset,
                                                             std::size_t max_bytes, model::offset upper_bound,
                                                             bool min_one_batch, bool zero_copy = false);

    // ListOffsets by timestamp: the first record with timestamp >= `timestamp` at or after the log start
    // offset and below upper_bound; nullopt if there is none (Kafka's fetchOffsetByTimestamp).
    awaitable<util::result<std::optional<timestamp_offset>, storage_error>> offset_for_timestamp(
        std::int64_t timestamp, model::offset upper_bound);
    // ListOffsets MAX_TIMESTAMP (-3, KIP-734): the record with the largest timestamp below upper_bound
    // (the first one on ties); nullopt for a log without timestamps.
    awaitable<util::result<std::optional<timestamp_offset>, storage_error>> max_timestamp_offset(
        model::offset upper_bound);

    // Removes every record at or after `offset`, at batch granularity: a batch holding `offset` goes
    // too, so the new log end offset is <= offset. Waits for writes in flight first. Producer state is
    // rebuilt from the newest snapshot at or below the new end. Returns the new log end offset; no-op
    // if offset >= log_end_offset. REQUIRES: offset >= log_start_offset.
    awaitable<util::result<model::offset, storage_error>> truncate_to(model::offset offset);

    // Replaces the whole log with an empty one that starts at `offset` (Kafka's
    // UnifiedLog.truncateFullyAndStartAt): a Raft follower whose log ends below the leader's log start
    // (raft::reset_op). Waits for writes in flight and for any truncation, retention, DeleteRecords or
    // compaction, then deletes every segment, producer snapshot and the leader-epoch-checkpoint, and
    // starts a new active segment at `offset`. Afterwards log_start_offset, log_end_offset, the high
    // watermark, the written, flushed and durable offsets and the recovery point all equal `offset`,
    // the leader epochs and producer state are empty, and a wait_written, wait_flushed or wait_durable
    // in progress for an offset of the old log ends with `truncated`. `offset` may lie anywhere, inside the log too: the
    // whole log goes. It is durable when this returns: a crash right after reopens the same empty log
    // at `offset`; a crash during it reopens a part of the old log (possibly empty, never a record the
    // old log did not have) or the empty log at `offset`. disk_full (the checkpoint could not be
    // written) leaves the log as it was. Returns `offset`. REQUIRES: offset >= 0.
    awaitable<util::result<model::offset, storage_error>> truncate_fully_and_start_at(model::offset offset);

    // DeleteRecords: moves log_start_offset up to `offset` (persisted before returning) and deletes the
    // segments wholly below it. offset_out_of_range if offset > high_watermark. Returns the new
    // log start offset (unchanged if offset is not above it).
    awaitable<util::result<model::offset, storage_error>> delete_records_before(model::offset offset);

    // retention.ms (by a segment's max timestamp) and retention.bytes: deletes whole closed segments
    // below the high watermark from the start of the log, at most max_segments per call, and advances
    // log_start_offset; also expires producer state (producer.id.expiration.ms). Call periodically.
    awaitable<util::result<retention_result, storage_error>> apply_retention(std::size_t max_segments = 16);

    // Compaction (cleanup.policy=compact; log_cleaner.h for the rules): one cleaning pass if the log
    // needs one, i.e. its dirty ratio reaches min.cleanable.dirty.ratio, its oldest dirty record is
    // older than max.compaction.lag.ms, or a tombstone's delete horizon has passed. Cleans the closed
    // segments below the first uncleanable offset (the active segment, the high watermark, the first
    // open transaction, and segments younger than min.compaction.lag.ms), merging neighbours that fit in
    // segment.bytes. Holds the exclusive flag (no retention or truncation meanwhile); appends and reads
    // go on. The first dirty offset is kept in memory: after a restart the whole log is dirty once.
    awaitable<util::result<compaction_result, storage_error>> compact(compaction_options options = {});

    // Wait until offset `o` is written / flushed / durable under the flush policy (starting a flush if
    // needed). Errors: log_offline, truncated (o was removed), log_closed; wait_written and wait_flushed
    // also the error of a failed write that did not reach `o`.
    awaitable<storage_error> wait_written(model::offset o);
    awaitable<storage_error> wait_flushed(model::offset o);
    awaitable<storage_error> wait_durable(model::offset o);
    // Flushes everything appended so far.
    awaitable<storage_error> flush();
    // Completes once high_watermark() > `seen`, or the log is closed, offline or truncated below `seen`
    // (callers re-check the state). Starts no I/O: for consumers waiting for new data (Fetch long poll).
    awaitable<void> wait_high_watermark_above(model::offset seen);

    // Stops accepting work, waits for what is in flight, and (unless the log is offline) makes the log
    // durable and writes the indexes, a producer snapshot, the checkpoint and the clean-shutdown
    // marker, so the next open() scans nothing.
    awaitable<void> close();
    // Stops like close() but writes nothing, as a crash would (tests use it after a simulated crash).
    awaitable<void> abandon();

    // Applies changed topic configs. Index sizes take effect for new segments.
    void update_config(const log_config& config) { config_ = config; }
    const log_config& config() const { return config_; }

    model::offset log_start_offset() const { return log_start_offset_; }
    model::offset log_end_offset() const { return next_offset_; }
    // Set by the owner (see the top of this file), clamped to [log_start_offset, log_end_offset]; it may
    // go down (a replica that truncates). A new log, or one just opened, starts at its log start offset.
    model::offset high_watermark() const { return high_watermark_; }
    void set_high_watermark(model::offset hw);
    // The offset below which appended data survives a crash under the flush policy.
    model::offset durable_offset() const { return config_.fsync_before_ack() ? flushed_offset_ : written_offset_; }
    // min(high watermark, first offset of an open transaction): what read_committed consumers may see.
    model::offset last_stable_offset() const;
    model::offset written_offset() const { return written_offset_; }
    model::offset flushed_offset() const { return flushed_offset_; }
    model::offset recovery_point() const { return recovery_point_; }
    std::uint64_t size_bytes() const;
    std::vector<segment_info> segments() const;
    const producer_state& producers() const { return producers_; }
    // Which leader epoch wrote which offsets (leader_epoch_cache.h), kept on disk beside the segments.
    const leader_epoch_cache& leader_epochs() const { return epochs_; }
    // A leader starting `epoch` records it at the log end offset before it writes anything (Kafka's
    // maybeAssignEpochStartOffset), so the epoch is known, and ends where it began, even if it never
    // writes. The file is rewritten as for an append that opens an epoch.
    void begin_epoch(std::int32_t epoch);
    // OffsetForLeaderEpoch (Kafka's UnifiedLog.endOffsetForEpoch): the largest epoch <= `epoch` this log
    // holds and the offset where it ended (the log end offset for the latest); nullopt if none is known.
    std::optional<std::pair<std::int32_t, model::offset>> end_offset_for_epoch(std::int32_t epoch) const;
    const recovery_report& recovery() const { return recovery_; }
    const std::filesystem::path& dir() const { return dir_; }
    const model::uuid& topic_id() const { return topic_id_; }
    bool offline() const { return offline_; }

private:
    struct io_state;
    class op_guard;
    class exclusive_guard;
    struct write_outcome {
        sys_errno error = sys_errno::none;
        bool fatal = false;  // an earlier roll/metadata/fsync failure: the log is offline
    };

    log(log_env env, std::filesystem::path dir, log_config config, model::uuid topic_id,
        asio::any_io_executor executor, loaded_log loaded);

    storage_error check_open() const;
    storage_error check_writable() const;
    segment& active() { return *segments_.back(); }
    const segment& active() const { return *segments_.back(); }
    std::shared_ptr<segment> segment_for(model::offset o) const;       // last with base <= o, else first
    std::shared_ptr<segment> segment_after(model::offset base) const;  // first with base > base, or null
    awaitable<storage_error> ensure_loaded(std::shared_ptr<segment> seg);
    // read() with zero_copy: the range of one segment, and a descriptor for it (log_read.cc).
    struct located_range;
    awaitable<located_range> locate_range(std::shared_ptr<segment> seg, std::uint32_t start,
                                          model::offset fetch_offset, model::offset bound, std::size_t max_bytes,
                                          bool min_one_batch);

    // Appending.
    void mark_dirty();
    void roll(std::int64_t now_ms);
    storage_error on_write_done(std::uint64_t generation, const write_outcome& w, model::offset next);

    // Flushing.
    void request_flush();
    awaitable<void> flush_loop();
    void schedule_flush_timer();
    awaitable<void> flush_timer_loop();

    // Maintenance (log_maintenance.cc).
    awaitable<storage_error> truncate_locked(model::offset offset);
    awaitable<void> drop_failed_rolls();
    awaitable<void> repair_after_write_failure();
    awaitable<storage_error> delete_front_segments(std::size_t count, model::offset new_log_start);
    awaitable<storage_error> write_checkpoint(partition_checkpoint checkpoint);
    // Queues a rewrite of leader-epoch-checkpoint on the FIFO disk executor, so that it lands before
    // any write queued after it (an append's batches: their epoch is on disk before they are); a full
    // disk fails the writes queued after it. Truncations and moves of the log start only mark the file
    // stale (epochs_file_stale_): open() cuts entries past the log end or below the log start anyway,
    // and the next append rewrites the file before its batches, so an entry the log no longer has never
    // describes batches appended later.
    void write_leader_epochs();
    awaitable<storage_error> wait_for_maintenance();
    // Compaction (log_compaction.cc).
    awaitable<storage_error> discard_cleaned(std::shared_ptr<cleaned_segment> cleaned);

    // Coordination on the loop.
    void spawn(awaitable<void> work);
    void notify();
    awaitable<void> wait_change();
    void go_offline(const char* what, sys_errno e);

    // Constant after construction.
    log_env env_;
    std::filesystem::path dir_;
    model::uuid topic_id_;
    asio::any_io_executor executor_;
    std::shared_ptr<io_state> io_;  // shared with disk tasks
    recovery_report recovery_;

    // Owned by the shard's event loop.
    log_config config_;
    std::deque<std::shared_ptr<segment>> segments_;  // never empty; back() is the active segment
    producer_state producers_;
    leader_epoch_cache epochs_;
    bool epochs_file_stale_ = false;
    std::set<model::offset> snapshots_;
    // Invariant: log_start_offset_ <= high_watermark_ <= next_offset_;
    //            flushed_offset_ <= written_offset_ <= next_offset_.
    model::offset log_start_offset_{0};
    model::offset high_watermark_{0};
    model::offset next_offset_{0};
    model::offset written_offset_{0};
    model::offset flushed_offset_{0};
    model::offset recovery_point_{0};
    std::optional<std::pair<model::offset, model::offset>>
        checkpoint_on_disk_;        // (log start, recovery point)
    model::offset cleaner_point_{0};                     // the first dirty offset (in memory only)
    std::optional<std::int64_t> next_delete_horizon_;    // the earliest tombstone horizon set so far
    std::uint64_t generation_ = 0;  // bumped by every truncation; writes of an older generation are void
    // Bumped by truncate_fully_and_start_at, which can move the log end up past offsets that waiters
    // are waiting for: those offsets are gone, not written (wait_written and friends check it).
    std::uint64_t resets_ = 0;
    std::size_t pending_writes_ = 0;
    std::int64_t unflushed_messages_ = 0;
    std::size_t ops_in_flight_ = 0;
    bool clean_marker_on_disk_ = false;
    bool closed_ = false;
    bool offline_ = false;
    bool write_failed_ = false;  // a write failed; appends are refused until the repair truncates
    storage_error write_error_ = storage_error::none;
    bool repairing_ = false;
    bool truncating_ = false;
    bool exclusive_ = false;  // a truncation, retention or DeleteRecords is running
    bool flusher_running_ = false;
    bool flush_timer_armed_ = false;
    asio::steady_timer changed_;  // never expires; cancel() wakes every wait_change()
    asio::steady_timer flush_timer_;
};

}  // namespace tributary::storage
