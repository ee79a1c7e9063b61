// One shard's part of the group coordinator: the groups stored in the __consumer_offsets partitions
// this shard owns (cluster::owner_shard), their committed offsets, and the durable records behind them.
//
//   group id --Kafka's hash--> partition of __consumer_offsets --owner_shard--> this manager
//
// (coordinator.h does the routing; every method here runs on this manager's shard.) State changes are
// written as records to the group's partition through the partition's normal append path and applied
// in memory only once the append is durable (acks=all), so an answer never reports what a crash could
// take back. At start, and when a partition appears (the topic is created on the first FindCoordinator),
// the manager replays the partition into memory; until that is done requests for its groups answer
// COORDINATOR_LOAD_IN_PROGRESS.
//
// Interface for the group protocols (the classic protocol, classic_protocol.h; KIP-848 consumer groups):
//   - partition_status(p)          none iff the partition's groups are loaded and may be used now;
//                                  else the error to answer (COORDINATOR_LOAD_IN_PROGRESS,
//                                  NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE). Check it first in every
//                                  request, and again after every co_await.
//   - find_group(id)               the group or null (any type; check group::type()).
//   - create_group(id, type, p)    a new empty group of that type (consumer groups: set group::consumer).
//   - remove_group(id)             forgets the group and its offsets in memory (write tombstones first).
//   - persist(p, records)          appends records (group_record: key + value, or no value for a
//                                  tombstone) as one batch and returns once durable, with the offset of
//                                  the first record or an error code to answer.
//   - offset_commit_validator      for a consumer group, set validate_consumer_commit /
//                                  validate_consumer_fetch: the member/epoch checks of OffsetCommit and
//                                  OffsetFetch (KIP-848: STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID...).
//   - record_replayer              replay_consumer_record: called during load for every record whose key
//                                  type is >= 3 (the KIP-848 records), with the value or nullopt.
//   - add_timer_hook(fn)           fn(now) is called every tick (~100 ms) on this shard: session and
//                                  rebalance timeouts.
//   - add_stop_hook(fn)            fn() runs at shutdown, before the partitions close: complete every
//                                  waiting request so its coroutine ends.
//   - add_loaded_hook(fn)          fn(partition) runs when a partition's load completes (timers of the
//                                  loaded groups restart).
//
// Ownership: everything here belongs to this shard's event loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/metadata_cache.h"
#include "cluster/partition_manager.h"
#include "groups/group.h"
#include "model/error_code.h"
#include "net/asio.h"

namespace tributary::groups {

class classic_protocol;
class consumer_protocol;

// A record to append to __consumer_offsets; no value is a tombstone.
struct group_record {
    bytes::byte_vector key;
    std::optional<bytes::byte_vector> value;
};

struct persist_result {
    model::error_code error = model::error_code::none;
    model::offset first_offset{-1};  // the first record's offset; record i is at first_offset + i
};

// OffsetCommit for one group, after the handler resolved topic names.
struct offset_commit_args {
    std::string group_id;
    std::int32_t partition = -1;  // the group's __consumer_offsets partition (coordinator.h routes)
    std::int32_t generation_or_member_epoch = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::int64_t retention_time_ms = -1;  // v2-4 only
    std::int16_t api_version = 0;
    struct entry {
        model::topic_partition tp;
        std::int64_t offset = 0;
        std::int32_t leader_epoch = -1;
        std::optional<std::string> metadata;
    };
    std::vector<entry> entries;
};

// OffsetFetch for one group. No partitions (nullopt) asks for every committed offset of the group.
struct offset_fetch_args {
    std::string group_id;
    std::int32_t partition = -1;
    std::optional<std::string> member_id;  // v9+ (KIP-848 consumer groups)
    std::int32_t member_epoch = -1;
    std::int16_t api_version = 0;
    std::optional<std::vector<model::topic_partition>> partitions;
};

struct fetched_offset {
    model::topic_partition tp;
    std::int64_t offset = -1;
    std::int32_t leader_epoch = -1;
    std::optional<std::string> metadata;
    model::error_code error = model::error_code::none;
};

struct offset_fetch_result {
    model::error_code error = model::error_code::none;  // group-level
    std::vector<fetched_offset> offsets;
};

class group_manager {
public:
    using consumer_commit_validator = std::function<model::error_code(
        group&, const std::string& member_id, std::int32_t member_epoch, std::int16_t api_version)>;
    using consumer_fetch_validator = std::function<model::error_code(
        group&, const std::optional<std::string>& member_id, std::int32_t member_epoch)>;
    using consumer_record_replayer =
        std::function<void(group_manager&, std::int32_t partition, const record_key& key,
                           std::optional<bytes::bytes_view> value)>;

    // REQUIRES: pm is this shard's partition manager; both outlive the manager.
    group_manager(unsigned shard, cluster::partition_manager& pm, const cluster::metadata_cache& metadata,
                  asio::any_io_executor executor);
    ~group_manager();
    group_manager(const group_manager&) = delete;
    group_manager& operator=(const group_manager&) = delete;

    unsigned shard() const { return shard_; }
    asio::any_io_executor executor() const { return executor_; }

    // Starts loading every __consumer_offsets partition this shard has open, and the timer loop.
    // REQUIRES: on this shard, after the controller published the topics; once.
    void start();
    // Completes waiting requests (stop hooks), stops the timer loop and waits for loads in flight.
    // REQUIRES: on this shard, before the partition manager stops.
    awaitable<void> stop();

    // See the file comment. Starts loading `partition` when it is open here but not loaded yet.
    model::error_code partition_status(std::int32_t partition);

    group* find_group(std::string_view id);
    // REQUIRES: no group `id` exists.
    group& create_group(const std::string& id, group_type type, std::int32_t partition);
    void remove_group(const std::string& id);
    // Every group this manager holds (ListGroups), in id order.
    const std::map<std::string, std::unique_ptr<group>, std::less<>>& groups() const { return groups_; }

    awaitable<persist_result> persist(std::int32_t partition, std::vector<group_record> records);

    // OffsetCommit: one error per entry, in entry order.
    awaitable<std::vector<model::error_code>> commit_offsets(offset_commit_args args);
    offset_fetch_result fetch_offsets(const offset_fetch_args& args);
    // Removes committed offsets (tombstones first): OffsetDelete, DeleteGroups, retention.
    awaitable<model::error_code> delete_offsets(group& g, std::vector<model::topic_partition> tps);

    // The broker configs as of now (dynamic changes included).
    const cluster::broker_config_layers& configs() const;
    std::int64_t now_ms() const;

    // The classic protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) over this manager.
    classic_protocol& classic() { return *classic_; }
    // The consumer group protocol (KIP-848: ConsumerGroupHeartbeat, ConsumerGroupDescribe).
    consumer_protocol& consumer() { return *consumer_; }

    // Runs `work` on this shard; stop() waits for it. For writes that nobody waits for.
    void spawn(awaitable<void> work);

    // Hooks for the group protocols (see the file comment). REQUIRES: set before start().
    consumer_commit_validator validate_consumer_commit;
    consumer_fetch_validator validate_consumer_fetch;
    consumer_record_replayer replay_consumer_record;
    void add_timer_hook(std::function<void(clock::time_point)> fn) { timer_hooks_.push_back(std::move(fn)); }
    void add_stop_hook(std::function<void()> fn) { stop_hooks_.push_back(std::move(fn)); }
    // fn(partition) runs once the partition's records are replayed, before any request uses them.
    void add_loaded_hook(std::function<void(std::int32_t)> fn) { loaded_hooks_.push_back(std::move(fn)); }

    // Offsets retention (Kafka's cleanupGroupMetadata, every offsets.retention.check.interval.ms):
    // writes tombstones for the committed offsets past their retention and for the groups without
    // members that have no offsets left, then forgets them. Which offsets expire: plan_expiry.
    awaitable<void> expire_offsets();

    // What expiry does to one group now: the offsets whose retention has passed (Kafka's
    // offsetExpirationCondition and isSubscribedToTopic of each group type; see the definition), and
    // whether the group goes too (every offset expired, or none, and no members).
    struct expiry_plan {
        std::vector<model::topic_partition> expired;
        bool delete_group = false;
    };
    static expiry_plan plan_expiry(const group& g, std::int64_t now_ms, std::int64_t retention_ms);
    // offsets.retention.minutes in milliseconds, or tributary.test.offsets.retention.ms when set.
    std::int64_t offsets_retention_ms() const;

private:
    enum class load_state : std::uint8_t { loading, loaded };
    struct partition_entry {
        load_state state = load_state::loading;
        std::shared_ptr<cluster::partition> partition;  // the log that was loaded
    };

    awaitable<void> load(std::int32_t partition, std::shared_ptr<cluster::partition> p);
    void replay(std::int32_t partition, model::offset offset, const record_key& key,
                std::optional<bytes::bytes_view> value);
    void forget_partition(std::int32_t partition);
    awaitable<void> timer_loop();
    awaitable<void> run_task(awaitable<void> work);
    model::error_code validate_classic_commit(group* g, const offset_commit_args& args) const;

    unsigned shard_;
    cluster::partition_manager& pm_;
    const cluster::metadata_cache& metadata_;
    asio::any_io_executor executor_;

    std::map<std::string, std::unique_ptr<group>, std::less<>> groups_;
    std::map<std::int32_t, partition_entry> partitions_;
    std::vector<std::function<void(clock::time_point)>> timer_hooks_;
    std::vector<std::function<void()>> stop_hooks_;
    std::vector<std::function<void(std::int32_t)>> loaded_hooks_;
    std::unique_ptr<classic_protocol> classic_;
    std::unique_ptr<consumer_protocol> consumer_;
    std::size_t loads_in_flight_ = 0;
    std::size_t tasks_in_flight_ = 0;
    bool stopped_ = false;
    bool timer_running_ = false;
    clock::time_point next_retention_check_{};
    asio::steady_timer timer_;
    net::event idle_;  // notified when a load or the timer loop ends during stop()
};

}  // namespace tributary::groups
