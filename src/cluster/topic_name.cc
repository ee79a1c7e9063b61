#include "cluster/topic_name.h"

#include <algorithm>

namespace tributary::cluster {

std::optional<std::string> check_topic_name(std::string_view name) {
    const std::string prefix = "Topic name is invalid: ";
    if (name.empty()) return prefix + "the empty string is not allowed";
    if (name == ".") return prefix + "'.' is not allowed";
    if (name == "..") return prefix + "'..' is not allowed";
    if (name.size() > max_topic_name_length) {
        return prefix + "the length of '" + std::string(name) + "' is longer than the max allowed length " +
               std::to_string(max_topic_name_length);
    }
    auto legal = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    };
    if (!std::all_of(name.begin(), name.end(), legal)) {
        return prefix + "'" + std::string(name) +
               "' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'";
    }
    return std::nullopt;
}

bool is_internal_topic(std::string_view name) {
    return name == consumer_offsets_topic || name == transaction_state_topic || name == share_group_state_topic;
}

bool has_collision_chars(std::string_view name) {
    return name.find('.') != std::string_view::npos || name.find('_') != std::string_view::npos;
}

std::string unify_collision_chars(std::string_view name) {
    std::string out(name);
    std::replace(out.begin(), out.end(), '.', '_');
    return out;
}

}  // namespace tributary::cluster
