#include "groups/group_records.h"

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "groups/record_codec.h"
#include "protocol/messages/group_metadata_key.h"
#include "protocol/messages/offset_commit_key.h"
#include "protocol/messages/offset_commit_value.h"
#include "protocol/wire.h"

namespace tributary::groups {
using record_codec::decode_whole;
using record_codec::encode_versioned;

bytes::byte_vector encode_offset_commit_key(std::string_view group, std::string_view topic, std::int32_t partition) {
    protocol::offset_commit_key key;
    key.group = std::string(group);
    key.topic = std::string(topic);
    key.partition = partition;
    return encode_versioned(key, offset_commit_key_version);
}

bytes::byte_vector encode_offset_commit_value(const offset_commit_value& value) {
    protocol::offset_commit_value v;
    v.offset = value.offset;
    v.leader_epoch = value.leader_epoch;
    v.metadata = value.metadata;
    v.commit_timestamp = value.commit_timestamp;
    v.expire_timestamp = value.expire_timestamp;
    const std::int16_t version =
        value.expire_timestamp >= 0 ? offset_commit_value_version_with_expiry : offset_commit_value_version;
    return encode_versioned(v, version);
}

bytes::byte_vector encode_group_metadata_key(std::string_view group) {
    protocol::group_metadata_key key;
    key.group = std::string(group);
    return encode_versioned(key, group_metadata_key_version);
}

bytes::byte_vector encode_group_metadata_value(const group_metadata_value& value) {
    return encode_versioned(value, group_metadata_value_version);
}

std::optional<record_key> decode_record_key(bytes::bytes_view data, std::string& error) {
    bytes::reader r(data);
    record_key out;
    out.type = r.read_int16();
    if (!r.ok()) {
        error = "record key shorter than its version";
        return std::nullopt;
    }
    out.body = data.subspan(2);
    if (out.is_offset_commit()) {
        protocol::offset_commit_key key;
        if (!decode_whole(r, out.type, key, error)) return std::nullopt;
        out.group = std::move(key.group);
        out.topic = std::move(key.topic);
        out.partition = key.partition;
    } else if (out.is_group_metadata()) {
        protocol::group_metadata_key key;
        if (!decode_whole(r, out.type, key, error)) return std::nullopt;
        out.group = std::move(key.group);
    } else if (out.type >= first_consumer_group_key_version) {
        // Every KIP-848 key starts with the group id as a (non-flexible) string.
        auto group = protocol::wire::read_string(r, false);
        if (r.ok()) out.group = std::move(group);
    } else {
        error = "unknown record key version " + std::to_string(out.type);
        return std::nullopt;
    }
    return out;
}

std::optional<offset_commit_value> decode_offset_commit_value(bytes::bytes_view data, std::string& error) {
    bytes::reader r(data);
    const std::int16_t version = r.read_int16();
    protocol::offset_commit_value v;
    if (!r.ok() || !decode_whole(r, version, v, error)) {
        if (error.empty()) error = "offset commit value shorter than its version";
        return std::nullopt;
    }
    offset_commit_value out;
    out.offset = v.offset;
    out.leader_epoch = v.leader_epoch;
    out.metadata = std::move(v.metadata);
    out.commit_timestamp = v.commit_timestamp;
    out.expire_timestamp = v.expire_timestamp;
    return out;
}

std::optional<group_metadata_value> decode_group_metadata_value(bytes::bytes_view data, std::string& error) {
    bytes::reader r(data);
    const std::int16_t version = r.read_int16();
    group_metadata_value v;
    if (!r.ok() || !decode_whole(r, version, v, error)) {
        if (error.empty()) error = "group metadata value shorter than its version";
        return std::nullopt;
    }
    return v;
}

}  // namespace tributary::groups
