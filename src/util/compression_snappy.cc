// Snappy in snappy-java's stream framing (the Java client's SnappyOutputStream), and raw snappy blocks.
#include <snappy.h>

#include <cstring>

#include "util/compression_internal.h"

namespace tributary::util::detail {
namespace {

constexpr bytes::byte xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x00};
constexpr std::size_t xerial_header_size = 16;  // magic, int32 version, int32 compatible version
constexpr std::uint32_t xerial_version = 1;
constexpr std::uint32_t xerial_compatible_version = 1;
// snappy-java's default block size, which the Java producer uses.
constexpr std::size_t xerial_block_size = 32 * 1024;

bool has_xerial_header(bytes::bytes_view input) {
    return input.size() >= sizeof(xerial_magic) && std::memcmp(input.data(), xerial_magic, 8) == 0;
}

// Appends one raw snappy block's decompression. `written` counts bytes appended by this call so far.
compression_error raw_block(bytes::bytes_view block, bytes::byte_vector& out, std::size_t& written,
                            std::size_t max_size) {
    const char* p = reinterpret_cast<const char*>(block.data());
    std::size_t length = 0;
    if (!snappy::GetUncompressedLength(p, block.size(), &length)) return compression_error::corrupt_input;
    // No snappy element expands more than 64 bytes from 3 (about 21:1), so a larger claimed length is a
    // forgery: refuse it before allocating for it.
    if (length / 32 > block.size()) return compression_error::corrupt_input;
    if (length > max_size - written) return compression_error::too_large;
    const std::size_t at = out.size();
    out.resize(at + length);
    if (!snappy::RawUncompress(p, block.size(), reinterpret_cast<char*>(out.data() + at))) {
        return compression_error::corrupt_input;
    }
    written += length;
    return compression_error::none;
}

}  // namespace

compression_error snappy_compress(bytes::bytes_view input, bytes::byte_vector& out) {
    std::size_t at = out.size();
    out.resize(at + xerial_header_size);
    std::memcpy(out.data() + at, xerial_magic, sizeof(xerial_magic));
    bytes::store_be32(out.data() + at + 8, xerial_version);
    bytes::store_be32(out.data() + at + 12, xerial_compatible_version);
    for (std::size_t pos = 0; pos < input.size(); pos += xerial_block_size) {
        std::size_t n = std::min(xerial_block_size, input.size() - pos);
        at = out.size();
        out.resize(at + 4 + snappy::MaxCompressedLength(n));
        std::size_t compressed = 0;
        snappy::RawCompress(reinterpret_cast<const char*>(input.data() + pos), n,
                            reinterpret_cast<char*>(out.data() + at + 4), &compressed);
        bytes::store_be32(out.data() + at, static_cast<std::uint32_t>(compressed));
        out.resize(at + 4 + compressed);
    }
    return compression_error::none;
}

compression_error snappy_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size) {
    if (input.empty()) return compression_error::corrupt_input;
    std::size_t written = 0;
    if (!has_xerial_header(input)) return raw_block(input, out, written, max_size);

    // The version fields are not checked: snappy-java has only ever written 1/1 and reads any stream
    // whose compatible version is at least 1, and the block format did not change.
    if (input.size() < xerial_header_size) return compression_error::corrupt_input;
    std::size_t pos = xerial_header_size;
    while (pos < input.size()) {
        if (input.size() - pos < 4) return compression_error::corrupt_input;
        std::uint32_t length = bytes::load_be32(input.data() + pos);
        pos += 4;
        if (length == 0 || length > input.size() - pos) return compression_error::corrupt_input;
        if (auto e = raw_block(input.subspan(pos, length), out, written, max_size); e != compression_error::none) {
            return e;
        }
        pos += length;
    }
    return compression_error::none;
}

}  // namespace tributary::util::detail
