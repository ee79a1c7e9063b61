// The records of __consumer_offsets, in Kafka's own format so Kafka's tools read them
// (docs/formats/consumer-offsets.md):
//
//   key   := version:int16 fields      version 0/1: OffsetCommitKey, 2: GroupMetadataKey,
//                                      3 and up: the KIP-848 records (ConsumerGroup*Key)
//   value := version:int16 fields      null value: a tombstone, the key's entry is deleted
//
// Keys are never flexible; the field layout of each type is its schema in
// src/protocol/coordinator_schemas (generated codecs). Values are written at the version Kafka 4 writes
// (OffsetCommitValue v3, or v1 when an expire timestamp is set; GroupMetadataValue v3) and read at any
// version the schema knows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bytes/bytes.h"
#include "protocol/messages/group_metadata_value.h"

namespace tributary::groups {

// Record types, as the key's version prefix names them.
inline constexpr std::int16_t offset_commit_key_version = 1;  // 0 is the same layout (legacy)
inline constexpr std::int16_t group_metadata_key_version = 2;
// 3 and up: KIP-848 records (ConsumerGroupMetadataKey = 3, ...): decoded by the consumer-group code.
inline constexpr std::int16_t first_consumer_group_key_version = 3;

inline constexpr std::int16_t offset_commit_value_version = 3;
inline constexpr std::int16_t offset_commit_value_version_with_expiry = 1;
inline constexpr std::int16_t group_metadata_value_version = 3;

struct offset_commit_value {
    std::int64_t offset = -1;
    std::int32_t leader_epoch = -1;
    std::string metadata;
    std::int64_t commit_timestamp = -1;
    std::int64_t expire_timestamp = -1;  // only OffsetCommit v2-4 with a retention time set it

    bool operator==(const offset_commit_value&) const = default;
};

using group_metadata_value = protocol::group_metadata_value;

bytes::byte_vector encode_offset_commit_key(std::string_view group, std::string_view topic, std::int32_t partition);
bytes::byte_vector encode_offset_commit_value(const offset_commit_value& value);
bytes::byte_vector encode_group_metadata_key(std::string_view group);
bytes::byte_vector encode_group_metadata_value(const group_metadata_value& value);

// A decoded key. `type` is the version prefix; for types other than offset commit and group metadata
// only `type` and `group` (when the record type starts with the group id, as every KIP-848 key does)
// are filled, and `body` is the key after the prefix for the code that knows the type.
struct record_key {
    std::int16_t type = -1;
    std::string group;
    std::string topic;           // offset commit only
    std::int32_t partition = -1;  // offset commit only
    bytes::bytes_view body;

    bool is_offset_commit() const { return type == 0 || type == 1; }
    bool is_group_metadata() const { return type == group_metadata_key_version; }
};

// Each returns nullopt (with the reason in `error`) for bytes that do not decode completely.
std::optional<record_key> decode_record_key(bytes::bytes_view data, std::string& error);
std::optional<offset_commit_value> decode_offset_commit_value(bytes::bytes_view data, std::string& error);
std::optional<group_metadata_value> decode_group_metadata_value(bytes::bytes_view data, std::string& error);

}  // namespace tributary::groups
