// The small metadata files of a partition directory: writers and readers. Each is replaced atomically
// (write_file_atomically). Formats: docs/formats/segment.md.
//   partition.metadata   - Kafka's text file naming the topic id ("version: 0", "topic_id: <uuid>")
//   partition.checkpoint - log start offset and recovery point (our envelope, versioned)
//   .clean_shutdown      - present iff the log was closed cleanly and not written since (our envelope)
#pragma once

#include <optional>
#include <string>

#include "bytes/bytes.h"
#include "model/fundamental.h"
#include "storage/envelope.h"

namespace tributary::storage {

std::string encode_partition_metadata(const model::uuid& topic_id);
// The topic id, or nullopt if the text is not a version-0 partition.metadata.
std::optional<model::uuid> decode_partition_metadata(std::string_view text);

struct partition_checkpoint {
    // Offsets below this were deleted (DeleteRecords, retention); it may lie inside the first segment.
    model::offset log_start_offset{0};
    // Everything below this offset is durable, with valid indexes: recovery after a crash re-validates
    // only the segments from the one containing it onwards.
    model::offset recovery_point{0};
    bool operator==(const partition_checkpoint&) const = default;
};
bytes::byte_vector encode_partition_checkpoint(const partition_checkpoint& c);
util::result<partition_checkpoint, envelope_error> decode_partition_checkpoint(bytes::bytes_view data);

// Written last at a clean shutdown, after the segments are fsynced. Index files and the producer
// snapshot written with it are not fsynced: they are validated on open (and rebuilt if they do not
// match), so the marker records what they must contain.
struct clean_shutdown_marker {
    model::offset log_end_offset{0};
    model::offset active_base_offset{0};  // the last segment when the log was closed...
    std::uint64_t active_size = 0;        // ...and its size, checked on open against the file
    std::int64_t active_max_timestamp = -1;
    model::offset active_offset_of_max_timestamp{-1};
    std::uint32_t offset_index_entries = 0;  // of the active segment's index files
    std::uint32_t time_index_entries = 0;
    bool operator==(const clean_shutdown_marker&) const = default;
};
bytes::byte_vector encode_clean_shutdown_marker(const clean_shutdown_marker& m);
util::result<clean_shutdown_marker, envelope_error> decode_clean_shutdown_marker(bytes::bytes_view data);

}  // namespace tributary::storage
