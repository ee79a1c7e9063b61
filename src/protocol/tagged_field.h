// A tagged field (KIP-482) that the decoding schema does not know: kept as raw bytes so that a message
// decoded and encoded again keeps it, byte for byte, in its original position among the known tags.
#pragma once

#include <cstdint>

#include "bytes/bytes.h"

namespace tributary::protocol {

struct tagged_field {
    std::uint32_t tag = 0;
    bytes::byte_vector data;  // the field's value, without the tag and size prefixes

    bool operator==(const tagged_field&) const = default;
};

}  // namespace tributary::protocol
