// The records of a KIP-848 consumer group in __consumer_offsets, in Kafka's format (the schemas in
// src/protocol/coordinator_schemas; docs/formats/consumer-offsets.md). Each key starts with an int16
// version that names the record type; each value with an int16 version (0 for every type here).
//
//   type  key                                       value
//   3     ConsumerGroupMetadataKey (group)           ConsumerGroupMetadataValue: the group epoch
//   4     ConsumerGroupPartitionMetadataKey (group)  ConsumerGroupPartitionMetadataValue: the subscribed
//                                                    topics (id, name, partition count) at that epoch
//   5     ConsumerGroupMemberMetadataKey (g, m)      ConsumerGroupMemberMetadataValue: ids, subscription
//   6     ConsumerGroupTargetAssignmentMetadataKey   ConsumerGroupTargetAssignmentMetadataValue: the
//                                                    assignment epoch
//   7     ConsumerGroupTargetAssignmentMemberKey     ConsumerGroupTargetAssignmentMemberValue: the
//                                                    member's partitions in the target assignment
//   8     ConsumerGroupCurrentMemberAssignmentKey    ConsumerGroupCurrentMemberAssignmentValue: member
//                                                    epoch, state, assigned and pending partitions
//
// A null value is a tombstone. Pure functions; no state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bytes/bytes.h"
#include "groups/consumer_member.h"

namespace tributary::groups {

inline constexpr std::int16_t consumer_group_metadata_type = 3;
inline constexpr std::int16_t consumer_group_partition_metadata_type = 4;
inline constexpr std::int16_t consumer_group_member_metadata_type = 5;
inline constexpr std::int16_t consumer_group_target_assignment_metadata_type = 6;
inline constexpr std::int16_t consumer_group_target_assignment_member_type = 7;
inline constexpr std::int16_t consumer_group_current_member_assignment_type = 8;

// Kafka's MemberState codes in ConsumerGroupCurrentMemberAssignmentValue.State.
std::int8_t to_record_state(member_state s);
std::optional<member_state> from_record_state(std::int8_t code);

// A record to append; no value is a tombstone.
struct coordinator_record {
    bytes::byte_vector key;
    std::optional<bytes::byte_vector> value;
    bool operator==(const coordinator_record&) const = default;
};

// The member's fields that ConsumerGroupMemberMetadataValue carries.
struct member_metadata {
    std::optional<std::string> instance_id;
    std::optional<std::string> rack_id;
    std::string client_id;
    std::string client_host;
    std::vector<std::string> subscribed_topic_names;
    std::string subscribed_topic_regex;  // empty: none (null in the record)
    std::int32_t rebalance_timeout_ms = -1;
    std::optional<std::string> server_assignor;
    std::optional<classic_member_metadata> classic;  // ClassicMemberMetadata: null for consumer members
    bool operator==(const member_metadata&) const = default;
};
member_metadata metadata_of(const consumer_member& m);

// The member's fields that ConsumerGroupCurrentMemberAssignmentValue carries.
struct member_assignment {
    std::int32_t member_epoch = 0;
    std::int32_t previous_member_epoch = -1;
    member_state state = member_state::stable;
    topic_partitions assigned;
    topic_partitions pending_revocation;
    bool operator==(const member_assignment&) const = default;
};
member_assignment assignment_of(const consumer_member& m);

// Encoders: one record each; the tombstone variants have no value.
coordinator_record group_epoch_record(std::string_view group, std::int32_t epoch);
coordinator_record group_epoch_tombstone(std::string_view group);
coordinator_record subscription_metadata_record(std::string_view group,
                                                const std::map<std::string, topic_info>& topics);
coordinator_record subscription_metadata_tombstone(std::string_view group);
coordinator_record member_metadata_record(std::string_view group, std::string_view member,
                                          const member_metadata& m);
coordinator_record member_metadata_tombstone(std::string_view group, std::string_view member);
coordinator_record target_assignment_epoch_record(std::string_view group, std::int32_t epoch);
coordinator_record target_assignment_epoch_tombstone(std::string_view group);
coordinator_record target_member_record(std::string_view group, std::string_view member,
                                        const topic_partitions& partitions);
coordinator_record target_member_tombstone(std::string_view group, std::string_view member);
coordinator_record current_assignment_record(std::string_view group, std::string_view member,
                                             const member_assignment& a);
coordinator_record current_assignment_tombstone(std::string_view group, std::string_view member);

// A decoded KIP-848 record: the type, the ids of its key, and (unless a tombstone) the one value
// that matches the type.
struct consumer_group_record {
    std::int16_t type = -1;
    std::string group_id;
    std::string member_id;  // types 5, 7 and 8
    bool tombstone = false;
    std::int32_t epoch = -1;                         // types 3 and 6
    std::map<std::string, topic_info> topics;        // type 4
    member_metadata metadata;                        // type 5
    topic_partitions partitions;                     // type 7
    member_assignment assignment;                    // type 8
};

// Decodes a key (with its version prefix) and value (with its version prefix, or nullopt for a
// tombstone). Returns nullopt with the reason in `error` for a type other than 3..8 or bytes that do
// not decode completely.
std::optional<consumer_group_record> decode_consumer_group_record(bytes::bytes_view key,
                                                                  std::optional<bytes::bytes_view> value,
                                                                  std::string& error);
// The same for a key whose version prefix was already read: `type` and the bytes after it.
std::optional<consumer_group_record> decode_consumer_group_record(std::int16_t type, bytes::bytes_view key_body,
                                                                  std::optional<bytes::bytes_view> value,
                                                                  std::string& error);

}  // namespace tributary::groups
