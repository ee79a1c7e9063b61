// The consumer group protocol (KIP-848: ConsumerGroupHeartbeat, ConsumerGroupDescribe) over one shard's
// group_manager: finds or creates the group, hands the request to its consumer_group state machine,
// fences expired members on the manager's timer, and validates OffsetCommit / OffsetFetch of consumer
// groups for the manager.
//
// Group types: a heartbeat that joins (epoch 0) creates a consumer group, or converts an empty classic
// group (no members; its committed offsets stay) as Kafka does. KIP-848's online migration
// (group.consumer.migration.policy; consumer_migration.cc):
//   upgrade    a joining heartbeat to a classic group with members ("consumer" protocol type) converts
//              it into a consumer group whose members use the classic protocol: each keeps its
//              assignment at member epoch = the generation, and the join bumps the group epoch.
//   mixed      classic members of a consumer group keep sending JoinGroup/SyncGroup/Heartbeat/
//              LeaveGroup (classic_protocol hands them here): JoinGroup updates and reconciles the
//              member as a heartbeat would, SyncGroup returns its assigned partitions, Heartbeat answers
//              REBALANCE_IN_PROGRESS when it must rejoin; they are fenced by their own session timeout
//              and by join and sync timeouts (their rebalance timeout).
//   downgrade  when the last consumer-protocol member leaves (or is fenced) and classic members remain,
//              the group becomes a classic group (Stable, generation = group epoch, each member with its
//              target assignment) and a rebalance starts.
// Otherwise a heartbeat to a classic group with members is GROUP_ID_NOT_FOUND ("not a consumer group").
// The way back for an empty consumer group, becoming classic on a JoinGroup, is classic_protocol's.
//
// Durability: every change of a group (a heartbeat, a member fenced by a timeout) is written to the
// group's __consumer_offsets partition as Kafka's ConsumerGroup* records (consumer_group_records.h)
// before the heartbeat is answered; the load of the partition replays them, so after a broker restart
// members keep their ids, epochs and assignments and go on heartbeating (their sessions restart at
// load, as in Kafka). A write that fails is answered with its error and undone in memory, as Kafka
// reverts to its last committed state: the group goes back to its state before the change, together
// with the changes made on top of it meanwhile (their writes fail behind the failed one). The undo
// costs nothing extra on the hot path: the state a change is diffed against to find its records is the
// state it is undone to, and a heartbeat that changes nothing writes nothing.
//
// Ownership: runs on its group_manager's shard only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cluster/metadata_cache.h"
#include "groups/classic_protocol.h"
#include "groups/consumer_group.h"
#include "groups/group.h"
#include "groups/group_records.h"
#include "net/asio.h"
#include "protocol/messages/consumer_group_describe_response.h"
#include "protocol/messages/consumer_group_heartbeat_request.h"
#include "protocol/messages/consumer_group_heartbeat_response.h"

namespace tributary::groups {

class group_manager;

// The coordinator's view of the cluster's topics: this shard's topic table snapshot.
class table_topic_view final : public topic_view {
public:
    explicit table_topic_view(std::shared_ptr<const cluster::topic_table> t) : table_(std::move(t)) {}
    std::int64_t version() const override;
    std::optional<topic_info> find(std::string_view name) const override;
    std::optional<std::string> name_of(const model::uuid& id) const override;
    void for_each(const std::function<void(const std::string&, const topic_info&)>& fn) const override;

private:
    std::shared_ptr<const cluster::topic_table> table_;
};

class consumer_protocol {
public:
    // Registers its timer hook and the consumer-group offset validators with `manager`.
    // REQUIRES: manager and metadata outlive this; called before manager.start().
    consumer_protocol(group_manager& manager, const cluster::metadata_cache& metadata,
                      consumer_group_config config);

    // REQUIRES: `partition` is the group's __consumer_offsets partition, owned by this shard.
    awaitable<protocol::consumer_group_heartbeat_response> heartbeat(
        const protocol::consumer_group_heartbeat_request& req, std::int16_t api_version,
        std::int32_t partition, std::string client_id, std::string client_host);

    protocol::consumer_group_describe_response::described_group describe(const std::string& group_id,
                                                                         std::int32_t partition);

    const consumer_group_config& config() const { return config_; }

    // The classic APIs for a consumer group (KIP-848 mixed groups; consumer_migration.cc). classic_protocol
    // calls these for a group that is a consumer group; join only while it has members (an empty one
    // becomes classic). Arguments as classic_protocol's, already validated there.
    awaitable<join_result> classic_join(join_args args);
    sync_result classic_sync(const sync_args& args);
    model::error_code classic_heartbeat(const heartbeat_args& args);
    awaitable<leave_result> classic_leave(std::string group_id, std::int32_t partition,
                                          std::vector<leaving_member> members);

private:
    // Upgrade: converts the classic group of the request (which has members) into a consumer group
    // and joins the member; GROUP_ID_NOT_FOUND when the policy or the group does not allow it, and the
    // heartbeat's error (the group unchanged) when the join fails.
    awaitable<protocol::consumer_group_heartbeat_response> upgrade_and_join(
        const protocol::consumer_group_heartbeat_request& req, std::int16_t api_version, std::int32_t partition,
        std::string client_id, std::string client_host);
    // Downgrade (Kafka's validateOnlineDowngradeWithFencedMember): removing `leaving` leaves only classic
    // members, at least one, no more than group.max.size, and the policy allows it.
    bool should_downgrade(const consumer_group& cg, std::string_view leaving) const;
    // Replaces the consumer group `g` by a classic group of its members but `leaving` and starts a
    // rebalance. Returns the records to write: the consumer group's tombstones, then the classic group.
    std::vector<group_record> downgrade(group& g, std::string_view leaving);
    awaitable<protocol::consumer_group_heartbeat_response> downgrade_on_leave(
        const protocol::consumer_group_heartbeat_request& req, std::int32_t partition);

    table_topic_view topics() const;
    // Appends the records of the group's change since `before` (none: nothing to write) and waits
    // until they are durable. On failure the change is undone (see the file comment; an empty classic
    // group this change converted becomes that classic group again) and the error is returned.
    // REQUIRES: the group is a consumer group whose state was `before` when its change began.
    awaitable<model::error_code> write_change(std::string group_id, std::int32_t partition,
                                              consumer_group::persisted_state before,
                                              std::optional<classic_group> converted_from);
    void expire(std::int64_t now_ms);
    awaitable<void> expire_due();
    void replay(std::int32_t partition, const record_key& key, std::optional<bytes::bytes_view> value);
    void loaded(std::int32_t partition);

    group_manager& manager_;
    const cluster::metadata_cache& metadata_;
    consumer_group_config config_;
    bool expiring_ = false;  // an expire_due task is running
};

// Monotonic milliseconds, the time base of consumer_group's deadlines.
std::int64_t monotonic_ms();

}  // namespace tributary::groups
