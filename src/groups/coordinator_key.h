// Which __consumer_offsets partition holds a group: Kafka's rule, so a group lives in the same
// partition here as on a Kafka cluster with the same partition count (and Kafka's tools that compute
// it agree):
//
//   partition = Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions
//
// where hashCode is Java's String.hashCode over the UTF-16 code units of the id, and Utils.abs maps
// Integer.MIN_VALUE to 0.
#pragma once

#include <cstdint>
#include <string_view>

namespace tributary::groups {

// Java's String.hashCode of the string whose UTF-8 encoding is `utf8` (malformed sequences count as
// U+FFFD, as Java's decoder replaces them).
std::int32_t java_string_hash(std::string_view utf8);

// REQUIRES: partition_count > 0.
std::int32_t partition_for_group(std::string_view group_id, std::int32_t partition_count);

}  // namespace tributary::groups
