// Per-partition log settings, named after Kafka's topic configs (and broker defaults). The partition
// manager resolves topic overrides and broker defaults into one of these.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "protocol/record_batch.h"

namespace tributary::storage {

struct log_config {
    std::int64_t segment_bytes = std::int64_t{1} << 30;   // segment.bytes (<= 2^31-1, as in Kafka)
    std::int64_t segment_ms = 7LL * 24 * 3600 * 1000;     // segment.ms
    std::int64_t segment_index_bytes = 10 * 1024 * 1024;  // segment.index.bytes: caps index entries
    std::int64_t retention_ms = 7LL * 24 * 3600 * 1000;   // retention.ms, -1 = keep forever
    std::int64_t retention_bytes = -1;                    // retention.bytes, -1 = no size limit
    std::int32_t index_interval_bytes = 4096;             // index.interval.bytes
    std::int32_t max_message_bytes = 1048588;             // max.message.bytes (per batch)
    // flush.messages / flush.ms. Unset (the default): an acks=all append is acknowledged only after an
    // fsync covers it, and consumers see only fsynced data. Set: fsync every N messages / T ms, and
    // acks=all and consumers wait only for the write to reach the OS.
    std::optional<std::int64_t> flush_messages;
    std::optional<std::int64_t> flush_ms;
    // message.timestamp.type: LogAppendTime makes the log stamp each batch with its clock.
    protocol::timestamp_type message_timestamp_type = protocol::timestamp_type::create_time;
    // message.timestamp.before.max.ms / after.max.ms: how far a CreateTime record's timestamp may lie
    // before or after the broker's clock (checked by Produce, not by the log).
    std::int64_t message_timestamp_before_max_ms = std::numeric_limits<std::int64_t>::max();
    std::int64_t message_timestamp_after_max_ms = 3'600'000;
    std::int64_t producer_id_expiration_ms = 86'400'000;  // producer.id.expiration.ms (broker)

    // Compaction (cleanup.policy containing "compact"; log_cleaner.h). Retention applies as well iff
    // retention_ms / retention_bytes are set, which the "delete" policy does.
    bool compact = false;
    double min_cleanable_dirty_ratio = 0.5;                    // min.cleanable.dirty.ratio
    std::int64_t delete_retention_ms = 86'400'000;            // delete.retention.ms (tombstones)
    std::int64_t min_compaction_lag_ms = 0;                   // min.compaction.lag.ms
    std::int64_t max_compaction_lag_ms = std::numeric_limits<std::int64_t>::max();  // max.compaction.lag.ms

    // True iff durability means fsync (flush.messages and flush.ms both unset).
    bool fsync_before_ack() const { return !flush_messages && !flush_ms; }
    std::size_t max_offset_index_entries() const;
    std::size_t max_time_index_entries() const;
};

}  // namespace tributary::storage
