#include "protocol/produce_validation.h"

#include <algorithm>

#include <fmt/format.h>

#include "protocol/record_batch_reader.h"

namespace tributary::protocol {
namespace {

namespace bf = batch_format;
using model::error_code;

// Kafka's LegacyRecord.RECORD_OVERHEAD_V0: the smallest size field any message format has.
constexpr std::int32_t min_record_size_field = 14;

produce_validation failed(error_code e, std::string message) {
    produce_validation out;
    out.error = e;
    out.message = std::move(message);
    return out;
}

produce_validation no_batch(std::int16_t version) {
    return failed(error_code::invalid_record,
                  fmt::format("Produce requests with version {} must have at least one record batch per partition", version));
}

}  // namespace

produce_validation validate_produced_records(bytes::bytes_view data, std::int16_t version, const produce_limits& limits,
                                             std::int64_t now_ms, record_reader& reader) {
    // ProduceRequest.validateRecords: framing as Kafka's batch iterator sees it. A batch that is not
    // all there is no batch at all; a size or magic no format has is corruption.
    if (data.size() < bf::log_overhead) return no_batch(version);
    const auto batch_length = static_cast<std::int32_t>(bytes::load_be32(data.data() + bf::batch_length_at));
    if (batch_length < min_record_size_field)
        return failed(error_code::corrupt_message,
                      fmt::format("Record size {} is less than the minimum record overhead ({})", batch_length,
                                  min_record_size_field));
    if (data.size() <= bf::magic_at) return no_batch(version);
    const auto magic = static_cast<std::int8_t>(data[bf::magic_at]);
    if (magic < 0 || magic > bf::magic_v2)
        return failed(error_code::corrupt_message, fmt::format("Invalid magic found in record: {}", magic));
    const std::size_t size = static_cast<std::size_t>(batch_length) + bf::log_overhead;
    if (data.size() < size) return no_batch(version);
    if (magic != bf::magic_v2)
        return failed(error_code::invalid_record,
                      fmt::format("Produce requests with version {} are only allowed to contain record batches with "
                                  "magic version 2",
                                  version));
    if (size < bf::header_size)
        return failed(error_code::corrupt_message,
                      fmt::format("Record batch is corrupt (the size {} is smaller than the minimum allowed overhead {})",
                                  size, bf::header_size));
    const bytes::bytes_view batch = data.first(size);
    const auto attributes = static_cast<std::int16_t>(bytes::load_be16(batch.data() + bf::attributes_at));
    const int codec = attributes & bf::compression_mask;
    if (codec > static_cast<int>(util::compression_type::zstd))
        return failed(error_code::corrupt_message, fmt::format("Unknown compression type id: {}", codec));
    if (version < 7 && codec == static_cast<int>(util::compression_type::zstd))
        return failed(error_code::unsupported_compression_type,
                      fmt::format("Produce requests with version {} are not allowed to use ZStandard compression",
                                  version));
    if (data.size() > size)
        return failed(error_code::invalid_record,
                      fmt::format("Produce requests with version {} are only allowed to contain exactly one record "
                                  "batch per partition",
                                  version));

    // UnifiedLog.analyzeAndValidateRecords.
    const auto base_offset = static_cast<std::int64_t>(bytes::load_be64(batch.data() + bf::base_offset_at));
    if (base_offset != 0)
        return failed(error_code::invalid_record,
                      fmt::format("The baseOffset of the record batch should be 0, but it is {}", base_offset));
    if (size > static_cast<std::size_t>(std::max(0, limits.max_message_bytes)))
        return failed(error_code::message_too_large,
                      fmt::format("The record batch size is {} bytes which exceeds the maximum configured value of {} "
                                  "(max.message.bytes).",
                                  size, limits.max_message_bytes));
    const std::uint32_t stored_crc = bytes::load_be32(batch.data() + bf::crc_at);
    const std::uint32_t computed_crc = compute_crc(batch);
    if (stored_crc != computed_crc)
        return failed(error_code::corrupt_message,
                      fmt::format("Record is corrupt (stored crc = {}, computed crc = {})", stored_crc, computed_crc));

    // LogValidator.validateBatch.
    const auto last_offset_delta = static_cast<std::int32_t>(bytes::load_be32(batch.data() + bf::last_offset_delta_at));
    const auto count = static_cast<std::int32_t>(bytes::load_be32(batch.data() + bf::records_count_at));
    if (last_offset_delta < 0)
        return failed(error_code::invalid_record,
                      fmt::format("Batch has an invalid offset range: [0, {}]", last_offset_delta));
    if (count <= 0)
        return failed(error_code::invalid_record, fmt::format("Invalid reported count for record batch: {}", count));
    if (static_cast<std::int64_t>(count) != static_cast<std::int64_t>(last_offset_delta) + 1)
        return failed(error_code::invalid_record,
                      fmt::format("Inconsistent batch offset range [0, {}] and count of records {}", last_offset_delta,
                                  count));
    if (attributes & bf::control_bit)
        return failed(error_code::invalid_record, "Clients are not allowed to write control records");
    const auto producer_id = static_cast<std::int64_t>(bytes::load_be64(batch.data() + bf::producer_id_at));
    const auto base_sequence = static_cast<std::int32_t>(bytes::load_be32(batch.data() + bf::base_sequence_at));
    if (producer_id >= 0 && base_sequence < 0)
        return failed(error_code::invalid_record,
                      fmt::format("Invalid sequence number {} in record batch with producerId {}", base_sequence,
                                  producer_id));

    // LogValidator, record by record.
    if (auto e = reader.open(batch); e != batch_error::none) return failed(to_error_code(e), std::string(to_string(e)));
    const bool log_append_batch = (attributes & bf::timestamp_type_bit) != 0;
    produce_validation out;
    std::int32_t index = 0;
    while (reader.next()) {
        const auto& r = reader.record();
        if (r.offset_delta != index) {
            // Kafka rewrites such a batch; Tributary stores batches as sent, so it refuses it.
            return failed(error_code::invalid_record,
                          fmt::format("Record {} of the batch has offset delta {}; offset deltas must be 0, 1, 2, ...",
                                      index, r.offset_delta));
        }
        if (limits.compacted && !r.key) {
            out.record_errors.push_back(
                record_error{index, "Compacted topic cannot accept message without key in topic partition"});
            ++index;
            continue;
        }
        if (limits.timestamp_type == timestamp_type::create_time && !log_append_batch && r.timestamp != bf::no_timestamp) {
            // 128 bits: a client's timestamp may be anything, and now - INT64_MIN overflows 64 (found by
            // batch_validation_fuzz).
            const __int128 diff = static_cast<__int128>(now_ms) - r.timestamp;
            if (diff > limits.timestamp_before_max_ms || -diff > limits.timestamp_after_max_ms) {
                const auto lo = limits.timestamp_before_max_ms > now_ms ? std::numeric_limits<std::int64_t>::min()
                                                                        : now_ms - limits.timestamp_before_max_ms;
                out.record_errors.push_back(record_error{
                    index, fmt::format("Timestamp {} of message with offset {} is out of range. The timestamp should be "
                                       "within [{}, {}]",
                                       r.timestamp, r.offset.value(), lo,
                                       limits.timestamp_after_max_ms > std::numeric_limits<std::int64_t>::max() - now_ms
                                           ? std::numeric_limits<std::int64_t>::max()
                                           : now_ms + limits.timestamp_after_max_ms)});
            }
        } else if (log_append_batch) {
            out.record_errors.push_back(record_error{
                index, "Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime."});
        }
        ++index;
    }
    if (reader.error() != batch_error::none)
        return failed(error_code::invalid_record,
                      fmt::format("Record {} of the batch is malformed or the batch does not hold recordsCount ({}) "
                                  "records",
                                  index, count));
    if (!out.record_errors.empty()) {
        // Kafka: INVALID_TIMESTAMP if any record failed its timestamp check, else INVALID_RECORD.
        const bool keyless = std::any_of(out.record_errors.begin(), out.record_errors.end(), [](const auto& e) {
            return e.message.starts_with("Compacted topic");
        });
        const bool timestamp = std::any_of(out.record_errors.begin(), out.record_errors.end(), [](const auto& e) {
            return !e.message.starts_with("Compacted topic");
        });
        if (timestamp) {
            out.error = error_code::invalid_timestamp;
            out.message = "One or more records have been rejected due to invalid timestamp";
        } else if (keyless) {
            out.error = error_code::invalid_record;
            out.message = "One or more records have been rejected due to " + std::to_string(out.record_errors.size()) +
                          " record errors in total: compacted topic cannot accept message without key";
        }
    }
    return out;
}

}  // namespace tributary::protocol
