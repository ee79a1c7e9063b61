// The four compression codecs of Kafka record batches, in the exact stream formats Kafka clients write.
//
//   gzip    RFC 1952 gzip members (zlib). Concatenated members are decoded as one stream.
//   snappy  snappy-java's ("xerial") stream framing, as the Java client writes it:
//             magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version (1), int32 compatible version (1),
//             then blocks of big-endian int32 length + a raw snappy block (we write 32 KiB input blocks).
//           On decode a plain raw snappy block without that header is accepted too (librdkafka writes it).
//   lz4     the LZ4 frame format (lz4_Frame_format.md). We write independent 64 KiB blocks and no content
//           checksum or size: Java's Lz4BlockInputStream decodes every block on its own.
//   zstd    zstd frames. Decoded with the streaming API, since producers may omit the content size.
//
// Results are values: functions append to a caller's buffer and return a compression_error. On any error
// `out` is restored to the size it had on entry. Decompression is bounded by `max_size` (bytes this call
// may append), so a small hostile input cannot expand into an unbounded allocation.
//
// Thread safety: every function may be called concurrently from any thread; codec contexts are cached
// per thread.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "bytes/bytes.h"

namespace tributary::util {

// The values of bits 0-2 of a record batch's attributes.
enum class compression_type : std::int8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// Maps attribute bits to a codec; nullopt for the unassigned values 5-7.
std::optional<compression_type> compression_type_from_id(int id);
std::string_view to_string(compression_type t);

enum class compression_error : std::uint8_t {
    none = 0,
    unknown_codec,   // a compression_type value outside 0..4
    invalid_level,   // a level the codec does not accept
    corrupt_input,   // not a stream of this codec: bad header, damaged data, truncated, trailing bytes
    too_large,       // the output would exceed max_size, or the input is larger than the codec takes
    codec_failure,   // the library failed for another reason (out of memory)
};
std::string_view to_string(compression_error e);

// Selects each codec's default level: gzip 6 (Kafka's compression.gzip.level default), lz4 fast
// (librdkafka's choice; 3..12 selects LZ4-HC), zstd 3. Snappy has no levels.
inline constexpr int default_compression_level = std::numeric_limits<int>::min();

// Appends `input` compressed with `type` to `out`. compression_type::none appends the input unchanged.
compression_error compress(compression_type type, bytes::bytes_view input, bytes::byte_vector& out,
                           int level = default_compression_level);

// Appends the decompression of `input` to `out`; fails with too_large once more than `max_size` bytes
// would be appended. An empty input is corrupt for every codec except none.
compression_error decompress(compression_type type, bytes::bytes_view input, bytes::byte_vector& out,
                             std::size_t max_size);

}  // namespace tributary::util
