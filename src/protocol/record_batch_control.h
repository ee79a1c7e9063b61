// Control records: the single record of a control batch (attribute bit 5). Its key is
// (int16 version, int16 type); for the transaction markers (KIP-98) its value is the EndTxnMarker
// (int16 version, int32 coordinatorEpoch). Kafka's ControlRecordType and EndTransactionMarker.
#pragma once

#include <cstdint>

#include "protocol/record_batch.h"

namespace tributary::protocol {

// Types 2.. are KRaft's (leader change, snapshot header/footer, kraft version, voters); values outside
// this list are kept as their number.
enum class control_record_type : std::int16_t {
    abort = 0,
    commit = 1,
    leader_change = 2,
    snapshot_header = 3,
    snapshot_footer = 4,
    kraft_version = 5,
    kraft_voters = 6,
};

struct control_record_key {
    std::int16_t version = 0;
    control_record_type type = control_record_type::abort;
};

struct end_txn_marker {
    std::int16_t version = 0;
    std::int32_t coordinator_epoch = 0;
};

// Decode a control record's key / an end-transaction marker's value. Newer versions are accepted (their
// fields start the same way, as Kafka reads them); short input or a negative version is invalid_record.
util::result<control_record_key, batch_error> parse_control_record_key(bytes::bytes_view key);
util::result<end_txn_marker, batch_error> parse_end_txn_marker(bytes::bytes_view value);

// A control batch holding one COMMIT or ABORT marker, as the transaction coordinator writes it at the
// end of a transaction: transactional and control bits set, no sequence, the record at base_offset.
// REQUIRES: type is abort or commit.
bytes::byte_vector build_end_txn_marker_batch(model::offset base_offset, std::int64_t timestamp,
                                              model::leader_epoch partition_leader_epoch,
                                              model::producer_id producer_id, model::producer_epoch producer_epoch,
                                              control_record_type type, std::int32_t coordinator_epoch);

}  // namespace tributary::protocol
