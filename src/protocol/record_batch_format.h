// Field positions and attribute bits of Kafka's record batch, magic 2 (KIP-98).
// The format, with a worked example, is described in docs/formats/record-batch.md; keep them in step.
//
// Every fixed-width field is big-endian. Offsets below are from the first byte of the batch.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tributary::protocol::batch_format {

inline constexpr std::size_t base_offset_at = 0;             // int64
inline constexpr std::size_t batch_length_at = 8;            // int32: bytes after this field
inline constexpr std::size_t partition_leader_epoch_at = 12; // int32
inline constexpr std::size_t magic_at = 16;                  // int8
inline constexpr std::size_t crc_at = 17;                    // uint32: CRC32C of [attributes_at, end)
inline constexpr std::size_t attributes_at = 21;             // int16
inline constexpr std::size_t last_offset_delta_at = 23;      // int32
inline constexpr std::size_t base_timestamp_at = 27;         // int64
inline constexpr std::size_t max_timestamp_at = 35;          // int64
inline constexpr std::size_t producer_id_at = 43;            // int64
inline constexpr std::size_t producer_epoch_at = 51;         // int16
inline constexpr std::size_t base_sequence_at = 53;          // int32
inline constexpr std::size_t records_count_at = 57;          // int32
inline constexpr std::size_t records_at = 61;                // the records, possibly one compressed block

inline constexpr std::size_t header_size = 61;
// baseOffset and batchLength are not counted by batchLength ("log overhead" in Kafka).
inline constexpr std::size_t log_overhead = 12;
inline constexpr std::int32_t min_batch_length = static_cast<std::int32_t>(header_size - log_overhead);  // 49

inline constexpr std::int8_t magic_v2 = 2;

// Attribute bits.
inline constexpr std::int16_t compression_mask = 0x07;   // bits 0-2: util::compression_type
inline constexpr std::int16_t timestamp_type_bit = 0x08; // bit 3: 0 CreateTime, 1 LogAppendTime
inline constexpr std::int16_t transactional_bit = 0x10;  // bit 4
inline constexpr std::int16_t control_bit = 0x20;        // bit 5
inline constexpr std::int16_t delete_horizon_bit = 0x40; // bit 6: baseTimestamp is the delete horizon (KIP-534)

// The smallest encoded record: length, attributes, timestampDelta, offsetDelta, keyLength, valueLength
// and header count, one byte each.
inline constexpr std::size_t min_record_size = 7;

// "No producer" values of producerId / producerEpoch / baseSequence, and "unknown" partitionLeaderEpoch.
inline constexpr std::int64_t no_producer_id = -1;
inline constexpr std::int16_t no_producer_epoch = -1;
inline constexpr std::int32_t no_sequence = -1;
inline constexpr std::int32_t no_partition_leader_epoch = -1;
inline constexpr std::int64_t no_timestamp = -1;

}  // namespace tributary::protocol::batch_format
