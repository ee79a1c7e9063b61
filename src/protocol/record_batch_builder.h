// Builds record batches (magic 2): any codec, producer id/epoch/sequence, transactional and control
// flags, CreateTime or LogAppendTime. Used by tests, internal topics and the transaction coordinator's
// markers; the broker never rebuilds the batches producers send.
//
//   record_batch_builder b(util::compression_type::zstd, model::offset(0));
//   b.add(now_ms, key, value);
//   auto batch = b.build();  // result<byte_vector, compression_error>
#pragma once

#include <optional>
#include <span>

#include "protocol/record_batch.h"
#include "protocol/record_batch_reader.h"

namespace tributary::protocol {

class record_batch_builder {
public:
    explicit record_batch_builder(util::compression_type compression = util::compression_type::none,
                                  model::offset base_offset = model::offset(0))
        : compression_(compression), base_offset_(base_offset) {}

    record_batch_builder& producer(model::producer_id id, model::producer_epoch epoch, std::int32_t base_sequence) {
        producer_id_ = id;
        producer_epoch_ = epoch;
        base_sequence_ = base_sequence;
        return *this;
    }
    record_batch_builder& transactional(bool on = true) { return flag(batch_format::transactional_bit, on); }
    record_batch_builder& control(bool on = true) { return flag(batch_format::control_bit, on); }
    record_batch_builder& partition_leader_epoch(model::leader_epoch epoch) {
        partition_leader_epoch_ = epoch;
        return *this;
    }
    // LogAppendTime: maxTimestamp becomes `timestamp` and readers report it for every record.
    record_batch_builder& log_append_time(std::int64_t timestamp) {
        log_append_time_ = timestamp;
        return flag(batch_format::timestamp_type_bit, true);
    }
    // Marks baseTimestamp as the delete horizon (KIP-534), as the log cleaner writes it.
    // REQUIRES: called before the first add(); record timestamps are then deltas from the horizon.
    record_batch_builder& delete_horizon(std::int64_t horizon_ms) {
        base_timestamp_ = horizon_ms;
        return flag(batch_format::delete_horizon_bit, true);
    }
    record_batch_builder& compression_level(int level) {
        level_ = level;
        return *this;
    }

    // Appends a record at the next offset (one past the previous record).
    record_batch_builder& add(std::int64_t timestamp, std::optional<bytes::bytes_view> key,
                              std::optional<bytes::bytes_view> value, std::span<const record_header> headers = {}) {
        return add_at(next_offset_delta_, timestamp, key, value, headers);
    }
    // Appends a record at an explicit offset delta, leaving gaps as compaction does.
    // REQUIRES: offset_delta >= the delta the next add() would use.
    record_batch_builder& add_at(std::int32_t offset_delta, std::int64_t timestamp,
                                 std::optional<bytes::bytes_view> key, std::optional<bytes::bytes_view> value,
                                 std::span<const record_header> headers = {});

    // Keeps lastOffsetDelta at `delta` whatever records the batch holds, as Kafka's cleaner does with a
    // batch it rewrites (overrideLastOffset), so the batch's last sequence survives compaction.
    // REQUIRES: delta >= the offset delta of every record added.
    record_batch_builder& last_offset_delta(std::int32_t delta) {
        last_offset_delta_ = delta;
        return *this;
    }

    std::int32_t record_count() const { return record_count_; }

    // Encodes the batch with its CRC. Fails only if compression fails (an invalid level).
    util::result<bytes::byte_vector, util::compression_error> build() const;

private:
    record_batch_builder& flag(std::int16_t bit, bool on) {
        attributes_ = static_cast<std::int16_t>(on ? (attributes_ | bit) : (attributes_ & ~bit));
        return *this;
    }

    util::compression_type compression_;
    model::offset base_offset_;
    int level_ = util::default_compression_level;
    std::int16_t attributes_ = 0;
    model::leader_epoch partition_leader_epoch_{batch_format::no_partition_leader_epoch};
    model::producer_id producer_id_{batch_format::no_producer_id};
    model::producer_epoch producer_epoch_{batch_format::no_producer_epoch};
    std::int32_t base_sequence_ = batch_format::no_sequence;
    std::optional<std::int64_t> base_timestamp_;  // the first record's timestamp (or the delete horizon)
    std::int64_t max_timestamp_ = batch_format::no_timestamp;
    std::int64_t log_append_time_ = batch_format::no_timestamp;
    std::int32_t record_count_ = 0;
    std::int32_t next_offset_delta_ = 0;
    std::optional<std::int32_t> last_offset_delta_;
    bytes::byte_vector records_;  // encoded, uncompressed
};

}  // namespace tributary::protocol
