#include "groups/coordinator_key.h"

namespace tributary::groups {
namespace {

// Decodes one code point at s[i], advancing i; malformed input yields U+FFFD and skips one byte.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
        ++i;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        ++i;
        return 0xfffd;
    }
    if (i + len > s.size()) {
        ++i;
        return 0xfffd;
    }
    for (std::size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) {
            ++i;
            return 0xfffd;
        }
        cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        ++i;
        return 0xfffd;
    }
    i += len;
    return cp;
}

}  // namespace

std::int32_t java_string_hash(std::string_view utf8) {
    std::uint32_t h = 0;  // Java's int arithmetic wraps; unsigned arithmetic wraps the same way
    for (std::size_t i = 0; i < utf8.size();) {
        std::uint32_t cp = next_code_point(utf8, i);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = 31 * h + (0xd800 + (cp >> 10));
            h = 31 * h + (0xdc00 + (cp & 0x3ff));
        } else {
            h = 31 * h + cp;
        }
    }
    return static_cast<std::int32_t>(h);
}

std::int32_t partition_for_group(std::string_view group_id, std::int32_t partition_count) {
    const std::int32_t h = java_string_hash(group_id);
    const std::int32_t abs = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
    return abs % partition_count;
}

}  // namespace tributary::groups
