// The consumer group protocol (KIP-848: ConsumerGroupHeartbeat, ConsumerGroupDescribe) over one shard's
// group_manager: finds or creates the group, hands the request to its consumer_group state machine,
// fences expired members on the manager's timer, and validates OffsetCommit / OffsetFetch of consumer
// groups for the manager.
//
// Group types: a heartbeat that joins (epoch 0) creates a consumer group, or converts an empty classic
// group (no members; its committed offsets stay) as Kafka does. A classic group with members is not
// converted (Kafka's online migration is not implemented): GROUP_ID_NOT_FOUND, "not a consumer group".
// The way back, an empty consumer group becoming classic on a JoinGroup, is classic_protocol's.
//
// Durability: every change of a group (a heartbeat, a member fenced by a timeout) is written to the
// group's __consumer_offsets partition as Kafka's ConsumerGroup* records (consumer_group_records.h)
// before the heartbeat is answered; the load of the partition replays them, so after a broker restart
// members keep their ids, epochs and assignments and go on heartbeating (their sessions restart at
// load, as in Kafka). A write that fails is answered with its error; the in-memory state keeps the
// change (Kafka reverts it), see docs/compatibility.md.
//
// Ownership: runs on its group_manager's shard only.
#pragma once

#include <memory>
#include <string>

#include "cluster/metadata_cache.h"
#include "groups/consumer_group.h"
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

private:
    table_topic_view topics() const;
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
