// An offline consistency check of a partition directory (`tributary check-log`), written with the
// storage engine's own readers (segment_scanner, the index and checkpoint decoders), never a second
// parser. It checks what the broker relies on after a clean shutdown or a completed recovery:
//   - every batch of every segment is whole and passes protocol::validate (framing + CRC32C);
//   - offsets increase: each segment's batches start at or after its base offset, each batch after the
//     one before, each segment at or after where the previous one ended (compaction leaves gaps, and
//     may leave a closed segment empty; an overlap is a problem);
//   - every .index entry points at the start of a batch whose last offset is the entry's offset;
//   - every .timeindex entry (t, o) names the batch with last offset o whose max timestamp is t, every
//     earlier batch of the segment having a smaller one, and the last entry holds the segment's max;
//   - partition.checkpoint, .clean_shutdown and producer snapshots decode, and agree with the segments.
// Missing index files are noted, not problems: the active segment's are written when it is closed, and
// a full disk can leave a closed segment without them (the broker rebuilds them when it loads it). Any
// other finding is a problem. Runs on the calling thread, blocking.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/fundamental.h"
#include "storage/file_io.h"

namespace tributary::storage {

struct partition_check {
    std::filesystem::path dir;
    std::size_t segments = 0;
    std::uint64_t batches = 0;
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    std::size_t index_entries = 0;  // .index and .timeindex entries checked
    model::offset log_start_offset{0};
    model::offset log_end_offset{0};
    std::vector<std::string> problems;  // empty iff the directory is consistent
    std::vector<std::string> notes;     // facts worth a line that are not problems
};

partition_check check_partition_dir(file_system& fs, const std::filesystem::path& dir);

// Every partition directory under a broker's data directory (subdirectories holding .log files, the
// metadata log included; directories set aside as `.stray-` are skipped), in name order.
std::vector<partition_check> check_data_dir(file_system& fs, const std::filesystem::path& data_dir);

}  // namespace tributary::storage
