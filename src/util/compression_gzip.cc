// gzip (RFC 1952) through zlib. Kafka's Java client writes one member with GZIPOutputStream; we decode
// any number of concatenated members (as GZIPInputStream does) and reject bytes after them that are
// not another member.
#include <zlib.h>

#include "util/compression_internal.h"

namespace tributary::util::detail {
namespace {

constexpr int gzip_window_bits = 16 + MAX_WBITS;  // 16+: gzip header and trailer, not zlib's

// The ISIZE trailer field (uncompressed size mod 2^32 of the last member) as an allocation hint.
std::size_t gzip_size_hint(bytes::bytes_view input) {
    if (input.size() < 18) return 0;
    const bytes::byte* t = input.data() + input.size() - 4;
    std::size_t isize = std::size_t{t[0]} | (std::size_t{t[1]} << 8) | (std::size_t{t[2]} << 16) |
                        (std::size_t{t[3]} << 24);
    return output_size_hint(isize, input.size());
}

}  // namespace

compression_error gzip_compress(bytes::bytes_view input, bytes::byte_vector& out, int level) {
    if (input.size() > std::numeric_limits<uInt>::max()) return compression_error::too_large;
    z_stream s{};
    int zlevel = level == default_compression_level ? Z_DEFAULT_COMPRESSION : level;
    if (deflateInit2(&s, zlevel, Z_DEFLATED, gzip_window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return compression_error::codec_failure;
    }
    const std::size_t base = out.size();
    // deflateBound covers the whole stream for a single Z_FINISH call (gzip header and trailer included).
    const std::size_t bound = deflateBound(&s, static_cast<uLong>(input.size()));
    out.resize(base + bound);
    s.next_in = const_cast<Bytef*>(input.data());
    s.avail_in = static_cast<uInt>(input.size());
    s.next_out = out.data() + base;
    s.avail_out = static_cast<uInt>(bound);
    int rc = deflate(&s, Z_FINISH);
    std::size_t produced = s.total_out;
    deflateEnd(&s);
    if (rc != Z_STREAM_END) return compression_error::codec_failure;
    out.resize(base + produced);
    return compression_error::none;
}

compression_error gzip_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size) {
    if (input.empty()) return compression_error::corrupt_input;
    if (input.size() > std::numeric_limits<uInt>::max()) return compression_error::too_large;
    z_stream s{};
    if (inflateInit2(&s, gzip_window_bits) != Z_OK) return compression_error::codec_failure;
    struct end_on_exit {
        z_stream* s;
        ~end_on_exit() { inflateEnd(s); }
    } guard{&s};

    bounded_output o(out, max_size, gzip_size_hint(input));
    s.next_in = const_cast<Bytef*>(input.data());
    s.avail_in = static_cast<uInt>(input.size());
    for (;;) {
        std::size_t space = o.space_size();
        if (space == 0) return compression_error::too_large;
        if (space > std::numeric_limits<uInt>::max()) space = std::numeric_limits<uInt>::max();
        s.next_out = o.space_data();
        s.avail_out = static_cast<uInt>(space);
        int rc = inflate(&s, Z_NO_FLUSH);
        o.commit(space - s.avail_out);
        if (o.over_limit()) return compression_error::too_large;
        if (rc == Z_STREAM_END) {
            if (s.avail_in == 0) break;
            if (inflateReset(&s) != Z_OK) return compression_error::codec_failure;  // next member
            continue;
        }
        if (rc == Z_OK) continue;
        if (rc == Z_MEM_ERROR) return compression_error::codec_failure;
        // Z_BUF_ERROR with input left cannot happen (there is output space), so it means the input
        // ended inside a member; Z_DATA_ERROR and Z_NEED_DICT are damage.
        return compression_error::corrupt_input;
    }
    o.finish();
    return compression_error::none;
}

}  // namespace tributary::util::detail
