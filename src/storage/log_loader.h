// Opening a partition directory: the recoverer of the log (the writer is log.cc). Runs on the disk
// executor, blocking, and hands the loaded state to log::open by value.
//
// After a clean shutdown (a valid .clean_shutdown marker that matches the last segment) nothing is
// scanned: the log end offset comes from the marker and the active segment's indexes from their files.
// Otherwise every segment from the one holding the recovery point onwards is read and each batch checked
// with protocol::validate (framing + CRC32C). At the first invalid batch the log ends: that segment is
// truncated there and every later segment deleted. A batch cut short at the end of the file (or a tail
// of zero bytes, which a file system can leave after a crash) is a torn write; anything else is
// corruption. Both are reported with exactly what was dropped. Indexes of the scanned segments are
// rebuilt, and producer state is loaded from the newest snapshot at or below the log end offset and
// brought up to date by replaying the batches after it. The leader epochs (leader_epoch_cache.h) come
// from leader-epoch-checkpoint, cut to the recovered log; a missing or invalid file is rebuilt from the
// batch headers of every segment. Formats: docs/formats/segment.md, leader-epoch-checkpoint.md.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "model/fundamental.h"
#include "storage/errors.h"
#include "storage/file_io.h"
#include "storage/leader_epoch_cache.h"
#include "storage/producer_state.h"
#include "storage/segment.h"

namespace tributary::storage {

struct recovery_report {
    bool created = false;         // a new, empty partition directory
    bool clean_shutdown = false;  // opened from the marker, nothing scanned
    std::size_t segments_scanned = 0;
    std::uint64_t bytes_scanned = 0;
    // Where the log was cut, if it was.
    struct truncation {
        model::offset segment_base_offset;
        std::uint64_t position = 0;       // in that segment's .log
        std::uint64_t bytes_dropped = 0;  // from the cut to the end of the log, later segments included
        protocol::batch_error reason = protocol::batch_error::none;
        bool torn_tail = false;  // true: the writer died mid-batch; false: corruption
        // A valid batch (or segment) whose offsets do not follow the ones before: the CRC does not
        // cover the base offset, so this is how damage to it is found.
        bool offsets_out_of_order = false;
    };
    std::optional<truncation> truncated;
    std::vector<model::offset> segments_deleted;  // later segments removed by the cut
    std::size_t indexes_rebuilt = 0;
    std::optional<model::offset> producer_snapshot;  // the snapshot producer state started from
    std::size_t batches_replayed = 0;
    std::vector<std::string> notes;  // one line per other repair (stale files, invalid checkpoint, ...)
};
std::string to_string(const recovery_report& r);

struct segment_ref {
    model::offset base_offset;
    std::shared_ptr<segment_files> files;
    std::uint64_t size = 0;
};

struct loaded_segment {
    segment_ref ref;
    std::optional<segment_indexes> indexes;  // always set for the last (active) segment
    std::optional<std::int64_t> rolling_base_timestamp;
};

struct loaded_log {
    std::vector<loaded_segment> segments;  // at least one, ordered by base offset
    model::offset log_start_offset{0};
    model::offset log_end_offset{0};
    model::offset recovery_point{0};
    producer_state producers;
    std::vector<epoch_entry> leader_epochs;  // consistent with [log_start_offset, log_end_offset)
    std::set<model::offset> snapshots;   // producer snapshot files present
    bool clean_shutdown_marker = false;  // the marker file is still on disk
    std::optional<std::pair<model::offset, model::offset>> checkpoint_on_disk;  // (log start, recovery point)
    recovery_report report;
};

// REQUIRES: runs on the disk executor. topic_id may be zero (no partition.metadata is kept then).
util::result<loaded_log, storage_error> load_log(file_system& fs, const std::filesystem::path& dir,
                                                 const log_config& config, const model::uuid& topic_id);

// The producer state at `end`: the newest readable snapshot at or below `end`, plus the batches of
// `segments` from the snapshot's offset up to `end`. Snapshots above `end` and unreadable ones are
// deleted from disk and from `snapshots`.
struct producer_rebuild {
    producer_state state;
    std::optional<model::offset> snapshot;
    std::size_t batches_replayed = 0;
    sys_errno io_error = sys_errno::none;
};
producer_rebuild rebuild_producer_state(file_system& fs, const std::filesystem::path& dir,
                                        std::set<model::offset>& snapshots,
                                        const std::vector<segment_ref>& segments, model::offset end);

// The COMMIT/ABORT marker of a control batch, if it holds one. REQUIRES: a whole batch.
std::optional<txn_marker> parse_txn_marker(bytes::bytes_view batch);

}  // namespace tributary::storage
