// Parsing helpers for the small text files Tributary keeps beside a log in Kafka's line-oriented style
// (leader-epoch-checkpoint, voters-checkpoint): a whole-field integer parse and a line splitter.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace tributary::util {

// True iff all of `s` is one decimal integer that fits T.
template <typename T>
bool parse_int(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

// The next line of `text` (without its '\n' or a '\r' before it), consumed from `text`; nullopt at the end.
inline std::optional<std::string_view> next_line(std::string_view& text) {
    if (text.empty()) return std::nullopt;
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace tributary::util
