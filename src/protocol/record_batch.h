// Kafka's record batch (magic 2) as the broker handles it on the hot path: parse and validate headers,
// walk a concatenation of batches, and patch the fields the broker assigns (base offset, partition
// leader epoch) in place. Nothing here allocates or decompresses; records are read by
// record_batch_reader.h and written by record_batch_builder.h. Format: docs/formats/record-batch.md.
//
// The broker stores batches exactly as received. The CRC covers only the bytes from `attributes` to the
// end, so baseOffset, batchLength, partitionLeaderEpoch and magic can be rewritten without recomputing it.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "bytes/bytes.h"
#include "model/error_code.h"
#include "model/fundamental.h"
#include "protocol/record_batch_format.h"
#include "util/compression.h"
#include "util/result.h"

namespace tributary::protocol {

enum class timestamp_type : std::int8_t { create_time = 0, log_append_time = 1 };

// What can be wrong with a batch. to_error_code() maps each to the Kafka error the broker returns.
enum class batch_error : std::uint8_t {
    none = 0,
    // Framing: decided from the header without the body.
    truncated,               // fewer bytes than the header, or than batchLength promises (a torn tail)
    batch_length_too_small,  // batchLength < 49, the size of the header after it (negative included)
    batch_length_too_large,  // the batch is larger than the caller's limit
    unsupported_magic,       // magic 0 or 1: a pre-0.11 message set, which we do not accept
    invalid_magic,           // any magic other than 0, 1, 2
    invalid_compression,     // compression bits 5, 6 or 7
    invalid_last_offset_delta,  // lastOffsetDelta < 0
    invalid_record_count,    // recordsCount < 0, > lastOffsetDelta + 1, or more than the bytes can hold
    // Content.
    crc_mismatch,            // the stored CRC32C differs from the computed one
    invalid_record,          // a record does not decode, or the records disagree with recordsCount
    decompression_failed,    // the compressed records are not a valid stream of their codec
    decompressed_too_large,  // the records decompress to more than the reader's limit
};

std::string_view to_string(batch_error e);

// CORRUPT_MESSAGE for damage (CRC, framing, undecodable compression), INVALID_RECORD for well-formed
// batches whose contents break the format's rules (as Kafka's LogValidator), MESSAGE_TOO_LARGE for the
// size limits, UNSUPPORTED_FOR_MESSAGE_FORMAT for magic 0/1.
model::error_code to_error_code(batch_error e);

// Every field of the batch header, decoded. Produced by parse_header() / validate(), or filled in by hand.
struct record_batch_header {
    model::offset base_offset{0};
    std::int32_t batch_length = 0;
    model::leader_epoch partition_leader_epoch{batch_format::no_partition_leader_epoch};
    std::int8_t magic = batch_format::magic_v2;
    std::uint32_t crc = 0;
    std::int16_t attributes = 0;
    std::int32_t last_offset_delta = 0;
    std::int64_t base_timestamp = batch_format::no_timestamp;
    std::int64_t max_timestamp = batch_format::no_timestamp;
    model::producer_id producer_id{batch_format::no_producer_id};
    model::producer_epoch producer_epoch{batch_format::no_producer_epoch};
    std::int32_t base_sequence = batch_format::no_sequence;
    std::int32_t record_count = 0;

    // REQUIRES for compression(): the bits name a codec (parse_header() guarantees it).
    util::compression_type compression() const {
        return static_cast<util::compression_type>(attributes & batch_format::compression_mask);
    }
    protocol::timestamp_type timestamp_type() const {
        return (attributes & batch_format::timestamp_type_bit) ? timestamp_type::log_append_time
                                                               : timestamp_type::create_time;
    }
    bool is_transactional() const { return (attributes & batch_format::transactional_bit) != 0; }
    bool is_control() const { return (attributes & batch_format::control_bit) != 0; }
    bool has_delete_horizon() const { return (attributes & batch_format::delete_horizon_bit) != 0; }
    // With the delete-horizon bit set, baseTimestamp holds the horizon (KIP-534); -1 otherwise.
    std::int64_t delete_horizon_ms() const {
        return has_delete_horizon() ? base_timestamp : batch_format::no_timestamp;
    }
    bool has_producer_id() const { return producer_id.value() >= 0; }

    // The whole batch in bytes, log overhead included.
    std::size_t size_bytes() const { return static_cast<std::size_t>(batch_length) + batch_format::log_overhead; }
    // Two's-complement wrap instead of signed overflow when a hostile or corrupt header carries a base
    // offset near INT64_MAX: the result is then below base_offset, which the log's offset checks reject.
    model::offset last_offset() const {
        return model::offset(static_cast<std::int64_t>(static_cast<std::uint64_t>(base_offset.value()) +
                                                       static_cast<std::uint64_t>(last_offset_delta)));
    }
    model::offset next_offset() const { return model::offset(last_offset().value() + 1); }
    // The sequence of the last record: baseSequence + lastOffsetDelta, wrapping past INT32_MAX to 0 as
    // Kafka's producer does; -1 when the batch has no sequence.
    std::int32_t last_sequence() const;
};

// The largest batch any caller accepts: batchLength is an int32.
inline constexpr std::size_t max_batch_size =
    static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) + batch_format::log_overhead;

// Decodes and checks the header at the start of `data` (at least header_size bytes; the body need not be
// present). Checks: length, magic, batchLength >= 49 and within `max_size`, compression bits, and the
// counts (lastOffsetDelta >= 0, 0 <= recordsCount <= lastOffsetDelta + 1). Does not check the CRC.
util::result<record_batch_header, batch_error> parse_header(bytes::bytes_view data,
                                                            std::size_t max_size = max_batch_size);

// parse_header(), then that the whole batch is present at the start of `data` (more bytes may follow),
// its CRC, and for uncompressed batches that recordsCount records can fit. The batch is
// data.first(header.size_bytes()). Neither allocates nor decompresses.
util::result<record_batch_header, batch_error> validate(bytes::bytes_view data,
                                                        std::size_t max_size = max_batch_size);

// The checks Kafka adds for a batch a producer sends (LogValidator): at least one record and a record
// for every offset (recordsCount == lastOffsetDelta + 1). Batches in a log may fail these after
// compaction. REQUIRES: h came from parse_header()/validate().
batch_error check_produced_batch(const record_batch_header& h);

// Walks a concatenation of batches (a Produce request's `records`, a segment's bytes), validating each
// with validate(). Stops at the first invalid batch:
//
//   batch_iterator it(bytes);
//   while (it.next()) use(it.header(), it.batch());
//   if (it.error() != batch_error::none) reject(it.error(), it.position());
//
// At a segment's end, error() == truncated at position() means a torn write: the log ends there.
// REQUIRES: `data` outlives the iterator and the views it returns.
class batch_iterator {
public:
    explicit batch_iterator(bytes::bytes_view data, std::size_t max_size = max_batch_size)
        : data_(data), max_size_(max_size) {}

    // Moves to the next batch. False at the end of the data (error() == none) or at an invalid batch.
    bool next();

    // REQUIRES: the last next() returned true.
    const record_batch_header& header() const { return header_; }
    bytes::bytes_view batch() const { return data_.subspan(position_, header_.size_bytes()); }

    // Byte position of the current batch; after next() returned false, of the invalid batch or the end.
    std::size_t position() const { return position_; }
    batch_error error() const { return error_; }

private:
    bytes::bytes_view data_;
    std::size_t max_size_;
    std::size_t position_ = 0;
    std::size_t next_position_ = 0;
    record_batch_header header_{};
    batch_error error_ = batch_error::none;
};

// CRC32C of the bytes the batch CRC covers: from attributes to the end of `batch`.
// REQUIRES: batch.size() >= header_size.
std::uint32_t compute_crc(bytes::bytes_view batch);

// In-place updates of a batch the broker stores. REQUIRES: batch.size() >= header_size (a batch that
// validate() accepted). None of these fields is covered by the CRC.
void set_base_offset(bytes::mutable_bytes_view batch, model::offset base_offset);
void set_partition_leader_epoch(bytes::mutable_bytes_view batch, model::leader_epoch epoch);

// For topics with message.timestamp.type=LogAppendTime: sets the timestamp-type bit and maxTimestamp
// (which the CRC covers) and recomputes the CRC. REQUIRES: a whole batch that validate() accepted.
void set_log_append_time(bytes::mutable_bytes_view batch, std::int64_t timestamp);

}  // namespace tributary::protocol
