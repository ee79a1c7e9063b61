// The consumer protocol embedded in the classic group APIs: the ConsumerProtocolSubscription a Java
// (or librdkafka, franz-go) consumer puts in its JoinGroup metadata and the ConsumerProtocolAssignment
// a SyncGroup hands back (src/protocol/schemas, versions 0-3, each an int16 version then the fields).
// A consumer group with classic members (KIP-848 online migration) reads the first and writes the
// second itself, where a classic group only passes them through.
//
// A newer version than this code knows is read as the newest it knows (its leading fields are the
// same), as Kafka's ConsumerProtocol does. Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bytes/bytes.h"

namespace tributary::groups {

// Topic name -> partitions.
using named_partitions = std::map<std::string, std::set<std::int32_t>>;

struct embedded_subscription {
    std::int16_t version = 0;
    std::vector<std::string> topics;
    named_partitions owned;  // v1+
    std::optional<std::string> rack_id;  // v3+
};

// nullopt if the bytes are not a subscription.
std::optional<embedded_subscription> decode_embedded_subscription(bytes::bytes_view metadata);
// nullopt if the bytes are not an assignment; empty bytes are an empty assignment.
std::optional<named_partitions> decode_embedded_assignment(bytes::bytes_view assignment);
// The assignment at `version` (clamped to the known versions 0-3), without user data.
bytes::byte_vector encode_embedded_assignment(const named_partitions& partitions, std::int16_t version);
// The version prefix of a subscription (what Kafka answers the assignment in); 0 if unreadable.
std::int16_t embedded_version(bytes::bytes_view metadata);

}  // namespace tributary::groups
