// File names and on-disk constants of a partition directory. The formats are described in
//   docs/formats/segment.md         (partition directory, .log segments, recovery, checkpoints)
//   docs/formats/indexes.md         (.index, .timeindex)
//   docs/formats/producer-state.md  (.snapshot)
// Keep them in step with this header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/fundamental.h"

namespace tributary::storage::format {

// Segment files are named by their base offset, zero-padded to 20 digits, as Kafka names them.
inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view offset_index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";
inline constexpr std::string_view producer_snapshot_suffix = ".snapshot";
inline constexpr std::string_view temp_suffix = ".tmp";  // write_file_atomically's temporary files

inline constexpr std::string_view partition_metadata_file = "partition.metadata";  // Kafka's text format
inline constexpr std::string_view partition_checkpoint_file = "partition.checkpoint";
inline constexpr std::string_view clean_shutdown_file = ".clean_shutdown";
inline constexpr std::string_view leader_epoch_checkpoint_file = "leader-epoch-checkpoint";  // Kafka's text format

std::string offset_file_name(model::offset base_offset,
                             std::string_view suffix);  // "00000000000000000042.log"
// The offset of a name of the form <20 digits><suffix>, or nullopt.
std::optional<model::offset> parse_offset_file_name(std::string_view name, std::string_view suffix);

// Offset index entry: relative offset (uint32, <= INT32_MAX) + file position (uint32), big-endian.
inline constexpr std::size_t offset_index_entry_size = 8;
// Time index entry: timestamp (int64) + relative offset (uint32), big-endian.
inline constexpr std::size_t time_index_entry_size = 12;
// Relative offsets must fit Kafka's int (LogSegment.canConvertToRelativeOffset).
inline constexpr std::int64_t max_relative_offset = 0x7fffffff;
// File positions are Kafka ints too, so a segment is never larger than this.
inline constexpr std::int64_t max_segment_bytes = 0x7fffffff;

// Our own checksummed files share an envelope:
//   magic:u32 version:u16 compat_version:u16 length:u32 crc:u32 body:byte{length}
// crc is CRC32C of bytes [4, 12) (version, compat_version, length) followed by the body.
inline constexpr std::size_t envelope_header_size = 16;
inline constexpr std::uint32_t partition_checkpoint_magic = 0x54504350;  // "TPCP"
inline constexpr std::uint32_t clean_shutdown_magic = 0x5443534d;        // "TCSM"
inline constexpr std::uint32_t producer_snapshot_magic = 0x5450534e;     // "TPSN"

// Versions we write. A reader accepts any file whose compat_version is <= the version it knows.
//   partition.checkpoint v1: log_start_offset:i64 recovery_point:i64
//   .clean_shutdown v1:      log_end_offset:i64 active_base_offset:i64 active_size:i64
//                            active_max_timestamp:i64 active_offset_of_max_timestamp:i64
//                            offset_index_entries:u32 time_index_entries:u32
//   .snapshot v1:            see docs/formats/producer-state.md
inline constexpr std::uint16_t partition_checkpoint_version = 1;
inline constexpr std::uint16_t clean_shutdown_version = 1;
inline constexpr std::uint16_t producer_snapshot_version = 1;

}  // namespace tributary::storage::format
