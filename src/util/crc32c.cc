// The portable CRC-32C and the runtime choice of implementation. The hardware path is in
// crc32c_sse42.cc, compiled for SSE4.2 only inside its own functions.
#include "util/crc32c.h"

#include <array>

namespace tributary::util {
namespace {

constexpr std::uint32_t reflected_polynomial = 0x82F63B78;

// table[k][b] is the CRC register after feeding byte b followed by k zero bytes into a zero register.
// Slicing-by-8 looks up all eight bytes of a word at once and XORs the eight results.
using slicing_tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr slicing_tables make_slicing_tables() {
    slicing_tables t{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t r = b;
        for (int bit = 0; bit < 8; ++bit) r = (r >> 1) ^ ((r & 1) ? reflected_polynomial : 0);
        t[0][b] = r;
    }
    for (std::size_t k = 1; k < 8; ++k) {
        for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
    return t;
}

constexpr slicing_tables tables = make_slicing_tables();

// Little-endian by construction: the reflected CRC consumes the lowest-addressed byte first.
inline std::uint32_t load_le32(const bytes::byte* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}

using crc_function = std::uint32_t (*)(bytes::bytes_view, std::uint32_t);

crc_function choose_implementation() {
    return crc32c_hardware_available() ? &crc32c_hardware : &crc32c_portable;
}

}  // namespace

std::uint32_t crc32c_portable(bytes::bytes_view data, std::uint32_t crc) {
    std::uint32_t r = ~crc;
    const bytes::byte* p = data.data();
    std::size_t n = data.size();
    // Byte steps up to an 8-byte boundary, so the word loop reads aligned words.
    while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
        r = tables[0][(r ^ *p++) & 0xff] ^ (r >> 8);
        --n;
    }
    while (n >= 8) {
        std::uint32_t lo = load_le32(p) ^ r;
        std::uint32_t hi = load_le32(p + 4);
        r = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^ tables[5][(lo >> 16) & 0xff] ^
            tables[4][lo >> 24] ^ tables[3][hi & 0xff] ^ tables[2][(hi >> 8) & 0xff] ^
            tables[1][(hi >> 16) & 0xff] ^ tables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        r = tables[0][(r ^ *p++) & 0xff] ^ (r >> 8);
        --n;
    }
    return ~r;
}

std::uint32_t crc32c(bytes::bytes_view data, std::uint32_t crc) {
    static const crc_function implementation = choose_implementation();
    return implementation(data, crc);
}

}  // namespace tributary::util
