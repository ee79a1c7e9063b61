// The checksummed envelope of our own small files (format.h, docs/formats/segment.md#envelope): writer
// and reader of the frame only; each file's body has its own codec.
#pragma once

#include <cstdint>

#include "bytes/bytes.h"
#include "util/result.h"

namespace tributary::storage {

enum class envelope_error : std::uint8_t {
    none = 0,
    truncated,  // shorter than the header, or than the length it declares
    bad_magic,  // not the expected kind of file
    crc_mismatch,
    unsupported_version,  // compat_version is newer than the reader
};

struct envelope {
    std::uint16_t version = 0;
    bytes::bytes_view body;  // a view into the decoded buffer
};

bytes::byte_vector encode_envelope(std::uint32_t magic, std::uint16_t version, std::uint16_t compat_version,
                                   bytes::bytes_view body);

// REQUIRES: `data` outlives the returned body view. Trailing bytes after the body are ignored.
util::result<envelope, envelope_error> decode_envelope(bytes::bytes_view data, std::uint32_t magic,
                                                       std::uint16_t known_version);

}  // namespace tributary::storage
