#include "storage/envelope.h"

#include "storage/format.h"
#include "util/crc32c.h"

namespace tributary::storage {

namespace {
std::uint32_t envelope_crc(const bytes::byte* header, bytes::bytes_view body) {
    return util::crc32c(body, util::crc32c(bytes::bytes_view(header + 4, 8)));
}
}  // namespace

bytes::byte_vector encode_envelope(std::uint32_t magic, std::uint16_t version, std::uint16_t compat_version,
                                   bytes::bytes_view body) {
    bytes::byte_vector out(format::envelope_header_size + body.size());
    bytes::store_be32(out.data(), magic);
    bytes::store_be16(out.data() + 4, version);
    bytes::store_be16(out.data() + 6, compat_version);
    bytes::store_be32(out.data() + 8, static_cast<std::uint32_t>(body.size()));
    std::copy(body.begin(), body.end(), out.begin() + format::envelope_header_size);
    bytes::store_be32(out.data() + 12, envelope_crc(out.data(), body));
    return out;
}

util::result<envelope, envelope_error> decode_envelope(bytes::bytes_view data, std::uint32_t magic,
                                                       std::uint16_t known_version) {
    if (data.size() < format::envelope_header_size) return envelope_error::truncated;
    const bytes::byte* p = data.data();
    if (bytes::load_be32(p) != magic) return envelope_error::bad_magic;
    const std::uint32_t length = bytes::load_be32(p + 8);
    if (data.size() - format::envelope_header_size < length) return envelope_error::truncated;
    const bytes::bytes_view body = data.subspan(format::envelope_header_size, length);
    if (envelope_crc(p, body) != bytes::load_be32(p + 12)) return envelope_error::crc_mismatch;
    // The CRC is checked first: a damaged version field must not be reported as a newer format.
    if (bytes::load_be16(p + 6) > known_version) return envelope_error::unsupported_version;
    return envelope{bytes::load_be16(p + 4), body};
}

}  // namespace tributary::storage
