#include "storage/producer_snapshot.h"

#include <algorithm>

#include "bytes/reader.h"
#include "storage/format.h"

namespace tributary::storage {

namespace {
constexpr std::size_t batch_size = 4 + 4 + 8 + 8 + 8;
constexpr std::size_t producer_fixed_size = 8 + 2 + 4 + 8 + 8 + 1;

void put32(bytes::byte_vector& out, std::uint32_t v) {
    const std::size_t at = out.size();
    out.resize(at + 4);
    bytes::store_be32(out.data() + at, v);
}
void put64(bytes::byte_vector& out, std::uint64_t v) {
    const std::size_t at = out.size();
    out.resize(at + 8);
    bytes::store_be64(out.data() + at, v);
}
void put16(bytes::byte_vector& out, std::uint16_t v) {
    const std::size_t at = out.size();
    out.resize(at + 2);
    bytes::store_be16(out.data() + at, v);
}
}  // namespace

bytes::byte_vector encode_producer_snapshot(model::offset offset, const producer_state& state) {
    bytes::byte_vector body;
    body.reserve(12 + state.size() * (producer_fixed_size + producer_entry::batches_to_retain * batch_size));
    put64(body, static_cast<std::uint64_t>(offset.value()));
    put32(body, static_cast<std::uint32_t>(state.size()));
    // Sorted by producer id, so equal states give equal files.
    std::vector<model::producer_id> ids;
    ids.reserve(state.size());
    for (const auto& p : state.producers()) ids.push_back(p.first);
    std::sort(ids.begin(), ids.end());
    for (const model::producer_id id : ids) {
        const producer_entry& e = *state.find(id);
        put64(body, static_cast<std::uint64_t>(id.value()));
        put16(body, static_cast<std::uint16_t>(e.epoch.value()));
        put32(body, static_cast<std::uint32_t>(e.coordinator_epoch));
        put64(body, static_cast<std::uint64_t>(e.last_timestamp));
        put64(body, static_cast<std::uint64_t>(
                        e.current_txn_first_offset ? e.current_txn_first_offset->value() : -1));
        body.push_back(static_cast<bytes::byte>(e.batches.size()));
        for (const auto& b : e.batches) {
            put32(body, static_cast<std::uint32_t>(b.first_sequence));
            put32(body, static_cast<std::uint32_t>(b.last_sequence));
            put64(body, static_cast<std::uint64_t>(b.first_offset.value()));
            put64(body, static_cast<std::uint64_t>(b.last_offset.value()));
            put64(body, static_cast<std::uint64_t>(b.timestamp));
        }
    }
    return encode_envelope(format::producer_snapshot_magic, format::producer_snapshot_version,
                           format::producer_snapshot_version, body);
}

util::result<producer_snapshot, snapshot_error> decode_producer_snapshot(bytes::bytes_view data) {
    auto env = decode_envelope(data, format::producer_snapshot_magic, format::producer_snapshot_version);
    if (!env) return snapshot_error::envelope;
    bytes::reader in(env->body);
    producer_snapshot out;
    out.offset = model::offset(in.read_int64());
    const std::int32_t count = in.read_int32();
    if (!in.ok() || count < 0 || static_cast<std::size_t>(count) > in.remaining() / producer_fixed_size) {
        return snapshot_error::malformed;
    }
    for (std::int32_t i = 0; i < count; ++i) {
        const model::producer_id id(in.read_int64());
        producer_entry e;
        e.epoch = model::producer_epoch(in.read_int16());
        e.coordinator_epoch = in.read_int32();
        e.last_timestamp = in.read_int64();
        const std::int64_t txn = in.read_int64();
        if (txn >= 0) e.current_txn_first_offset = model::offset(txn);
        const std::uint8_t batches = in.read_uint8();
        if (!in.ok() || batches > producer_entry::batches_to_retain) return snapshot_error::malformed;
        for (std::uint8_t j = 0; j < batches; ++j) {
            producer_batch b;
            b.first_sequence = in.read_int32();
            b.last_sequence = in.read_int32();
            b.first_offset = model::offset(in.read_int64());
            b.last_offset = model::offset(in.read_int64());
            b.timestamp = in.read_int64();
            e.batches.push_back(b);
        }
        if (!in.ok()) return snapshot_error::malformed;
        out.state.set(id, std::move(e));
    }
    if (!in.at_end()) return snapshot_error::malformed;
    return out;
}

}  // namespace tributary::storage
