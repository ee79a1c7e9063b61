// A segment of a partition's log: <base>.log (record batches, concatenated exactly as appended) with its
// sparse <base>.index and <base>.timeindex. Format: docs/formats/segment.md, docs/formats/indexes.md.
//
// `segment` is the event-loop side: sizes, offsets, indexes, roll decisions. It is owned by the log and
// touched only on the log's shard. The open file lives in `segment_files`, shared with the disk tasks
// that use it (segment_io.h), so a task in flight keeps it open after the segment is removed.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "bytes/file_region.h"
#include "protocol/record_batch.h"
#include "storage/file_io.h"
#include "storage/log_config.h"
#include "storage/offset_index.h"
#include "storage/time_index.h"

namespace tributary::storage {

struct segment_files {
    segment_files(const std::filesystem::path& dir, model::offset base_offset);

    std::filesystem::path log_path;
    std::filesystem::path offset_index_path;
    std::filesystem::path time_index_path;
    // REQUIRES: used only from disk tasks (after the task that opens it). Tasks of one log run in order.
    // Null iff the roll that created the segment could not create the file (the disk was full): such a
    // segment holds no written data and is dropped by the repair that follows (log::drop_failed_rolls).
    std::unique_ptr<file> log;
    // Set (on the disk side) when compaction replaced this segment: its paths now name the cleaned
    // segment, so a task still holding these files must not write index files under them.
    bool replaced = false;
    // A descriptor of `log` for zero-copy Fetch responses (sendfile), made on the first such read and
    // shared by every response that references the segment, so that queued responses keep the file
    // readable after retention deletes it, at the cost of one descriptor per segment read, not one per
    // response. Null until then, or if `log` has no descriptor. Same REQUIRES as `log`.
    std::shared_ptr<const bytes::shared_fd> send_fd;
};

// The indexes and timestamp bookkeeping of one segment, built the same way by the appender and by a
// scan of the file (Kafka's LogSegment.append / recover): after every index.interval.bytes of batches,
// the next batch gets an offset index entry (its last offset -> its position) and the time index gets
// the largest timestamp so far.
struct segment_indexes {
    segment_indexes(model::offset base_offset, const log_config& config)
        : offsets(base_offset, config.max_offset_index_entries()),
          times(base_offset, config.max_time_index_entries()) {}

    offset_index offsets;
    time_index times;
    std::size_t bytes_since_last_entry = 0;
    std::int64_t max_timestamp = protocol::batch_format::no_timestamp;
    model::offset offset_of_max_timestamp{-1};  // the last offset of the first batch with max_timestamp

    // REQUIRES: `position` is where h's batch starts, after every batch added before.
    void add_batch(const protocol::record_batch_header& h, std::uint32_t position,
                   std::int32_t index_interval_bytes);
    // The closing time index entry, so that the last entry holds the segment's max timestamp.
    void close() {
        if (max_timestamp >= 0) times.maybe_append(max_timestamp, offset_of_max_timestamp, true);
    }
    // After loading index files: max timestamp from the time index's last entry.
    void restore_max_timestamp();
};

class segment {
public:
    segment(model::offset base_offset, std::shared_ptr<segment_files> files, std::uint64_t size,
            std::int64_t created_ms)
        : base_offset_(base_offset), files_(std::move(files)), size_(size), created_ms_(created_ms) {}

    model::offset base_offset() const { return base_offset_; }
    const std::shared_ptr<segment_files>& files() const { return files_; }
    // Bytes appended (written or still queued for writing).
    std::uint64_t size() const { return size_; }

    // Indexes are loaded lazily for closed segments; the active segment always has them.
    bool loaded() const { return indexes_.has_value(); }
    // REQUIRES: loaded().
    const segment_indexes& indexes() const { return *indexes_; }
    void set_indexes(segment_indexes indexes) { indexes_ = std::move(indexes); }
    void unload_indexes() { indexes_.reset(); }
    std::int64_t max_timestamp() const {
        return indexes_ ? indexes_->max_timestamp : protocol::batch_format::no_timestamp;
    }

    // The max timestamp of the first batch (Kafka's rollingBasedTimestamp), if known.
    void set_rolling_base_timestamp(std::optional<std::int64_t> ts) { rolling_base_timestamp_ = ts; }
    const std::optional<std::int64_t>& rolling_base_timestamp() const { return rolling_base_timestamp_; }

    // True iff an append of `bytes` bytes whose largest timestamp is `max_timestamp` and largest offset
    // `last_offset` must go to a new segment (Kafka's LogSegment.shouldRoll). Never for an empty segment.
    // REQUIRES: loaded().
    bool should_roll(const log_config& config, std::uint64_t bytes, std::int64_t max_timestamp,
                     model::offset last_offset, std::int64_t now_ms) const;

    // Records a batch appended at position size(). REQUIRES: loaded().
    void append(const protocol::record_batch_header& h, const log_config& config);

    // Replaces the state after a truncation or recovery rebuilt it from the file.
    void reset(segment_indexes indexes, std::uint64_t size,
               std::optional<std::int64_t> rolling_base_timestamp) {
        indexes_ = std::move(indexes);
        size_ = size;
        rolling_base_timestamp_ = rolling_base_timestamp;
    }

    // Data appended since the last fsync of this segment's file.
    bool unsynced() const { return unsynced_; }
    void set_unsynced(bool v) { unsynced_ = v; }

    // What the log believed before the roll that created this segment, so that the roll can be undone
    // if its disk task could not create the file (a full disk): the log's recovery point and the
    // partition.checkpoint on disk then are the ones from before it.
    struct roll_undo {
        model::offset recovery_point;
        std::optional<std::pair<model::offset, model::offset>> checkpoint_on_disk;
    };
    void set_roll_undo(roll_undo u) { roll_undo_ = u; }
    const std::optional<roll_undo>& undo_of_roll() const { return roll_undo_; }

private:
    model::offset base_offset_;
    std::shared_ptr<segment_files> files_;
    std::uint64_t size_;
    std::int64_t created_ms_;
    std::optional<std::int64_t> rolling_base_timestamp_;
    std::optional<segment_indexes> indexes_;
    std::optional<roll_undo> roll_undo_;
    bool unsynced_ = false;
};

}  // namespace tributary::storage
