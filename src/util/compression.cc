// Codec dispatch, level checks and rollback on error; the codecs are in compression_<codec>.cc.
#include "util/compression.h"

#include <zstd.h>

#include "util/compression_internal.h"

namespace tributary::util {
namespace {

bool valid_level(compression_type type, int level) {
    if (level == default_compression_level) return true;
    switch (type) {
    case compression_type::none: return false;
    case compression_type::gzip: return level >= 0 && level <= 9;
    case compression_type::snappy: return false;
    case compression_type::lz4: return level >= 0 && level <= 12;
    case compression_type::zstd: return level >= ZSTD_minCLevel() && level <= ZSTD_maxCLevel();
    }
    return false;
}

}  // namespace

std::optional<compression_type> compression_type_from_id(int id) {
    if (id < 0 || id > 4) return std::nullopt;
    return static_cast<compression_type>(id);
}

std::string_view to_string(compression_type t) {
    switch (t) {
    case compression_type::none: return "none";
    case compression_type::gzip: return "gzip";
    case compression_type::snappy: return "snappy";
    case compression_type::lz4: return "lz4";
    case compression_type::zstd: return "zstd";
    }
    return "unknown";
}

std::string_view to_string(compression_error e) {
    switch (e) {
    case compression_error::none: return "none";
    case compression_error::unknown_codec: return "unknown compression codec";
    case compression_error::invalid_level: return "invalid compression level";
    case compression_error::corrupt_input: return "corrupt compressed data";
    case compression_error::too_large: return "decompressed data exceeds the size limit";
    case compression_error::codec_failure: return "compression library failure";
    }
    return "unknown compression error";
}

compression_error compress(compression_type type, bytes::bytes_view input, bytes::byte_vector& out, int level) {
    if (!compression_type_from_id(static_cast<int>(type))) return compression_error::unknown_codec;
    if (!valid_level(type, level)) return compression_error::invalid_level;
    const std::size_t base = out.size();
    compression_error e = compression_error::none;
    switch (type) {
    case compression_type::none: out.insert(out.end(), input.begin(), input.end()); break;
    case compression_type::gzip: e = detail::gzip_compress(input, out, level); break;
    case compression_type::snappy: e = detail::snappy_compress(input, out); break;
    case compression_type::lz4: e = detail::lz4_compress(input, out, level); break;
    case compression_type::zstd: e = detail::zstd_compress(input, out, level); break;
    }
    if (e != compression_error::none) out.resize(base);
    return e;
}

compression_error decompress(compression_type type, bytes::bytes_view input, bytes::byte_vector& out,
                             std::size_t max_size) {
    if (!compression_type_from_id(static_cast<int>(type))) return compression_error::unknown_codec;
    const std::size_t base = out.size();
    compression_error e = compression_error::none;
    switch (type) {
    case compression_type::none:
        if (input.size() > max_size) return compression_error::too_large;
        out.insert(out.end(), input.begin(), input.end());
        break;
    case compression_type::gzip: e = detail::gzip_decompress(input, out, max_size); break;
    case compression_type::snappy: e = detail::snappy_decompress(input, out, max_size); break;
    case compression_type::lz4: e = detail::lz4_decompress(input, out, max_size); break;
    case compression_type::zstd: e = detail::zstd_decompress(input, out, max_size); break;
    }
    if (e != compression_error::none) out.resize(base);
    return e;
}

}  // namespace tributary::util
