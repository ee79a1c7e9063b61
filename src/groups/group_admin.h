// The group APIs that work on any group type: ListGroups, DescribeGroups (classic groups), DeleteGroups
// and OffsetDelete, as Kafka's GroupCoordinator answers them. Each runs on the group's coordinator shard
// (ListGroups on every shard) over that shard's group_manager.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "groups/group_manager.h"

namespace tributary::groups {

struct listed_group {
    std::string group_id;
    std::string protocol_type;
    std::string state;
    group_type type = group_type::classic;
};

struct list_groups_result {
    model::error_code error = model::error_code::none;  // COORDINATOR_LOAD_IN_PROGRESS while loading
    std::vector<listed_group> groups;
};

// Groups whose state (case-insensitive) is in `states` and whose type is in `types` (either filter
// empty: no filtering), as ListGroups v4+/v5+ filter them.
list_groups_result list_groups(group_manager& m, const std::vector<std::string>& states,
                               const std::vector<std::string>& types);

struct described_member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    bytes::byte_vector metadata;    // only in Stable: the subscription for the chosen protocol
    bytes::byte_vector assignment;  // only in Stable
};

struct described_group {
    model::error_code error = model::error_code::none;
    std::optional<std::string> error_message;
    std::string state;
    std::string protocol_type;
    std::string protocol_data;  // the chosen protocol in Stable, else ""
    std::vector<described_member> members;
};

// A group that does not exist is "Dead" with no error before v6 and GROUP_ID_NOT_FOUND from v6, as in
// Kafka; a KIP-848 group is "not a classic group" (GROUP_ID_NOT_FOUND).
described_group describe_group(group_manager& m, const std::string& group_id, std::int32_t partition,
                               std::int16_t api_version);

// DeleteGroups: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP while it has members; else tombstones for its
// offsets and its metadata, then it is gone.
awaitable<model::error_code> delete_group(group_manager& m, std::string group_id, std::int32_t partition);

struct offset_delete_result {
    model::error_code error = model::error_code::none;  // group-level
    std::vector<model::error_code> partitions;          // per requested partition
};

// OffsetDelete: an empty group may lose any offsets; a group with members only those of topics it does
// not consume (GROUP_SUBSCRIBED_TO_TOPIC), and only if its protocol type is "consumer" (else
// NON_EMPTY_GROUP), as Kafka decides it.
awaitable<offset_delete_result> delete_group_offsets(group_manager& m, std::string group_id, std::int32_t partition,
                                                     std::vector<model::topic_partition> partitions);

}  // namespace tributary::groups
