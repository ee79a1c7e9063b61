// The controller: the only writer of cluster metadata (topics, partitions, topic and dynamic broker
// configs, producer id blocks). It lives on shard 0. Every change is
//   1. planned against the current topic table (topic_commands.h, config_commands.h: Kafka's checks),
//   2. appended to the metadata log as one batch and fsynced (metadata_log.h),
//   3. applied to a new topic table snapshot,
//   4. published to every shard: the shard's metadata_cache slot, then the partition manager's
//      reconcile() on that shard (which opens the new partitions' logs and removes deleted ones),
// and only then answered. Changes run one at a time, in arrival order.
//
// At start the log is replayed into the table (a restart rebuilds exactly the same topics, ids and
// configs) and the result is published before the broker accepts connections.
//
// In a cluster (enable_quorum) the metadata log is a Raft group of the controller quorum, and every
// broker runs this class over its copy:
//   - an applier applies what is committed, in log order, to the table and publishes it, on every
//     broker alike; it publishes nothing until it has caught up with what the log held at start, so a
//     restarting broker never reconciles its partitions against an older table (which would delete the
//     partitions of topics created since);
//   - only the group's leader (the active controller) takes changes: it plans against a table that has
//     applied everything committed, including its own epoch's first entry, proposes the batch, and
//     answers once the applier has applied it. Elsewhere changes answer NOT_CONTROLLER, and the
//     metadata cache names the leader as the controller so that clients go there.
//
// Threading: the public request methods may be called from a coroutine on any shard; they run on
// shard 0 and resume on the caller's shard. start() and stop() run on shard 0. Everything else is
// shard 0's state.
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "cluster/config_commands.h"
#include "cluster/metadata_cache.h"
#include "cluster/metadata_log.h"
#include "cluster/partition_manager.h"
#include "cluster/topic_commands.h"
#include "model/error_code.h"
#include "net/shard_set.h"
#include "rpc/client.h"
#include "storage/log.h"

namespace tributary::cluster {

// Producer ids are handed out from blocks of this size; each block is one durable ProducerIdsRecord,
// so an id is never given twice, even across restarts (as Kafka's ProducerIdControlManager).
inline constexpr std::int64_t producer_id_block_size = 1000;

struct producer_id_allocation {
    model::producer_id id{-1};
    // NOT_CONTROLLER while stopping, KAFKA_STORAGE_ERROR when the metadata log cannot be written.
    model::error_code error = model::error_code::none;
};

class raft_transport;

// The client id of a request one broker forwards to the controller: the controller never forwards it
// again (its leadership may have moved; the client retries on NOT_CONTROLLER).
inline constexpr std::string_view forwarding_client_id = "tributary-forward";

struct producer_id_block {
    model::producer_id start{-1};
    std::int32_t length = 0;
    model::error_code error = model::error_code::none;
};

class controller {
public:
    // Called on each shard after a new snapshot is installed there, before the controller answers:
    // the partition manager's reconcile on that shard.
    using reconcile_fn = std::function<awaitable<void>(unsigned shard, std::shared_ptr<const topic_table>)>;

    // `static_layers` holds node.id and the static broker configs (server.properties, flags).
    // REQUIRES: shards, cache and what `env` refers to outlive the controller.
    controller(net::shard_set& shards, metadata_cache& cache, storage::log_env env, std::filesystem::path data_dir,
               broker_config_layers static_layers);
    ~controller();
    controller(const controller&) = delete;
    controller& operator=(const controller&) = delete;

    // REQUIRES: called before start().
    void set_reconciler(reconcile_fn fn) { reconcile_ = std::move(fn); }
    // Runs the metadata log as a Raft group of `voters`, its messages carried by `transport` (shard 0's).
    // REQUIRES: called before start(); `transport` outlives the controller.
    void enable_quorum(raft_transport& transport, std::vector<model::node_id> voters, replication_options timing);

    // Opens and replays the metadata log (writing the format record into a new one) and publishes the
    // table to every shard. Throws std::runtime_error when the log cannot be opened or replayed: the
    // broker must not start with metadata it cannot read. REQUIRES: runs on shard 0, once.
    awaitable<void> start();
    // Waits for the change in flight, refuses new ones (NOT_CONTROLLER) and closes the log.
    // REQUIRES: runs on shard 0, after start().
    awaitable<void> stop();
    // Stops like stop() but leaves the log as a crash would (tests use it).
    awaitable<void> abandon();

    // CreateTopics. With validate_only the results are what a real creation would give, nothing is
    // written. Results are in input order.
    awaitable<std::vector<create_topic_result>> create_topics(std::vector<topic_spec> topics, bool validate_only);
    // Creates the named topics that do not exist yet with auto_create_spec(); existing ones succeed.
    awaitable<std::vector<create_topic_result>> auto_create_topics(std::vector<std::string> names);
    awaitable<std::vector<delete_topic_result>> delete_topics(std::vector<topic_ref> topics);
    awaitable<std::vector<api_error>> create_partitions(std::vector<partition_increase> topics, bool validate_only);
    awaitable<std::vector<api_error>> alter_configs(std::vector<legacy_config_change> changes, bool validate_only);
    awaitable<std::vector<api_error>> incremental_alter_configs(std::vector<incremental_config_change> changes,
                                                                bool validate_only);

    // A producer id never handed out before (for InitProducerId). A broker that does not lead the
    // metadata log takes blocks from the one that does (AllocateProducerIds) and hands ids out of them.
    awaitable<producer_id_allocation> allocate_producer_id();
    // AllocateProducerIds on the active controller: a block of producer_id_block_size ids for `broker`,
    // durable in the metadata log before it is answered.
    awaitable<producer_id_block> allocate_producer_block(model::node_id broker);

    // A cluster's broker that does not lead the metadata log sends metadata changes to the one that does
    // (as Kafka's brokers forward them to the active controller). Any shard may ask.
    bool forwards() const { return transport_ != nullptr && cache_.controller_id() != node_; }
    // Sends `request` to the active controller at `version` and returns its answer; nullopt when there is
    // none (no controller elected within a few seconds, or the call failed). Runs on any shard.
    template <typename Response, typename Request>
    awaitable<std::optional<Response>> forward(Request request, std::int16_t version) {
        auto task = [this, request = std::move(request), version]() mutable -> awaitable<std::optional<Response>> {
            auto answer = co_await forward_here<Response>(std::move(request), version);
            if (!answer) co_return std::nullopt;
            co_return std::move(*answer);
        };
        auto op = shards_.invoke_on(0, std::move(task));
        co_return co_await std::move(op);
    }

    // The current table. REQUIRES: runs on shard 0.
    const std::shared_ptr<const topic_table>& current() const { return table_; }

private:
    template <typename R>
    using planner = std::function<plan<R>(const topic_table&)>;

    // Runs `fn` on shard 0 and returns its result on the caller's shard.
    template <typename F>
    auto on_controller(F fn) -> std::invoke_result_t<F>;

    // Serialised: plan, append, apply, publish. On a write failure every successful result becomes
    // `failed(error)`.
    template <typename R>
    awaitable<std::vector<R>> execute(planner<R> make_plan, bool validate_only);
    awaitable<model::error_code> commit(std::vector<metadata_record> records);
    awaitable<void> publish(std::shared_ptr<const topic_table> table);
    awaitable<void> publish_on(unsigned shard, std::shared_ptr<const topic_table> table);
    awaitable<producer_id_allocation> allocate_producer_id_here();
    awaitable<void> acquire();
    void release();
    // stop() and abandon() up to the log: waits for the change in flight, refuses new ones, closes the
    // forwarding clients and stops the replica and the applier.
    awaitable<void> stop_changes();
    // Applies one replayed record: topics and configs to `builder`, producer id blocks and the format
    // level here. False, with the reason, for a record that does not apply.
    bool apply_record(topic_table::builder& builder, const decoded_record& d, std::string& error);
    // Quorum mode: applies what is committed and publishes it, until stopped.
    awaitable<void> applier();
    // Applies committed records in [applied_, end) to the table; false (logged) if one does not apply.
    awaitable<bool> apply_committed(model::offset end);
    // Quorum mode: waits (up to a deadline) until this broker leads the metadata log and its table has
    // applied everything committed, its own epoch's first entry included; false if it does not lead.
    awaitable<bool> ready_to_lead();
    // Quorum mode: waits until the applier has applied `last`.
    awaitable<bool> applied_through(model::offset last);
    bool leads() const;
    // Shard 0: a client to the active controller when another broker is it (waiting a few seconds for an
    // election), else null.
    awaitable<rpc::client*> controller_client();
    template <typename Response, typename Request>
    awaitable<util::result<Response, rpc::rpc_error>> forward_here(Request request, std::int16_t version) {
        rpc::client* c = co_await controller_client();
        if (c == nullptr) co_return rpc::rpc_error::connect_failed;
        co_return co_await c->template call<Response>(std::move(request), version, std::chrono::seconds(30));
    }
    // Quorum mode, not the controller: creates the topics through the controller and waits until this
    // broker's table has them.
    awaitable<std::vector<create_topic_result>> forward_auto_create(std::vector<topic_spec> specs);
    // The brokers replicas may be placed on: the quorum's voters (every broker of the cluster, for now),
    // or this broker alone.
    std::vector<model::node_id> brokers() const;

    net::shard_set& shards_;
    metadata_cache& cache_;
    storage::log_env env_;
    std::filesystem::path data_dir_;
    model::node_id node_;
    reconcile_fn reconcile_;

    // Shard 0's state.
    std::unique_ptr<metadata_log> log_;
    std::shared_ptr<const topic_table> table_;
    std::int64_t next_producer_id_block_ = 0;  // first id of the next block to write
    std::int64_t next_producer_id_ = 0;        // next id to hand out from the current block
    std::int64_t producer_id_block_end_ = 0;   // one past the current block
    bool busy_ = false;                        // a change is running
    std::deque<std::shared_ptr<net::event>> waiters_;
    bool stopped_ = false;
    bool failed_ = false;  // a metadata write failed: the log is offline until restart

    // Quorum mode.
    raft_transport* transport_ = nullptr;
    std::vector<model::node_id> voters_;
    replication_options timing_;
    model::offset applied_{0};         // records below this are in table_
    model::offset caught_up_at_{0};    // the log end at start: nothing is published before this is applied
    bool published_ = false;           // the applier published a table
    bool applier_running_ = false;
    std::unique_ptr<net::event> changed_;       // the applier applied more, or leadership changed
    std::unique_ptr<net::event> applier_done_;
    std::map<model::node_id, std::unique_ptr<rpc::client>> controller_clients_;  // shard 0
};

}  // namespace tributary::cluster
