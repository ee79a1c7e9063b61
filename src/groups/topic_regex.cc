#include "groups/topic_regex.h"

#include <optional>
#include <regex>

namespace tributary::groups {
namespace {

std::optional<std::regex> compile(const std::string& pattern) {
    try {
        return std::regex(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
        return std::nullopt;
    }
}

}  // namespace

bool valid_topic_regex(const std::string& pattern) {
    return compile(pattern).has_value();
}

std::vector<std::string> matching_topics(const std::string& pattern, const std::vector<std::string>& names) {
    std::vector<std::string> out;
    auto re = compile(pattern);
    if (!re) return out;
    for (const auto& name : names) {
        if (std::regex_match(name, *re)) out.push_back(name);
    }
    return out;
}

}  // namespace tributary::groups
