// A member of a consumer group (KIP-848) and its reconciliation: the step function that moves the
// member's current assignment towards its target assignment (Kafka's CurrentAssignmentBuilder).
//
// The rule it keeps: a partition is never given to a member while another member still owns it.
// A member first revokes what it must give up (state unrevoked_partitions, at its current epoch);
// once its heartbeat no longer reports those partitions it moves to the target epoch and gets the
// new partitions that are free; the ones still owned by others (not yet revoked by them) stay
// pending (state unreleased_partitions) and are handed out by a later heartbeat once released.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bytes/bytes.h"
#include "groups/assignor.h"

namespace tributary::groups {

// A topic as a consumer group sees it: its id and partition count.
struct topic_info {
    model::uuid id;
    std::int32_t partitions = 0;
    bool operator==(const topic_info&) const = default;
};

// Sentinel member epochs of the ConsumerGroupHeartbeat request.
inline constexpr std::int32_t join_group_member_epoch = 0;
inline constexpr std::int32_t leave_group_member_epoch = -1;
inline constexpr std::int32_t leave_group_static_member_epoch = -2;

enum class member_state : std::int8_t {
    stable,                 // reconciled to its epoch's target; nothing pending
    unrevoked_partitions,   // must revoke `pending_revocation` before it can move on
    unreleased_partitions,  // at the target epoch, waiting for partitions other members still own
};

// What a member that uses the classic protocol (JoinGroup/SyncGroup/Heartbeat) in a consumer group
// has besides a consumer-protocol member: Kafka's ClassicMemberMetadata (KIP-848 online migration).
struct classic_member_metadata {
    std::int32_t session_timeout_ms = 0;
    // (name, metadata) in the member's preference order; the metadata is a ConsumerProtocolSubscription.
    std::vector<std::pair<std::string, bytes::byte_vector>> protocols;
    bool operator==(const classic_member_metadata&) const = default;
};

struct consumer_member {
    std::string member_id;
    std::optional<std::string> instance_id;
    std::optional<std::string> rack_id;
    std::int32_t member_epoch = 0;
    std::int32_t previous_member_epoch = -1;
    member_state state = member_state::stable;
    std::int32_t rebalance_timeout_ms = -1;
    std::string client_id;
    std::string client_host;
    std::vector<std::string> subscribed_topic_names;  // sorted, distinct
    std::string subscribed_topic_regex;               // empty: none
    std::optional<std::string> server_assignor;
    topic_partitions assigned;            // the partitions the member may use
    topic_partitions pending_revocation;  // the partitions it must give up
    // Set iff the member uses the classic protocol (it joined with JoinGroup, or was a member of a
    // classic group that was converted).
    std::optional<classic_member_metadata> classic;

    // Monotonic deadlines (milliseconds): the session (renewed by every heartbeat) and, while in
    // unrevoked_partitions, the rebalance timeout for revoking at the current member epoch.
    std::int64_t session_deadline_ms = 0;
    std::optional<std::int64_t> rebalance_deadline_ms;
    // Classic members only: the member must send JoinGroup by `join_deadline_ms` (it was told to rejoin
    // with REBALANCE_IN_PROGRESS) and SyncGroup by `sync_deadline_ms` (after its JoinGroup), else it is
    // fenced (Kafka's consumer group join and sync timeouts).
    std::optional<std::int64_t> join_deadline_ms;
    std::optional<std::int64_t> sync_deadline_ms;

    bool uses_classic_protocol() const { return classic.has_value(); }

    bool is_reconciled_to(std::int32_t target_epoch) const {
        return state == member_state::stable && member_epoch == target_epoch;
    }
    // Equal in everything but the deadlines.
    bool same_state(const consumer_member& o) const;
};

// The partitions a member reports owning in a heartbeat (TopicPartitions), or null when the request
// did not say (a heartbeat that changes nothing omits it).
using owned_partitions = std::optional<topic_partitions>;

// Returns the member's next state given the target assignment for `target_epoch`, the partitions it
// reports owning, and `partition_epoch(topic, partition)` (the epoch of the partition's current owner,
// or -1 when free). Returns `member` unchanged when it cannot progress yet.
consumer_member reconcile(
    const consumer_member& member, std::int32_t target_epoch, const topic_partitions& target,
    const owned_partitions& owned,
    const std::function<std::int32_t(const model::uuid&, std::int32_t)>& partition_epoch);

}  // namespace tributary::groups
