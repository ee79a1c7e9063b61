// The disk side of log compaction (Kafka's LogCleaner.Cleaner): building the offset map over a log's
// dirty section, writing cleaned copies of closed segments, and swapping them in crash-safely. The
// event-loop side (which log, which segments, when) is log::compact (log_compaction.cc). Everything
// here blocks and runs on the disk executor, in bounded chunks so one task never holds the shard's
// FIFO disk queue for long.
//
// Which records survive (Kafka's shouldRetainRecord and MemoryRecords.filterTo):
//   - a record with a key survives iff no later record with the same key is in the offset map, and it
//     is not a tombstone (null value) whose batch's delete horizon (KIP-534) has passed;
//   - a record without a key does not survive (Produce refuses them in a compacted topic; they can only
//     come from before the topic was compacted);
//   - transactional and control batches are kept whole (Tributary does not accept transactions from
//     clients yet; keeping them is the safe choice: docs/compatibility.md);
//   - a batch whose records all go is kept empty (header only, lastOffsetDelta and sequences intact)
//     iff it is the last batch of a producer id the log still tracks, so idempotence state survives a
//     rebuild from the log;
//   - a rewritten batch keeps its base offset, lastOffsetDelta, producer id/epoch/base sequence,
//     partition leader epoch, attributes and codec; its records keep their offsets and timestamps.
//     A batch that keeps tombstones and has no delete horizon gets now + delete.retention.ms as one.
//
// Swapping a group of segments [base, ...) for their cleaned copy (Kafka's replaceSegments):
//   1. write <base>.log.cleaned and fsync it;
//   2. rename it to <base>.log.swap, fsync the directory: from here on the swap is decided;
//   3. remove the group's other segments and the index files of <base>;
//   4. rename <base>.log.swap to <base>.log (replacing the old one), fsync the directory;
//   5. write the new index files.
// A crash before 2 leaves a .cleaned file, which the loader deletes (the old segments are intact).
// A crash after 2 leaves a .swap file, which the loader completes (complete_interrupted_swaps).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/fundamental.h"
#include "storage/file_io.h"
#include "storage/log_config.h"
#include "storage/segment.h"

namespace tributary::storage {

inline constexpr std::string_view cleaned_suffix = ".cleaned";
inline constexpr std::string_view swap_suffix = ".swap";

// key -> offset of the latest record with that key in the part of the dirty section mapped so far.
// Keys are held whole (no hash collisions can drop a record); memory is bounded by max_bytes.
class offset_map {
public:
    explicit offset_map(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    void put(bytes::bytes_view key, model::offset o);
    std::optional<model::offset> get(bytes::bytes_view key) const;
    std::size_t size() const { return map_.size(); }
    std::size_t bytes() const { return bytes_; }
    bool full() const { return bytes_ >= max_bytes_; }

private:
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::unordered_map<std::string, std::int64_t> map_;
};

// Where a chunked scan of a segment stopped.
struct chunk_result {
    std::uint64_t next_position = 0;  // == size: the segment is done
    sys_errno io_error = sys_errno::none;
    bool corrupt = false;  // an invalid batch: the cleaner stops and leaves the log as it is
};

// Adds the keyed records of the non-transactional data batches of [start, size) of `log` to `map`,
// reading about `budget` bytes (whole batches).
chunk_result map_segment_chunk(file& log, std::uint64_t start, std::uint64_t size, offset_map& map,
                               std::size_t budget);

// What a cleaning pass decides with.
struct cleaning_policy {
    std::shared_ptr<const offset_map> map;
    std::int64_t now_ms = 0;
    std::int64_t delete_retention_ms = 0;
    // producer id -> last offset of its last batch, for the producers the log tracks.
    std::unordered_map<std::int64_t, std::int64_t> producer_last_offsets;
};

// The cleaned copy of a group of segments, built by clean_segment_chunk calls.
struct cleaned_segment {
    cleaned_segment(const std::filesystem::path& dir, model::offset base, const log_config& config);

    model::offset base_offset;
    std::filesystem::path cleaned_path;  // <base>.log.cleaned
    std::filesystem::path swap_path;     // <base>.log.swap
    std::shared_ptr<segment_files> files;  // the final names; files->log is the open .cleaned file
    std::uint64_t size = 0;
    segment_indexes indexes;
    std::optional<std::int64_t> first_batch_max_timestamp;
    std::uint64_t records_kept = 0;
    std::uint64_t records_removed = 0;
    std::uint64_t bytes_read = 0;
    std::optional<std::int64_t> earliest_delete_horizon;  // of the batches kept with tombstones
};

// Creates (truncating) the .cleaned file.
sys_errno open_cleaned(file_system& fs, cleaned_segment& out);

// Appends the surviving records of [start, size) of `log` (about `budget` bytes read) to `out`.
chunk_result clean_segment_chunk(file& log, std::uint64_t start, std::uint64_t size,
                                 const cleaning_policy& policy, const log_config& config, cleaned_segment& out,
                                 std::size_t budget);

// Steps of the swap, for tests that stop in between (as a crash would).
enum class swap_step : int { cleaned_synced = 1, renamed_to_swap = 2, old_removed = 3, swapped_in = 4, done = 5 };

// Steps 1-5 above. `old_segments` are the group's segments, the first being <base>. With stop_after
// set, returns after that step (the caller then abandons the log as a crash would).
sys_errno swap_in_cleaned(file_system& fs, const std::filesystem::path& dir, cleaned_segment& cleaned,
                          const std::vector<std::shared_ptr<segment_files>>& old_segments,
                          std::optional<swap_step> stop_after = std::nullopt);

// For the loader: removes leftover .cleaned files and completes every <base>.log.swap (Kafka's rules:
// the segments whose base offset lies in [base, the swap file's next offset) are replaced by it).
// Appends one note per file handled. REQUIRES: runs before the segments are opened.
sys_errno complete_interrupted_swaps(file_system& fs, const std::filesystem::path& dir, const log_config& config,
                                     std::vector<std::string>& notes);

}  // namespace tributary::storage
