#include <random>
#include <string_view>

#include "model/fundamental.h"

namespace tributary::model {
namespace {
constexpr std::string_view base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}  // namespace

uuid uuid::random() {
    // Kafka's Uuid.randomUuid() is a version-4 UUID that is never all zeros (the "zero" id means unset)
    // and never starts with '-' when printed (it would read as a command-line flag).
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    for (;;) {
        uuid u;
        for (int i = 0; i < 16; i += 8) {
            std::uint64_t r = rng();
            for (int j = 0; j < 8; ++j) u.bytes[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
        }
        u.bytes[6] = (u.bytes[6] & 0x0f) | 0x40;
        u.bytes[8] = (u.bytes[8] & 0x3f) | 0x80;
        if (!u.is_zero() && u.to_string()[0] != '-') return u;
    }
}

bool uuid::is_zero() const {
    for (auto b : bytes)
        if (b != 0) return false;
    return true;
}

std::string uuid::to_string() const {
    std::string out;
    out.reserve(22);
    std::uint32_t acc = 0;
    int bits = 0;
    for (auto b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(base64url[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(base64url[(acc << (6 - bits)) & 0x3f]);
    return out;
}

bool uuid::parse(std::string_view text, uuid& out) {
    if (text.size() != 22) return false;
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t n = 0;
    for (char c : text) {
        auto pos = base64url.find(c);
        if (pos == std::string_view::npos) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n < 16) out.bytes[n++] = static_cast<std::uint8_t>(acc >> bits);
        }
    }
    return n == 16;
}

}  // namespace tributary::model
