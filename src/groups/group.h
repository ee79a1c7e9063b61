// A group as its coordinator holds it: the committed offsets (every group type has them) and the
// membership state of its protocol. The group map of a shard's group_manager holds both classic groups
// (JoinGroup/SyncGroup, Kafka's GroupMetadata state machine, classic_group.h) and KIP-848 "consumer"
// groups (ConsumerGroupHeartbeat); `type` says which, as Kafka's Group.type() does.
//
// Ownership: a group belongs to the group_manager of the shard that owns its __consumer_offsets
// partition, and is touched only on that shard's event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bytes/bytes.h"
#include "groups/consumer_group_records.h"
#include "groups/group_records.h"
#include "model/error_code.h"
#include "model/fundamental.h"
#include "model/topic_partition.h"
#include "net/asio.h"

namespace tributary::groups {

using clock = std::chrono::steady_clock;

enum class group_type : std::uint8_t { classic, consumer };
std::string_view to_string(group_type t);  // "classic", "consumer" (ListGroups v5 GroupType)

// Kafka's ClassicGroupState (GroupMetadata's states), with the names DescribeGroups and ListGroups use.
enum class classic_state : std::uint8_t { empty, preparing_rebalance, completing_rebalance, stable, dead };
std::string_view to_string(classic_state s);  // "Empty", "PreparingRebalance", ...

// A committed offset and where its record is in __consumer_offsets: a record at a later offset wins,
// so applying completions or replaying the log in any order ends with the newest commit.
struct committed_offset {
    offset_commit_value value;
    model::offset record_offset{-1};
};

// The answer a JoinGroup or SyncGroup request waits for. The request's coroutine waits on `ready`;
// the state machine fills the fields and notifies. Shared so a member that goes away while a request
// waits does not leave it dangling.
struct join_result {
    model::error_code error = model::error_code::none;
    std::int32_t generation = -1;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    std::string leader;
    bool skip_assignment = false;
    std::string member_id;
    struct member {
        std::string member_id;
        std::optional<std::string> group_instance_id;
        bytes::byte_vector metadata;
    };
    std::vector<member> members;  // only for the leader
};

struct sync_result {
    model::error_code error = model::error_code::none;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    bytes::byte_vector assignment;
};

template <typename T>
struct waiter {
    explicit waiter(asio::any_io_executor ex) : ready(ex) {}
    net::event ready;
    bool done = false;
    T result;
    void complete(T r) {
        if (done) return;
        result = std::move(r);
        done = true;
        ready.notify();
    }
};

struct classic_member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    std::int32_t rebalance_timeout_ms = 0;
    std::int32_t session_timeout_ms = 0;
    std::string protocol_type;
    std::vector<std::pair<std::string, bytes::byte_vector>> protocols;  // (name, metadata), preference order
    bytes::byte_vector assignment;

    std::shared_ptr<waiter<join_result>> awaiting_join;  // a JoinGroup waiting for the join phase to end
    std::shared_ptr<waiter<sync_result>> awaiting_sync;  // a SyncGroup waiting for the leader's assignment
    clock::time_point session_deadline{};                // heartbeat expiry
    bool is_new = false;  // joined in the current rebalance and not yet synced (KIP-394 new-member timeout)

    const bytes::byte_vector* metadata_for(std::string_view protocol) const {
        for (const auto& [name, md] : protocols)
            if (name == protocol) return &md;
        return nullptr;
    }
};

// The classic protocol's group state (Kafka's ClassicGroup / GroupMetadata).
struct classic_group {
    classic_state state = classic_state::empty;
    std::int32_t generation = 0;
    std::optional<std::string> protocol_type;  // set by the first member; every member must match
    std::optional<std::string> protocol_name;  // chosen when a join phase completes
    std::optional<std::string> leader_id;
    std::map<std::string, classic_member> members;
    std::map<std::string, std::string> static_members;  // group.instance.id -> member id
    // Members given an id by MEMBER_ID_REQUIRED (JoinGroup v4+) that have not joined with it yet, with
    // the time their offer lapses (session timeout).
    std::map<std::string, clock::time_point> pending_members;
    clock::time_point rebalance_deadline{};  // end of the join phase (PreparingRebalance)
    // group.initial.rebalance.delay.ms (Kafka's InitialDelayedJoin): a join phase that starts from Empty
    // waits the delay; while members keep arriving in generation 0 it waits again, up to the rebalance
    // timeout. The phase cannot end early while this is active.
    bool initial_delay_active = false;
    std::int64_t initial_delay_remaining_ms = 0;
    bool new_member_added = false;
    std::int64_t state_timestamp_ms = -1;  // when the state last changed (GroupMetadataValue)

    bool has_member(const std::string& id) const { return members.contains(id); }
    const std::string* static_member_id(const std::string& instance_id) const {
        auto it = static_members.find(instance_id);
        return it == static_members.end() ? nullptr : &it->second;
    }
};

// The state of a KIP-848 consumer group, as the code shared by both protocols (ListGroups, DeleteGroups,
// OffsetDelete, offset expiry) needs to see it. The consumer-group code derives its group from this.
class consumer_group_state {
public:
    virtual ~consumer_group_state() = default;
    // ConsumerGroupState names: "Empty", "Assigning", "Reconciling", "Stable", "Dead".
    virtual std::string_view state_name() const = 0;
    virtual bool is_empty() const = 0;  // no members: DeleteGroups may delete it, offsets may expire
    virtual bool is_subscribed_to(std::string_view topic) const = 0;  // OffsetDelete: GROUP_SUBSCRIBED_TO_TOPIC
    // Tombstones of every record of the group, the group epoch's last (DeleteGroups, and the conversion
    // of an empty consumer group into a classic group).
    virtual std::vector<coordinator_record> tombstones() const = 0;
    // DescribeGroups (the classic API) on a consumer group: Kafka answers GROUP_ID_NOT_FOUND ("not a
    // classic group") unless it has classic members; the consumer-group code may override.
};

class group {
public:
    group(std::string id, group_type type, std::int32_t partition)
        : id_(std::move(id)), type_(type), partition_(partition) {}

    const std::string& id() const { return id_; }
    group_type type() const { return type_; }
    // The __consumer_offsets partition that stores this group.
    std::int32_t partition() const { return partition_; }

    std::map<model::topic_partition, committed_offset> offsets;
    classic_group classic;                      // meaningful iff type() == classic
    std::shared_ptr<consumer_group_state> consumer;  // set iff type() == consumer

    // Converts an empty classic group into a consumer group (KIP-848 upgrade) or back. The caller sets
    // the new type's state. REQUIRES: the group has no members of its current type.
    void set_type(group_type t) { type_ = t; }

    // The group is gone (DeleteGroups, expiry) but a request that looked it up may still hold it.
    bool dead() const { return type_ == group_type::classic && classic.state == classic_state::dead; }

private:
    std::string id_;
    group_type type_;
    std::int32_t partition_;
};

}  // namespace tributary::groups
