// The disk side of a segment: rebuilding its indexes from the file, loading and writing index files,
// and reading batches for fetches and timestamp lookups. Everything here blocks and runs on the disk
// executor; results go back to the event loop by value.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "storage/read_buffers.h"
#include "storage/segment.h"
#include "storage/segment_scanner.h"

namespace tributary::storage {

struct segment_scan {
    explicit segment_scan(segment_indexes i) : indexes(std::move(i)) {}

    segment_indexes indexes;
    std::uint64_t valid_size = 0;  // where the last whole valid batch ends
    model::offset next_offset;     // one past the last batch's last offset; the base offset if there is none
    std::optional<std::int64_t> first_batch_max_timestamp;
    std::size_t batches = 0;
    protocol::batch_error error = protocol::batch_error::none;  // why the scan stopped before `size`
    // The scan stopped at a whole, CRC-valid batch whose offsets do not belong there (error is then
    // invalid_record): the CRC does not cover the base offset, so this is how damage to it shows.
    bool offsets_out_of_order = false;
    sys_errno io_error = sys_errno::none;
};

// Scans [0, size) of the segment, rebuilding its indexes and timestamps. With `stop_before`, stops at
// the first batch whose last offset is >= it (that batch and everything after it are left out): a
// truncation point. `on_batch` sees every batch kept.
// Offsets must increase: the first batch starts at or after base_offset, each next one after the one
// before, and every offset fits the segment's 32-bit relative offsets. (Gaps are allowed, as replication
// and compaction will need; the appender itself never leaves one.)
segment_scan scan_segment(file& log, model::offset base_offset, std::uint64_t size,
                          segment_scanner::mode mode, const log_config& config,
                          std::optional<model::offset> stop_before = std::nullopt,
                          const std::function<void(const protocol::record_batch_header&)>& on_batch = {});

// Loads the .index and .timeindex files of a segment whose .log is `size` bytes and checks them
// (decode rules, and that the last offset index entry points at a batch ending at that offset).
// nullopt, with the reason in *problem, if either is missing or invalid: the caller rebuilds them.
std::optional<segment_indexes> load_segment_indexes(file_system& fs, segment_files& files,
                                                    model::offset base_offset, std::uint64_t size,
                                                    const log_config& config, std::string* problem);

// Writes both index files whole, and fdatasyncs them iff `sync`.
sys_errno write_segment_indexes(file_system& fs, const segment_files& files, const segment_indexes& indexes,
                                bool sync = true);

// write_segment_indexes, except that a full disk is not an error: the index files are removed instead
// (unlinking needs no space), so no partial index is left and they are rebuilt from the log when next
// needed. Returns the other errors.
sys_errno write_segment_indexes_if_room(file_system& fs, const segment_files& files,
                                        const segment_indexes& indexes, bool sync = true);

// The max timestamp of the segment's first batch, if it has one.
std::optional<std::int64_t> read_first_batch_timestamp(file& log, std::uint64_t size);

// A fetch from one segment: whole batches starting with the one that holds (or is the first after)
// fetch_offset, none at or past upper_bound, at most max_bytes unless min_one_batch and the first batch
// alone is larger (KIP-74). `found` is false iff the segment has no batch ending at or after fetch_offset.
struct segment_read {
    bool found = false;
    std::shared_ptr<read_buffer> buffer;  // holds `data`
    bytes::bytes_view data;
    model::offset first_offset{-1};  // base offset of the first batch returned
    model::offset next_offset{-1};   // one past the last batch returned
    sys_errno io_error = sys_errno::none;
    bool corrupt = false;
};
segment_read read_segment(file& log, std::uint64_t start_position, std::uint64_t end_position,
                          model::offset fetch_offset, model::offset upper_bound, std::size_t max_bytes,
                          bool min_one_batch, read_buffer_pool& buffers);

// read_segment's choice of batches without reading them: where they lie in the file, for a fetch served
// with sendfile. Reads only batch headers (one small pread per large batch; a larger window when
// batches are small). `data_position`/`data_size` give the range; data_size is 0 when nothing fits.
struct segment_range {
    bool found = false;
    std::uint64_t data_position = 0;
    std::size_t data_size = 0;
    model::offset first_offset{-1};
    model::offset next_offset{-1};
    sys_errno io_error = sys_errno::none;
    bool corrupt = false;
};
segment_range locate_segment_range(file& log, std::uint64_t start_position, std::uint64_t end_position,
                                   model::offset fetch_offset, model::offset upper_bound, std::size_t max_bytes,
                                   bool min_one_batch);

// The first record with timestamp >= target and offset >= min_offset among batches below upper_bound,
// scanning from start_position (Kafka's LogSegment.findOffsetByTimestamp).
struct segment_timestamp_lookup {
    std::optional<timestamp_offset> found;
    sys_errno io_error = sys_errno::none;
    bool corrupt = false;
};
segment_timestamp_lookup find_offset_by_timestamp(file& log, std::uint64_t start_position,
                                                  std::uint64_t end_position, std::int64_t target,
                                                  model::offset min_offset, model::offset upper_bound);

// The record holding the largest timestamp among batches below upper_bound, scanning from
// start_position and, with stop_after, no further than the batch holding that offset; the first such
// record on ties (KIP-734's ListOffsets MAX_TIMESTAMP).
segment_timestamp_lookup find_max_timestamp(file& log, std::uint64_t start_position,
                                            std::uint64_t end_position, model::offset upper_bound,
                                            std::optional<model::offset> stop_after);

}  // namespace tributary::storage
