// Producer-state snapshot files (<offset>.snapshot): the writer and the reader. The snapshot named N
// holds the producer state after every batch below offset N. Format: docs/formats/producer-state.md.
#pragma once

#include "bytes/bytes.h"
#include "storage/envelope.h"
#include "storage/producer_state.h"

namespace tributary::storage {

struct producer_snapshot {
    model::offset offset{0};  // the state covers every batch with offsets < offset
    producer_state state;
};

bytes::byte_vector encode_producer_snapshot(model::offset offset, const producer_state& state);

enum class snapshot_error : std::uint8_t {
    none = 0,
    envelope,   // bad magic, CRC mismatch, truncated, or a newer format
    malformed,  // the body does not decode
};

// REQUIRES nothing of `data` after return (the state is copied out).
util::result<producer_snapshot, snapshot_error> decode_producer_snapshot(bytes::bytes_view data);

}  // namespace tributary::storage
