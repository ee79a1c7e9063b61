#include "storage/errors.h"

namespace tributary::storage {

std::string_view to_string(storage_error e) {
    switch (e) {
        case storage_error::none: return "none";
        case storage_error::offset_out_of_range: return "offset out of range";
        case storage_error::invalid_batch: return "invalid record batch";
        case storage_error::message_too_large: return "batch larger than max.message.bytes";
        case storage_error::record_list_too_large: return "batches larger than segment.bytes";
        case storage_error::invalid_offset: return "replicated offsets do not follow the log end offset";
        case storage_error::out_of_order_sequence: return "out of order sequence number";
        case storage_error::invalid_producer_epoch: return "producer epoch is older than the last seen";
        case storage_error::invalid_txn_state: return "non-transactional batch inside an open transaction";
        case storage_error::coordinator_fenced: return "transaction marker from an older coordinator epoch";
        case storage_error::io_error: return "I/O error";
        case storage_error::disk_full: return "no space left on device";
        case storage_error::corrupt_data: return "stored data is corrupt";
        case storage_error::inconsistent_topic_id: return "partition.metadata has another topic id";
        case storage_error::log_offline: return "log is offline after a disk failure";
        case storage_error::log_closed: return "log is closed";
        case storage_error::truncated: return "append was truncated before it was written";
        case storage_error::not_leader: return "this replica does not lead the partition";
        case storage_error::not_enough_replicas: return "fewer in-sync replicas than min.insync.replicas";
    }
    return "unknown storage error";
}

model::error_code to_error_code(storage_error e) {
    using ec = model::error_code;
    switch (e) {
        case storage_error::none: return ec::none;
        case storage_error::offset_out_of_range: return ec::offset_out_of_range;
        case storage_error::invalid_batch: return ec::corrupt_message;
        case storage_error::message_too_large: return ec::message_too_large;
        case storage_error::record_list_too_large: return ec::record_list_too_large;
        case storage_error::invalid_offset: return ec::unknown_server_error;
        case storage_error::out_of_order_sequence: return ec::out_of_order_sequence_number;
        case storage_error::invalid_producer_epoch: return ec::invalid_producer_epoch;
        case storage_error::invalid_txn_state: return ec::invalid_txn_state;
        case storage_error::coordinator_fenced: return ec::transaction_coordinator_fenced;
        case storage_error::io_error: return ec::kafka_storage_error;
        case storage_error::disk_full: return ec::kafka_storage_error;
        case storage_error::corrupt_data: return ec::kafka_storage_error;
        case storage_error::inconsistent_topic_id: return ec::inconsistent_topic_id;
        case storage_error::log_offline: return ec::kafka_storage_error;
        case storage_error::log_closed: return ec::not_leader_or_follower;
        case storage_error::truncated: return ec::not_leader_or_follower;
        case storage_error::not_leader: return ec::not_leader_or_follower;
        case storage_error::not_enough_replicas: return ec::not_enough_replicas;
    }
    return ec::unknown_server_error;
}

}  // namespace tributary::storage
