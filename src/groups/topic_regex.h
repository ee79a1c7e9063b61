// KIP-848 regex subscriptions (SubscribedTopicRegex): compiling and matching topic names.
//
// The dialect is ECMAScript (std::regex), matched against the whole name as Kafka's RE2/J `matches()`
// is. RE2/J differs (no backreferences or lookaround; RE2 classes such as \pL); the common patterns
// (`prefix.*`, alternations, character classes) mean the same in both (docs/compatibility.md).
//
// Kept in its own file: GCC 12 reports false -Wmaybe-uninitialized warnings inside libstdc++'s
// <regex> at -O2 with sanitizers, so only this file is compiled without that warning.
#pragma once

#include <string>
#include <vector>

namespace tributary::groups {

// `pattern` compiles.
bool valid_topic_regex(const std::string& pattern);

// The names in `names` that `pattern` matches as a whole, in their order; none if it does not compile.
std::vector<std::string> matching_topics(const std::string& pattern, const std::vector<std::string>& names);

}  // namespace tributary::groups
