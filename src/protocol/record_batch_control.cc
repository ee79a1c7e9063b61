#include "protocol/record_batch_control.h"

#include <cassert>

#include "protocol/record_batch_builder.h"

namespace tributary::protocol {

util::result<control_record_key, batch_error> parse_control_record_key(bytes::bytes_view key) {
    if (key.size() < 4) return batch_error::invalid_record;
    control_record_key k;
    k.version = static_cast<std::int16_t>(bytes::load_be16(key.data()));
    k.type = static_cast<control_record_type>(static_cast<std::int16_t>(bytes::load_be16(key.data() + 2)));
    if (k.version < 0) return batch_error::invalid_record;
    return k;
}

util::result<end_txn_marker, batch_error> parse_end_txn_marker(bytes::bytes_view value) {
    if (value.size() < 6) return batch_error::invalid_record;
    end_txn_marker m;
    m.version = static_cast<std::int16_t>(bytes::load_be16(value.data()));
    m.coordinator_epoch = static_cast<std::int32_t>(bytes::load_be32(value.data() + 2));
    if (m.version < 0) return batch_error::invalid_record;
    return m;
}

bytes::byte_vector build_end_txn_marker_batch(model::offset base_offset, std::int64_t timestamp,
                                              model::leader_epoch partition_leader_epoch,
                                              model::producer_id producer_id, model::producer_epoch producer_epoch,
                                              control_record_type type, std::int32_t coordinator_epoch) {
    assert(type == control_record_type::abort || type == control_record_type::commit);
    bytes::byte key[4];
    bytes::store_be16(key, 0);
    bytes::store_be16(key + 2, static_cast<std::uint16_t>(type));
    bytes::byte value[6];
    bytes::store_be16(value, 0);
    bytes::store_be32(value + 2, static_cast<std::uint32_t>(coordinator_epoch));
    record_batch_builder b(util::compression_type::none, base_offset);
    b.producer(producer_id, producer_epoch, batch_format::no_sequence)
        .partition_leader_epoch(partition_leader_epoch)
        .transactional()
        .control()
        .add(timestamp, bytes::bytes_view(key), bytes::bytes_view(value));
    return std::move(b.build()).value();  // uncompressed: cannot fail
}

}  // namespace tributary::protocol
