// The partitions one shard owns. A partition belongs to the shard owner_shard() names for it; that
// shard opens its log, serves its produce and fetch work, and closes it. Everything here runs on the
// owning shard's event loop.
//
// A single broker hosts every partition of the topic table, each as a local partition. Once
// replication is enabled (a broker of a cluster), it hosts the partitions whose replica list names it:
// as a local partition when it is the only replica, otherwise as a replicated one, a raft::replica whose
// voters are the replica list, its messages carried by the shard's raft_transport.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "cluster/partition.h"
#include "raft/core.h"
#include "raft/replica.h"
#include "model/topic_partition.h"
#include "net/asio.h"
#include "storage/log.h"

namespace tributary::cluster {

class topic_table;
class raft_transport;

class leader_table;

struct replication_options {
    model::node_id self{-1};
    // Where the replicas record who leads them (null: nowhere). REQUIRES: outlives the manager.
    leader_table* leaders = nullptr;
    // Timing of every replica this shard runs (raft::config's ticks; self, voters and seed are set here).
    raft::config raft;
    raft::replica_options replica;
};

// The shard that owns a partition: a stable hash of (topic, partition) over the shard count, so a
// topic's partitions spread over the cores; shard 0, the controller's, for the metadata log.
unsigned owner_shard(std::string_view topic, std::int32_t partition, unsigned shard_count);

class partition_manager {
public:
    // REQUIRES: env's disk executor and file system outlive this; `executor` is this shard's loop.
    partition_manager(unsigned shard, unsigned shard_count, asio::any_io_executor executor, storage::log_env env,
                      std::filesystem::path data_dir);
    ~partition_manager();

    unsigned shard() const { return shard_; }

    // Hosts partitions as a broker of a cluster (see above). REQUIRES: before the first reconcile();
    // `transport` is this shard's and outlives this.
    void enable_replication(raft_transport& transport, replication_options options);

    // Makes the partitions of this shard match `topics`: opens (creating if needed) the logs of
    // partitions this shard owns, applies changed topic configs, and closes and deletes the data of
    // partitions whose topic is gone or was re-created with another id. Completes when done, so that
    // whoever published the table knows every partition of it is open.
    awaitable<void> reconcile(std::shared_ptr<const topic_table> topics);

    // The partition if this shard owns it and it is open, else null. Callers that await while using
    // it keep the shared_ptr: a concurrent topic deletion closes the log (further calls fail with
    // log_closed) but does not free it under them.
    std::shared_ptr<partition> get(const model::topic_partition& tp);
    std::shared_ptr<partition> get(std::string_view topic, std::int32_t index);

    // Every partition this shard holds.
    const std::unordered_map<model::topic_partition, std::shared_ptr<partition>>& partitions() const {
        return partitions_;
    }

    // Runs retention on every partition, a bounded amount of work per partition per round.
    awaitable<void> apply_retention();

    // One round of the shard's log cleaner: a cleaning pass (storage::log::compact) on each compacted
    // partition that needs one. Returns how many partitions were cleaned.
    awaitable<std::size_t> compact();

    // Closes every log cleanly. REQUIRES: called once, at shutdown.
    awaitable<void> stop();

private:
    awaitable<void> open_partition(model::topic_partition tp, model::uuid topic_id, storage::log_config config,
                                   std::vector<model::node_id> replicas);
    // Whether this broker holds a replica of a partition with these replicas.
    bool hosts(const std::vector<model::node_id>& replicas) const;
    awaitable<void> remove_partition(model::topic_partition tp, bool delete_data);

    unsigned shard_;
    unsigned shard_count_;
    asio::any_io_executor executor_;
    storage::log_env env_;
    std::filesystem::path data_dir_;
    raft_transport* transport_ = nullptr;
    replication_options replication_;
    std::uint64_t replicas_started_ = 0;  // varies the election timeouts' seeds
    std::unordered_map<model::topic_partition, std::shared_ptr<partition>> partitions_;
    bool stopped_ = false;
};

}  // namespace tributary::cluster
