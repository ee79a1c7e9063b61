// One consumer group of the consumer group protocol (KIP-848, Kafka's "consumer" group type): its
// members, the group epoch, the target assignment computed by a server-side assignor, and each
// member's reconciliation towards it. Driven by ConsumerGroupHeartbeat requests and by time (session
// and rebalance timeouts); answers ConsumerGroupDescribe and validates OffsetCommit / OffsetFetch.
//
// Epochs (KIP-848, "Group Epoch - Assignment Epoch - Member Epoch"):
//   group epoch       bumped whenever a member joins or leaves, a subscription changes, or the metadata
//                     of a subscribed topic changes (partitions added, topic created or deleted).
//   assignment epoch  the group epoch the target assignment was computed for; when the group epoch is
//                     ahead, the next heartbeat recomputes the target assignment (one assignor run
//                     covers every change since).
//   member epoch      the epoch of the target assignment the member has reconciled to. A member moves
//                     to a new epoch only after it has revoked every partition it must give up, and
//                     it gets a partition only after the partition's previous owner has revoked it
//                     (consumer_assignment_builder.h).
//
// Owned by one event loop: the coordinator shard of the group's __consumer_offsets partition; not
// thread-safe. Its state is written to __consumer_offsets as Kafka's records and replayed at load
// (persisted / records_since / replay), so members keep their ids, epochs and assignments across a
// broker restart.
// Time is passed in as monotonic milliseconds, so tests drive it.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "groups/assignor.h"
#include "groups/consumer_group_records.h"
#include "groups/consumer_member.h"
#include "groups/embedded_protocol.h"
#include "model/error_code.h"
#include "model/fundamental.h"
#include "protocol/messages/consumer_group_describe_response.h"
#include "protocol/messages/consumer_group_heartbeat_request.h"
#include "protocol/messages/consumer_group_heartbeat_response.h"

namespace tributary::groups {

// group.consumer.migration.policy: which online conversions between a classic group and a consumer
// group are allowed (Kafka's ConsumerGroupMigrationPolicy). An empty group converts either way whatever
// the policy says.
enum class migration_policy : std::uint8_t { disabled, upgrade, downgrade, bidirectional };
std::optional<migration_policy> parse_migration_policy(std::string_view name);  // case-insensitive
inline bool upgrade_enabled(migration_policy p) {
    return p == migration_policy::upgrade || p == migration_policy::bidirectional;
}
inline bool downgrade_enabled(migration_policy p) {
    return p == migration_policy::downgrade || p == migration_policy::bidirectional;
}

// Broker configs of the consumer group protocol (Kafka's names, defaults and bounds).
struct consumer_group_config {
    std::int32_t heartbeat_interval_ms = 5000;                         // group.consumer.heartbeat.interval.ms
    std::int32_t session_timeout_ms = 45000;                           // group.consumer.session.timeout.ms
    std::int32_t max_size = std::numeric_limits<std::int32_t>::max();  // group.consumer.max.size
    // group.consumer.assignors, in order; the first is the default. REQUIRES: not empty.
    std::vector<const partition_assignor*> assignors{find_assignor("uniform"), find_assignor("range")};
    migration_policy migration = migration_policy::bidirectional;  // group.consumer.migration.policy

    const partition_assignor* find(std::string_view name) const;
};

// What a group needs to know about the cluster's topics: the coordinator's current metadata.
class topic_view {
public:
    virtual ~topic_view() = default;
    // Changes whenever the set of topics or their partition counts change.
    virtual std::int64_t version() const = 0;
    virtual std::optional<topic_info> find(std::string_view name) const = 0;
    virtual std::optional<std::string> name_of(const model::uuid& id) const = 0;
    // Every topic, in name order.
    virtual void for_each(const std::function<void(const std::string&, const topic_info&)>& fn) const = 0;
};

enum class consumer_state { empty, assigning, reconciling, stable };
// Kafka's names: "Empty", "Assigning", "Reconciling", "Stable" (and "Dead" for a removed group).
std::string_view to_string(consumer_state s);

// Who sent a heartbeat, besides what is in the request.
struct heartbeat_context {
    std::int16_t api_version = 1;
    std::string client_id;
    std::string client_host;  // as Kafka shows it: "/127.0.0.1"
    std::int64_t now_ms = 0;  // monotonic
};

// Validates a heartbeat the way Kafka does before it looks at any group state (empty ids, epochs,
// fields required when joining, a known ServerAssignor, a compilable regex): INVALID_REQUEST,
// UNSUPPORTED_ASSIGNOR or INVALID_REGULAR_EXPRESSION with Kafka's messages; none when valid.
struct heartbeat_error {
    model::error_code code = model::error_code::none;
    std::string message;
};
std::optional<heartbeat_error> validate_heartbeat(const protocol::consumer_group_heartbeat_request& req,
                                                  std::int16_t api_version,
                                                  const consumer_group_config& config);

// A response carrying only an error.
protocol::consumer_group_heartbeat_response heartbeat_error_response(const heartbeat_error& error);

// A member that uses the classic protocol, as it moves between a classic group and a consumer group
// (KIP-848 online migration): what the classic group keeps of it.
struct classic_member_snapshot {
    std::string member_id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    std::int32_t rebalance_timeout_ms = 0;
    std::int32_t session_timeout_ms = 0;
    std::vector<std::pair<std::string, bytes::byte_vector>> protocols;  // (name, metadata), preference order
    // Upgrade: the metadata of the group's protocol (a ConsumerProtocolSubscription) and the member's
    // assignment (a ConsumerProtocolAssignment, empty if it has none yet).
    bytes::byte_vector subscription;
    bytes::byte_vector assignment;
    // Downgrade: the member's partitions in the consumer group's target assignment.
    named_partitions target;
};

// A classic JoinGroup to a consumer group, after the handler and the MEMBER_ID_REQUIRED step.
struct classic_join_request {
    std::string member_id;  // REQUIRES: not empty
    std::optional<std::string> instance_id;
    std::int32_t session_timeout_ms = 0;
    std::int32_t rebalance_timeout_ms = -1;
    std::string protocol_type;
    std::vector<std::pair<std::string, bytes::byte_vector>> protocols;
};

struct classic_join_outcome {
    heartbeat_error error;
    std::int32_t generation = -1;  // the member epoch
    std::string protocol_name;     // the member's first protocol
};

struct classic_sync_outcome {
    heartbeat_error error;
    std::string protocol_name;
    bytes::byte_vector assignment;  // ConsumerProtocolAssignment of the member's assigned partitions
};

class consumer_group {
public:
    explicit consumer_group(std::string group_id) : group_id_(std::move(group_id)) {}

    const std::string& group_id() const { return group_id_; }
    std::int32_t group_epoch() const { return group_epoch_; }
    std::int32_t assignment_epoch() const { return assignment_epoch_; }
    consumer_state state() const;
    const std::map<std::string, consumer_member, std::less<>>& members() const { return members_; }
    const consumer_member* find_member(std::string_view member_id) const;
    // The member's partitions in the current target assignment (empty if none).
    const topic_partitions& target_assignment(std::string_view member_id) const;
    // Epoch of the member that owns the partition (assigned or pending revocation), or -1.
    std::int32_t partition_epoch(const model::uuid& topic, std::int32_t partition) const;
    // The assignor that computes the next target assignment: the one most members asked for by
    // ServerAssignor (ties: configuration order), else the first configured.
    const partition_assignor& preferred_assignor(const consumer_group_config& config) const;
    // Some member subscribes to `topic` (by name, or by a regex that matched it at the last epoch
    // bump): OffsetDelete answers GROUP_SUBSCRIBED_TO_TOPIC.
    bool is_subscribed_to(std::string_view topic) const;

    // Handles a ConsumerGroupHeartbeat. REQUIRES: validate_heartbeat(req) found nothing. Errors are in
    // the response; on an error the group is unchanged.
    protocol::consumer_group_heartbeat_response heartbeat(
        const protocol::consumer_group_heartbeat_request& req, const heartbeat_context& ctx,
        const topic_view& topics, const consumer_group_config& config);

    // Removes every member whose session expired (no heartbeat for session_timeout_ms) or that did
    // not revoke its partitions within its rebalance timeout, as Kafka's timers do. Returns their ids.
    std::vector<std::string> expire(std::int64_t now_ms, const topic_view& topics);
    // The members expire() would remove at now_ms.
    std::vector<std::string> due_members(std::int64_t now_ms) const;
    // The earliest session or rebalance deadline, if any member has one.
    std::optional<std::int64_t> next_deadline() const;

    // OffsetCommit by a member (Kafka's ConsumerGroup.validateOffsetCommit): any commit while the group
    // has no members and the epoch is negative (admin tools, manual assignment); otherwise the member
    // must exist (UNKNOWN_MEMBER_ID), commit at OffsetCommit v9+ (UNSUPPORTED_VERSION) and at its
    // current epoch (STALE_MEMBER_EPOCH).
    model::error_code validate_offset_commit(std::string_view member_id, std::int32_t member_epoch,
                                             std::int16_t api_version) const;
    // OffsetFetch (v9+ carries member id and epoch): no member id and a negative epoch is anyone;
    // otherwise the member must exist (UNKNOWN_MEMBER_ID) and be at its current epoch
    // (STALE_MEMBER_EPOCH), as Kafka's ConsumerGroup.validateOffsetFetch.
    model::error_code validate_offset_fetch(std::optional<std::string_view> member_id,
                                            std::int32_t member_epoch) const;

    protocol::consumer_group_describe_response::described_group describe(
        const topic_view& topics, const consumer_group_config& config) const;

    // Members that use the classic protocol (KIP-848 online migration; consumer_group_classic.cc).
    // They join with JoinGroup (which updates the member and reconciles it, as a heartbeat does, with
    // the owned partitions of its subscription), get their assigned partitions from SyncGroup, are told
    // to rejoin by Heartbeat's REBALANCE_IN_PROGRESS, and leave with LeaveGroup; Kafka's checks and
    // error codes (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, ...).
    //
    // Some protocol every classic member supports is among `protocols`, of type "consumer".
    bool supports_classic_protocols(std::string_view protocol_type,
                                    const std::vector<std::pair<std::string, bytes::byte_vector>>& protocols) const;
    classic_join_outcome classic_join(const classic_join_request& req, const heartbeat_context& ctx,
                                      const topic_view& topics, const consumer_group_config& config);
    classic_sync_outcome classic_sync(const std::string& member_id, const std::optional<std::string>& instance_id,
                                      std::int32_t generation, const std::optional<std::string>& protocol_type,
                                      const std::optional<std::string>& protocol_name, std::int64_t now_ms,
                                      const topic_view& topics);
    model::error_code classic_heartbeat(const std::string& member_id, const std::optional<std::string>& instance_id,
                                        std::int32_t generation, std::int64_t now_ms);
    // One member of a LeaveGroup; an empty member id with an instance id is an administrative removal.
    model::error_code classic_leave(const std::string& member_id, const std::optional<std::string>& instance_id,
                                    const topic_view& topics);

    // Upgrade (Kafka's ConsumerGroup.fromClassicGroup): fills this new, empty group with the members of
    // a classic group of `generation`: each at member epoch `generation`, Stable, with its classic
    // assignment as both its current and its target assignment. Returns an error message if a
    // subscription or assignment does not parse (the group is then unusable).
    std::optional<std::string> adopt_classic_members(std::int32_t generation,
                                                     const std::vector<classic_member_snapshot>& members,
                                                     const topic_view& topics, std::int64_t now_ms);
    // Downgrade: `member_id` exists, uses the consumer protocol, and every other member uses the
    // classic protocol.
    bool all_classic_except(std::string_view member_id) const;
    // Every member but `leaving`, with its target assignment, for the classic group that replaces this
    // one (Kafka's ClassicGroup.fromConsumerGroup).
    std::vector<classic_member_snapshot> classic_members_except(std::string_view leaving,
                                                                const topic_view& topics) const;

    // Persistence in __consumer_offsets (consumer_group_records.h), as Kafka's group coordinator
    // writes and replays it. The caller takes persisted() before a change (heartbeat, expire) and
    // writes records_since(before) after it: one record per key whose content changed, tombstones for
    // members that left.
    struct persisted_state {
        std::int32_t group_epoch = 0;
        std::int32_t assignment_epoch = 0;
        std::map<std::string, topic_info> subscription_metadata;
        std::map<std::string, std::pair<member_metadata, member_assignment>, std::less<>> members;
        std::map<std::string, topic_partitions, std::less<>> target;
        bool operator==(const persisted_state&) const = default;
    };
    persisted_state persisted() const;
    std::vector<coordinator_record> records_since(const persisted_state& before) const;
    // Puts the group back as it was when `before` was taken: the undo of a change whose records could
    // not be written (Kafka reverts its state to the last committed offset). The group is rebuilt with
    // replay() from the records `before` stands for. Timers are not undone: a member keeps the
    // deadlines it has now; one that comes back gets a session ending session_timeout_ms after now_ms
    // (and, if it must revoke, a new rebalance timeout), as at load.
    void restore(const persisted_state& before, std::int64_t now_ms, std::int32_t session_timeout_ms);
    // Every record of the group as a tombstone, the group epoch's last (DeleteGroups).
    std::vector<coordinator_record> tombstones() const;
    // Applies one record read back from the log (load). A member (re)appears with a session that
    // ends session_timeout_ms after now_ms. The group epoch tombstone is the caller's: it removes the
    // group.
    void replay(const consumer_group_record& r, std::int64_t now_ms, std::int32_t session_timeout_ms);
    // After a load: every member's session restarts, and so does the rebalance timeout of a member
    // that still has partitions to revoke (Kafka does the same when it loads a group).
    void restart_timers(std::int64_t now_ms, std::int32_t session_timeout_ms);

private:
    struct lookup_result;

    // Steps 1-3 of a heartbeat for a member found (or created) and updated from a request: bumps the
    // group epoch when its subscription changed, installs it, recomputes the target assignment if the
    // epoch moved, and reconciles it with `owned`.
    void update_and_reconcile(const consumer_member& before, consumer_member updated, const owned_partitions& owned,
                              std::int64_t now_ms, const topic_view& topics, const consumer_group_config& config);
    // Bumps the group epoch when `updated` changes the subscription (its own, or the metadata of the
    // subscribed topics) or the group is new (epoch 0, Kafka's rule), and keeps the new metadata.
    void bump_epoch_on_subscription_change(const consumer_member& before, const consumer_member& updated,
                                           const topic_view& topics);
    // The classic member of a SyncGroup/Heartbeat (Kafka's validateConsumerGroupMember), or an error.
    consumer_member* find_classic_member(const std::string& member_id, const std::optional<std::string>& instance_id,
                                         model::error_code& error);
    // UNRELEASED_PARTITIONS and some partition of its target is still owned by another member.
    bool waiting_on_unreleased(const consumer_member& m) const;

    protocol::consumer_group_heartbeat_response leave(const protocol::consumer_group_heartbeat_request& req,
                                                      const topic_view& topics);
    // Removes the member, its target assignment and its partition epochs; bumps the group epoch.
    void remove_member(const std::string& member_id, const topic_view& topics);
    void set_member(consumer_member m);
    void drop_partition_epochs(const consumer_member& m);
    void add_partition_epochs(const consumer_member& m);
    // Topic name -> metadata of everything the members subscribe to (names and regex matches),
    // with `extra` standing in for the member of the same id (or added) and `skip` left out.
    std::map<std::string, topic_info> compute_subscription_metadata(const topic_view& topics,
                                                                    const consumer_member* extra,
                                                                    std::string_view skip) const;
    // The subscribed topic names of `m`, regex matches included.
    std::vector<std::string> effective_subscription(const consumer_member& m, const topic_view& topics) const;
    const std::vector<std::string>& regex_matches(const std::string& regex, const topic_view& topics) const;
    void compute_target_assignment(const topic_view& topics, const consumer_group_config& config);

    std::string group_id_;
    std::int32_t group_epoch_ = 0;
    std::int32_t assignment_epoch_ = 0;
    std::map<std::string, consumer_member, std::less<>> members_;
    std::map<std::string, std::string, std::less<>> static_members_;  // instance id -> member id
    std::map<std::string, topic_partitions, std::less<>> target_;     // member id -> target partitions
    // topic -> partition -> epoch of its current owner (assigned or pending revocation).
    std::map<model::uuid, std::map<std::int32_t, std::int32_t>> partition_epochs_;
    // The topics the group subscribes to as of the last epoch bump.
    std::map<std::string, topic_info> subscription_metadata_;

    struct resolved_regex {
        std::int64_t topics_version = -1;
        std::vector<std::string> topics;
    };
    mutable std::map<std::string, resolved_regex> regex_cache_;
};

}  // namespace tributary::groups
