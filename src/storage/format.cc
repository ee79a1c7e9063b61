#include "storage/format.h"

#include <cstdio>

namespace tributary::storage::format {

std::string offset_file_name(model::offset base_offset, std::string_view suffix) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(base_offset.value()));
    std::string out(digits);
    out += suffix;
    return out;
}

std::optional<model::offset> parse_offset_file_name(std::string_view name, std::string_view suffix) {
    if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
    std::int64_t v = 0;
    for (std::size_t i = 0; i < 20; ++i) {
        const char c = name[i];
        if (c < '0' || c > '9') return std::nullopt;
        if (v > (INT64_MAX - (c - '0')) / 10) return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return model::offset(v);
}

}  // namespace tributary::storage::format
