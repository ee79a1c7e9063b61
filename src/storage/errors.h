// What the storage engine reports to its callers, and the Kafka error each maps to at the boundary.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/error_code.h"

namespace tributary::storage {

enum class storage_error : std::uint8_t {
    none = 0,
    // The request.
    offset_out_of_range,    // fetch/truncate/delete-records offset outside [log_start_offset, log_end_offset]
    invalid_batch,          // a batch handed to append() fails parse_header (the caller must validate)
    message_too_large,      // one batch is larger than max.message.bytes
    record_list_too_large,  // the batches are larger than segment.bytes, so no segment can hold them
    invalid_offset,         // a replicated batch whose offsets do not follow the log end offset
    // Idempotence and transactions (producer_state.h), Kafka's ProducerAppendInfo rules.
    out_of_order_sequence,   // a sequence gap, or a non-zero first sequence for a new producer epoch
    invalid_producer_epoch,  // the batch's producer epoch is older than the last one seen
    invalid_txn_state,       // a non-transactional batch while the producer has a transaction open
    coordinator_fenced,      // an end-transaction marker from an older coordinator epoch
    // The disk and the log's state.
    io_error,               // a read, write or fsync failed; fsync and roll failures take the log offline
    disk_full,              // ENOSPC: the append failed and was rolled back; acknowledged data is intact
    corrupt_data,           // a stored batch or metadata file failed its checks
    inconsistent_topic_id,  // partition.metadata names another topic id
    log_offline,            // an earlier fsync or metadata failure: nothing is served until reopened
    log_closed,             // close() has started
    truncated,              // the append was removed by a truncation before it was written
    // Replication.
    not_leader,             // this replica does not lead the partition (or stopped leading the epoch)
    not_enough_replicas,    // acks=all with fewer in-sync replicas than min.insync.replicas: nothing written
};

std::string_view to_string(storage_error e);

// KAFKA_STORAGE_ERROR for disk failures (clients retry elsewhere after metadata refresh, as with Kafka's
// offline log directories); NOT_LEADER_OR_FOLLOWER while the log is closing or was truncated away, so the
// client refreshes metadata and retries.
model::error_code to_error_code(storage_error e);

}  // namespace tributary::storage
