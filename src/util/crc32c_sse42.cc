// CRC-32C with the SSE4.2 crc32 instruction.
//
// One crc32 instruction folds 8 bytes, but has a latency of 3 cycles and a throughput of 1 per cycle, so
// a single dependent chain runs at a third of the possible speed. Long inputs are therefore split into
// three adjacent streams of L bytes whose registers advance in the same loop iteration (independent
// chains), and the three partial registers are combined afterwards. The CRC register is linear over
// GF(2) when no pre/post inversion is applied, so for a block a|b|c of L bytes each:
//     R(s, a|b|c) = Z_L(Z_L(R(s, a)) ^ R(0, b)) ^ R(0, c)
// where Z_L(x) is the register after feeding L zero bytes into x. Z_L is linear too and is applied with
// four 256-entry tables (one per byte of x), built once from the instruction itself.
#include <cstring>

#include "util/crc32c.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tributary::util {

#if defined(__x86_64__)

namespace {

// Stream lengths: a long one that amortizes the combine for big inputs, and a short one for
// inputs of a few hundred bytes (typical Kafka records). Both multiples of 8.
constexpr std::size_t long_stream = 8192;
constexpr std::size_t short_stream = 256;

struct zero_shift_table {
    std::uint32_t t[4][256];

    std::uint32_t apply(std::uint32_t x) const {
        return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
    }
};

__attribute__((target("sse4.2"))) zero_shift_table make_zero_shift_table(std::size_t zero_bytes) {
    // The image of each single bit under Z_L, then every byte value as the XOR of its bits' images.
    std::uint32_t column[32];
    for (int bit = 0; bit < 32; ++bit) {
        std::uint64_t r = std::uint64_t{1} << bit;
        for (std::size_t i = 0; i < zero_bytes; i += 8) r = _mm_crc32_u64(r, 0);
        column[bit] = static_cast<std::uint32_t>(r);
    }
    zero_shift_table z{};
    for (int k = 0; k < 4; ++k) {
        for (std::uint32_t b = 0; b < 256; ++b) {
            std::uint32_t v = 0;
            for (int bit = 0; bit < 8; ++bit) {
                if (b & (1u << bit)) v ^= column[8 * k + bit];
            }
            z.t[k][b] = v;
        }
    }
    return z;
}

inline std::uint64_t load_u64(const bytes::byte* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);  // x86 is little-endian, which is the byte order the instruction expects
    return v;
}

// Folds `blocks` triples of `stream` bytes each. REQUIRES: n >= 3 * stream * blocks.
__attribute__((target("sse4.2"))) inline std::uint64_t fold_three_streams(std::uint64_t r,
                                                                          const bytes::byte*& p,
                                                                          std::size_t& n, std::size_t stream,
                                                                          const zero_shift_table& shift) {
    while (n >= 3 * stream) {
        std::uint64_t r0 = r, r1 = 0, r2 = 0;
        const bytes::byte* a = p;
        const bytes::byte* b = p + stream;
        const bytes::byte* c = p + 2 * stream;
        for (std::size_t i = 0; i < stream; i += 8) {
            r0 = _mm_crc32_u64(r0, load_u64(a + i));
            r1 = _mm_crc32_u64(r1, load_u64(b + i));
            r2 = _mm_crc32_u64(r2, load_u64(c + i));
        }
        r = shift.apply(static_cast<std::uint32_t>(r0)) ^ r1;
        r = shift.apply(static_cast<std::uint32_t>(r)) ^ r2;
        p += 3 * stream;
        n -= 3 * stream;
    }
    return r;
}

}  // namespace

bool crc32c_hardware_available() {
    static const bool available = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return available;
}

__attribute__((target("sse4.2"))) std::uint32_t crc32c_hardware(bytes::bytes_view data, std::uint32_t crc) {
    static const zero_shift_table long_shift = make_zero_shift_table(long_stream);
    static const zero_shift_table short_shift = make_zero_shift_table(short_stream);

    std::uint64_t r = static_cast<std::uint32_t>(~crc);
    const bytes::byte* p = data.data();
    std::size_t n = data.size();
    while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
        r = _mm_crc32_u8(static_cast<std::uint32_t>(r), *p++);
        --n;
    }
    r = fold_three_streams(r, p, n, long_stream, long_shift);
    r = fold_three_streams(r, p, n, short_stream, short_shift);
    while (n >= 8) {
        r = _mm_crc32_u64(r, load_u64(p));
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        r = _mm_crc32_u8(static_cast<std::uint32_t>(r), *p++);
        --n;
    }
    return ~static_cast<std::uint32_t>(r);
}

#else  // no hardware path on this architecture

bool crc32c_hardware_available() { return false; }

std::uint32_t crc32c_hardware(bytes::bytes_view data, std::uint32_t crc) { return crc32c_portable(data, crc); }

#endif

}  // namespace tributary::util
