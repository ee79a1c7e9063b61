#include "groups/consumer_group_records.h"

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "groups/record_codec.h"
#include "protocol/messages/consumer_group_current_member_assignment_key.h"
#include "protocol/messages/consumer_group_current_member_assignment_value.h"
#include "protocol/messages/consumer_group_member_metadata_key.h"
#include "protocol/messages/consumer_group_member_metadata_value.h"
#include "protocol/messages/consumer_group_metadata_key.h"
#include "protocol/messages/consumer_group_metadata_value.h"
#include "protocol/messages/consumer_group_partition_metadata_key.h"
#include "protocol/messages/consumer_group_partition_metadata_value.h"
#include "protocol/messages/consumer_group_target_assignment_member_key.h"
#include "protocol/messages/consumer_group_target_assignment_member_value.h"
#include "protocol/messages/consumer_group_target_assignment_metadata_key.h"
#include "protocol/messages/consumer_group_target_assignment_metadata_value.h"

namespace tributary::groups {
namespace {

using record_codec::decode_whole;
using record_codec::encode_versioned;

// Every value type here is at version 0 (Kafka 4 writes v0 of each).
constexpr std::int16_t value_version = 0;

template <typename Key>
Key group_key(std::string_view group) {
    Key k;
    k.group_id = std::string(group);
    return k;
}

template <typename Key>
Key member_key(std::string_view group, std::string_view member) {
    Key k;
    k.group_id = std::string(group);
    k.member_id = std::string(member);
    return k;
}

// The value after its version prefix, decoded as M.
template <typename M>
bool decode_value(bytes::bytes_view data, M& out, std::string& error) {
    bytes::reader r(data);
    const std::int16_t version = r.read_int16();
    if (!r.ok()) {
        error = std::string(M::message_name) + " shorter than its version";
        return false;
    }
    return decode_whole(r, version, out, error);
}

template <typename Wire>
std::vector<Wire> to_wire(const topic_partitions& in) {
    std::vector<Wire> out;
    for (const auto& [topic, partitions] : in) {
        if (partitions.empty()) continue;
        Wire tp;
        tp.topic_id = topic;
        tp.partitions.assign(partitions.begin(), partitions.end());
        out.push_back(std::move(tp));
    }
    return out;
}

template <typename Wire>
topic_partitions from_wire(const std::vector<Wire>& in) {
    topic_partitions out;
    for (const auto& tp : in) {
        if (tp.partitions.empty()) continue;
        out[tp.topic_id].insert(tp.partitions.begin(), tp.partitions.end());
    }
    return out;
}

}  // namespace

std::int8_t to_record_state(member_state s) {
    switch (s) {
        case member_state::stable: return 0;
        case member_state::unrevoked_partitions: return 1;
        case member_state::unreleased_partitions: return 2;
    }
    return 127;  // UNKNOWN
}

std::optional<member_state> from_record_state(std::int8_t code) {
    switch (code) {
        case 0: return member_state::stable;
        case 1: return member_state::unrevoked_partitions;
        case 2: return member_state::unreleased_partitions;
        default: return std::nullopt;
    }
}

member_metadata metadata_of(const consumer_member& m) {
    member_metadata out;
    out.instance_id = m.instance_id;
    out.rack_id = m.rack_id;
    out.client_id = m.client_id;
    out.client_host = m.client_host;
    out.subscribed_topic_names = m.subscribed_topic_names;
    out.subscribed_topic_regex = m.subscribed_topic_regex;
    out.rebalance_timeout_ms = m.rebalance_timeout_ms;
    out.server_assignor = m.server_assignor;
    out.classic = m.classic;
    return out;
}

member_assignment assignment_of(const consumer_member& m) {
    member_assignment out;
    out.member_epoch = m.member_epoch;
    out.previous_member_epoch = m.previous_member_epoch;
    out.state = m.state;
    out.assigned = m.assigned;
    out.pending_revocation = m.pending_revocation;
    return out;
}

coordinator_record group_epoch_record(std::string_view group, std::int32_t epoch) {
    protocol::consumer_group_metadata_value v;
    v.epoch = epoch;
    return {encode_versioned(group_key<protocol::consumer_group_metadata_key>(group), consumer_group_metadata_type),
            encode_versioned(v, value_version)};
}

coordinator_record group_epoch_tombstone(std::string_view group) {
    return {encode_versioned(group_key<protocol::consumer_group_metadata_key>(group), consumer_group_metadata_type),
            std::nullopt};
}

coordinator_record subscription_metadata_record(std::string_view group,
                                                const std::map<std::string, topic_info>& topics) {
    protocol::consumer_group_partition_metadata_value v;
    for (const auto& [name, info] : topics) {
        auto& t = v.topics.emplace_back();
        t.topic_id = info.id;
        t.topic_name = name;
        t.num_partitions = info.partitions;
        // PartitionMetadata (racks) stays empty: Kafka 4 no longer uses it.
    }
    return {encode_versioned(group_key<protocol::consumer_group_partition_metadata_key>(group),
                             consumer_group_partition_metadata_type),
            encode_versioned(v, value_version)};
}

coordinator_record subscription_metadata_tombstone(std::string_view group) {
    return {encode_versioned(group_key<protocol::consumer_group_partition_metadata_key>(group),
                             consumer_group_partition_metadata_type),
            std::nullopt};
}

coordinator_record member_metadata_record(std::string_view group, std::string_view member, const member_metadata& m) {
    protocol::consumer_group_member_metadata_value v;
    v.instance_id = m.instance_id;
    v.rack_id = m.rack_id;
    v.client_id = m.client_id;
    v.client_host = m.client_host;
    v.subscribed_topic_names = m.subscribed_topic_names;
    v.subscribed_topic_regex = m.subscribed_topic_regex.empty() ? std::nullopt
                                                                : std::optional<std::string>(m.subscribed_topic_regex);
    v.rebalance_timeout_ms = m.rebalance_timeout_ms;
    v.server_assignor = m.server_assignor;
    // ClassicMemberMetadata is null for a consumer-protocol member: the tagged field is left out, which
    // the generated encoder does when the field holds its default (an empty struct). A classic member
    // always has a protocol, so its metadata is never the default and is written.
    using classic_type = protocol::consumer_group_member_metadata_value::classic_member_metadata_type;
    v.classic_member_metadata = classic_type{};
    if (m.classic) {
        auto& c = *v.classic_member_metadata;
        c.session_timeout_ms = m.classic->session_timeout_ms;
        for (const auto& [name, metadata] : m.classic->protocols) {
            auto& p = c.supported_protocols.emplace_back();
            p.name = name;
            p.metadata = metadata;
        }
    }
    return {encode_versioned(member_key<protocol::consumer_group_member_metadata_key>(group, member),
                             consumer_group_member_metadata_type),
            encode_versioned(v, value_version)};
}

coordinator_record member_metadata_tombstone(std::string_view group, std::string_view member) {
    return {encode_versioned(member_key<protocol::consumer_group_member_metadata_key>(group, member),
                             consumer_group_member_metadata_type),
            std::nullopt};
}

coordinator_record target_assignment_epoch_record(std::string_view group, std::int32_t epoch) {
    protocol::consumer_group_target_assignment_metadata_value v;
    v.assignment_epoch = epoch;
    return {encode_versioned(group_key<protocol::consumer_group_target_assignment_metadata_key>(group),
                             consumer_group_target_assignment_metadata_type),
            encode_versioned(v, value_version)};
}

coordinator_record target_assignment_epoch_tombstone(std::string_view group) {
    return {encode_versioned(group_key<protocol::consumer_group_target_assignment_metadata_key>(group),
                             consumer_group_target_assignment_metadata_type),
            std::nullopt};
}

coordinator_record target_member_record(std::string_view group, std::string_view member,
                                        const topic_partitions& partitions) {
    protocol::consumer_group_target_assignment_member_value v;
    v.topic_partitions = to_wire<protocol::consumer_group_target_assignment_member_value::topic_partition>(partitions);
    return {encode_versioned(member_key<protocol::consumer_group_target_assignment_member_key>(group, member),
                             consumer_group_target_assignment_member_type),
            encode_versioned(v, value_version)};
}

coordinator_record target_member_tombstone(std::string_view group, std::string_view member) {
    return {encode_versioned(member_key<protocol::consumer_group_target_assignment_member_key>(group, member),
                             consumer_group_target_assignment_member_type),
            std::nullopt};
}

coordinator_record current_assignment_record(std::string_view group, std::string_view member,
                                             const member_assignment& a) {
    using value = protocol::consumer_group_current_member_assignment_value;
    value v;
    v.member_epoch = a.member_epoch;
    v.previous_member_epoch = a.previous_member_epoch;
    v.state = to_record_state(a.state);
    v.assigned_partitions = to_wire<value::topic_partitions>(a.assigned);
    v.partitions_pending_revocation = to_wire<value::topic_partitions>(a.pending_revocation);
    return {encode_versioned(member_key<protocol::consumer_group_current_member_assignment_key>(group, member),
                             consumer_group_current_member_assignment_type),
            encode_versioned(v, value_version)};
}

coordinator_record current_assignment_tombstone(std::string_view group, std::string_view member) {
    return {encode_versioned(member_key<protocol::consumer_group_current_member_assignment_key>(group, member),
                             consumer_group_current_member_assignment_type),
            std::nullopt};
}

std::optional<consumer_group_record> decode_consumer_group_record(bytes::bytes_view key,
                                                                  std::optional<bytes::bytes_view> value,
                                                                  std::string& error) {
    bytes::reader r(key);
    const std::int16_t type = r.read_int16();
    if (!r.ok()) {
        error = "record key shorter than its version";
        return std::nullopt;
    }
    return decode_consumer_group_record(type, key.subspan(2), value, error);
}

std::optional<consumer_group_record> decode_consumer_group_record(std::int16_t type, bytes::bytes_view key_body,
                                                                  std::optional<bytes::bytes_view> value,
                                                                  std::string& error) {
    bytes::reader r(key_body);
    consumer_group_record out;
    out.type = type;
    out.tombstone = !value.has_value();
    auto by_group = [&](auto k) {
        if (!decode_whole(r, out.type, k, error)) return false;
        out.group_id = std::move(k.group_id);
        return true;
    };
    auto by_member = [&](auto k) {
        if (!decode_whole(r, out.type, k, error)) return false;
        out.group_id = std::move(k.group_id);
        out.member_id = std::move(k.member_id);
        return true;
    };
    switch (out.type) {
        case consumer_group_metadata_type: {
            if (!by_group(protocol::consumer_group_metadata_key{})) return std::nullopt;
            if (value) {
                protocol::consumer_group_metadata_value v;
                if (!decode_value(*value, v, error)) return std::nullopt;
                out.epoch = v.epoch;
            }
            return out;
        }
        case consumer_group_partition_metadata_type: {
            if (!by_group(protocol::consumer_group_partition_metadata_key{})) return std::nullopt;
            if (value) {
                protocol::consumer_group_partition_metadata_value v;
                if (!decode_value(*value, v, error)) return std::nullopt;
                for (const auto& t : v.topics) out.topics[t.topic_name] = topic_info{t.topic_id, t.num_partitions};
            }
            return out;
        }
        case consumer_group_member_metadata_type: {
            if (!by_member(protocol::consumer_group_member_metadata_key{})) return std::nullopt;
            if (value) {
                protocol::consumer_group_member_metadata_value v;
                if (!decode_value(*value, v, error)) return std::nullopt;
                auto& m = out.metadata;
                m.instance_id = std::move(v.instance_id);
                m.rack_id = std::move(v.rack_id);
                m.client_id = std::move(v.client_id);
                m.client_host = std::move(v.client_host);
                m.subscribed_topic_names = std::move(v.subscribed_topic_names);
                m.subscribed_topic_regex = v.subscribed_topic_regex.value_or("");
                m.rebalance_timeout_ms = v.rebalance_timeout_ms;
                m.server_assignor = std::move(v.server_assignor);
                // An absent tag decodes as the default (an empty struct): a consumer member.
                const auto& c = v.classic_member_metadata;
                if (c && (c->session_timeout_ms != 0 || !c->supported_protocols.empty())) {
                    classic_member_metadata classic;
                    classic.session_timeout_ms = c->session_timeout_ms;
                    for (const auto& p : c->supported_protocols) classic.protocols.emplace_back(p.name, p.metadata);
                    m.classic = std::move(classic);
                }
            }
            return out;
        }
        case consumer_group_target_assignment_metadata_type: {
            if (!by_group(protocol::consumer_group_target_assignment_metadata_key{})) return std::nullopt;
            if (value) {
                protocol::consumer_group_target_assignment_metadata_value v;
                if (!decode_value(*value, v, error)) return std::nullopt;
                out.epoch = v.assignment_epoch;
            }
            return out;
        }
        case consumer_group_target_assignment_member_type: {
            if (!by_member(protocol::consumer_group_target_assignment_member_key{})) return std::nullopt;
            if (value) {
                protocol::consumer_group_target_assignment_member_value v;
                if (!decode_value(*value, v, error)) return std::nullopt;
                out.partitions = from_wire(v.topic_partitions);
            }
            return out;
        }
        case consumer_group_current_member_assignment_type: {
            if (!by_member(protocol::consumer_group_current_member_assignment_key{})) return std::nullopt;
            if (value) {
                protocol::consumer_group_current_member_assignment_value v;
                if (!decode_value(*value, v, error)) return std::nullopt;
                auto state = from_record_state(v.state);
                if (!state) {
                    error = "unknown member state " + std::to_string(v.state);
                    return std::nullopt;
                }
                out.assignment.member_epoch = v.member_epoch;
                out.assignment.previous_member_epoch = v.previous_member_epoch;
                out.assignment.state = *state;
                out.assignment.assigned = from_wire(v.assigned_partitions);
                out.assignment.pending_revocation = from_wire(v.partitions_pending_revocation);
            }
            return out;
        }
        default:
            error = "record type " + std::to_string(out.type) + " is not a consumer group record";
            return std::nullopt;
    }
}

}  // namespace tributary::groups
