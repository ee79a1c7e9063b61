// The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as Kafka's GroupCoordinator
// runs it, one instance per shard over that shard's group_manager.
//
// States (Kafka's GroupMetadata / ClassicGroupState):
//
//   Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
//   CompletingRebalance --leader's SyncGroup stored--> Stable
//   Stable / CompletingRebalance --member joins, changes protocols, leaves or expires--> PreparingRebalance
//   PreparingRebalance --every member gone--> Empty (generation + 1)
//   any --DeleteGroups / expiry--> Dead
//
// The join phase ends when every member has sent JoinGroup and no id handed out by MEMBER_ID_REQUIRED
// is outstanding, or when the rebalance timeout (the largest of the members') passes; members that did
// not rejoin by then are removed (static members stay). A phase starting from Empty first waits
// group.initial.rebalance.delay.ms, again while new members keep arriving in generation 0, up to the
// rebalance timeout (InitialDelayedJoin). Members awaiting JoinGroup or SyncGroup need no heartbeats,
// except new members awaiting their first join, who expire after 5 minutes (KIP-394); every other member
// expires after its session timeout without a heartbeat.
//
// Persistence: when a join phase ends with no members (Empty) and when the leader's assignment arrives,
// the group's metadata (GroupMetadataValue: generation, protocol, leader, members with subscription and
// assignment) is written to __consumer_offsets; the leader's SyncGroup is answered, and the assignment
// handed to the members, only once that write is durable.
//
// Protocols are opaque: the metadata and assignments of "consumer", "connect" or any other protocol type
// pass through unchanged. Only the protocol name is chosen here (each member votes for its most
// preferred protocol that every member supports).
//
// KIP-848 mixed groups: JoinGroup, SyncGroup, Heartbeat and LeaveGroup for a group that is a consumer
// group are handed to consumer_protocol (its classic members; consumer_protocol.h), JoinGroup only while
// the consumer group has members (an empty one becomes classic here). The conversions between the two
// group types use abandon_requests and adopt_consumer_members.
//
// Ownership: runs on its group_manager's shard only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "groups/consumer_group.h"
#include "groups/group.h"
#include "groups/group_manager.h"
#include "model/error_code.h"
#include "net/asio.h"

namespace tributary::groups {

class group_manager;

struct join_args {
    std::string group_id;
    std::int32_t partition = -1;
    std::int16_t api_version = 0;
    std::int32_t session_timeout_ms = 0;
    std::int32_t rebalance_timeout_ms = -1;  // v0: the session timeout
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string protocol_type;
    std::vector<std::pair<std::string, bytes::byte_vector>> protocols;
    std::string client_id;
    std::string client_host;
};

struct sync_args {
    std::string group_id;
    std::int32_t partition = -1;
    std::int32_t generation = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::optional<std::string> protocol_type;  // v5+
    std::optional<std::string> protocol_name;  // v5+
    std::vector<std::pair<std::string, bytes::byte_vector>> assignments;  // leader only
};

struct heartbeat_args {
    std::string group_id;
    std::int32_t partition = -1;
    std::int32_t generation = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
};

struct leaving_member {
    std::string member_id;  // empty with an instance id: an administrative removal (KIP-345)
    std::optional<std::string> group_instance_id;
};

struct leave_result {
    model::error_code error = model::error_code::none;  // group-level
    std::vector<model::error_code> members;             // per leaving member, in order
};

class classic_protocol {
public:
    // Registers its timer and stop hooks with `manager`. REQUIRES: manager outlives this.
    explicit classic_protocol(group_manager& manager);

    awaitable<join_result> join(join_args args);
    awaitable<sync_result> sync(sync_args args);
    model::error_code heartbeat(const heartbeat_args& args);
    awaitable<leave_result> leave(std::string group_id, std::int32_t partition, std::vector<leaving_member> members);

    // Removes a member as LeaveGroup and expiry do (KIP-345 admin removal uses it too).
    void remove_member(group& g, const std::string& member_id, std::string_view reason);

    // KIP-848 online migration (consumer_protocol.h). Completes every waiting JoinGroup and SyncGroup of
    // the classic group with `e` (before it becomes a consumer group).
    void abandon_requests(group& g, model::error_code e);
    // Makes `g` (already of classic type, with a fresh classic state) the classic group of a downgraded
    // consumer group: Stable at `generation`, the members with their target assignments, the protocol
    // voted as usual; then a rebalance starts. Returns the GroupMetadata record of the Stable group.
    group_record adopt_consumer_members(group& g, std::int32_t generation,
                                        const std::vector<classic_member_snapshot>& members);

    // The timeout for a new member's first join (KIP-394), as Kafka's.
    static constexpr std::chrono::milliseconds new_member_join_timeout{300'000};

private:
    model::error_code check_group_id(const std::string& group_id, std::int32_t partition) const;
    join_result join_error(model::error_code e, std::string member_id = {}) const;
    awaitable<join_result> wait_join(std::shared_ptr<waiter<join_result>> w);

    join_result new_member_join(group& g, const join_args& args, std::shared_ptr<waiter<join_result>>& wait);
    join_result static_member_join(group& g, const join_args& args, const std::string& new_member_id,
                                   std::shared_ptr<waiter<join_result>>& wait);
    join_result current_member_join(group& g, const join_args& args, std::shared_ptr<waiter<join_result>>& wait);
    void add_member_and_rebalance(group& g, const join_args& args, const std::string& member_id,
                                  std::shared_ptr<waiter<join_result>>& wait);
    void update_member_and_rebalance(group& g, classic_member& m, const join_args& args,
                                     std::shared_ptr<waiter<join_result>>& wait);
    join_result current_generation_answer(const group& g, const std::string& member_id, bool with_members) const;

    void maybe_prepare_rebalance(group& g, std::string_view reason);
    void prepare_rebalance(group& g, std::string_view reason);
    void maybe_complete_join(group& g);
    void complete_join(group& g);
    void on_join_deadline(group& g, clock::time_point now);
    void reset_and_propagate_assignment_error(group& g, model::error_code e);
    void propagate_assignment(group& g);
    void transition(group& g, classic_state s);
    void remove_pending_member(group& g, const std::string& member_id);
    bool has_all_members_joined(const group& g) const;
    std::int32_t rebalance_timeout_ms(const group& g) const;
    std::string select_protocol(const group& g) const;
    bool supports_protocols(const group& g, const std::string& protocol_type,
                            const std::vector<std::pair<std::string, bytes::byte_vector>>& protocols) const;
    void touch(classic_member& m) const;  // a heartbeat: the session starts again

    // Writes the group's metadata to __consumer_offsets: with the members' current assignments, or with
    // `assignment` (the leader's, not yet handed out).
    awaitable<model::error_code> store_group(std::string group_id);
    awaitable<model::error_code> store_group_with(std::string group_id,
                                                  std::map<std::string, bytes::byte_vector> assignment);
    void store_group_in_background(const group& g);
    awaitable<void> store_empty_group(std::string group_id);
    awaitable<void> store_and_answer(std::string group_id, std::string member_id, join_result answer,
                                     std::shared_ptr<waiter<join_result>> w);
    group_metadata_value metadata_value(const group& g,
                                        const std::map<std::string, bytes::byte_vector>* assignment) const;

    void tick(clock::time_point now);
    void stop();

    group_manager& manager_;
};

// The topics of a "consumer" protocol subscription (ConsumerProtocolSubscription, any version): used by
// OffsetDelete to refuse deleting offsets of a topic the group consumes. nullopt if it does not parse.
std::optional<std::vector<std::string>> consumer_subscription_topics(bytes::bytes_view metadata);

}  // namespace tributary::groups
