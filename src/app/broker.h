// The broker assembled: data directory, shards, per-shard services (disk executor, partition manager,
// fetch sessions), and the network server, started and stopped in the right order.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "cluster/controller.h"
#include "cluster/metadata_cache.h"
#include "cluster/partition_manager.h"
#include "cluster/raft_transport.h"
#include "groups/coordinator.h"
#include "groups/group_manager.h"
#include "kafka/fetch_session.h"
#include "kafka/request_context.h"
#include "net/shard_set.h"
#include "server/config.h"
#include "server/server.h"
#include "storage/data_dir.h"
#include "storage/disk_executor.h"

namespace tributary::app {

class broker {
public:
    explicit broker(server::broker_config config);
    ~broker();

    // Opens the data directory (throws if it is locked or belongs to another node), starts the shards,
    // recovers the partitions and starts listening.
    void start();
    // Stops listening, closes every log cleanly and stops the shards. Safe to call more than once.
    void stop();

private:
    // Runs `fn()` (returning awaitable<void>) on every shard and blocks until all have finished.
    template <typename F>
    void on_every_shard(F fn);
    void start_retention();
    void start_cleaner();

    server::broker_config config_;
    std::optional<storage::data_dir> data_dir_;
    cluster::metadata_cache metadata_;
    std::unique_ptr<net::shard_set> shards_;
    // Where partition fsyncs run, shared by the shards: several at once, beside the FIFO disk threads
    // (storage::run_after_disk). Declared before disks_ so that it outlives them: a disk thread's last
    // tasks may still hand it an fsync.
    std::unique_ptr<storage::thread_pool_disk_executor> sync_pool_;
    std::vector<std::unique_ptr<storage::thread_disk_executor>> disks_;
    // Per shard: where its Fetch reads land, recycled (storage/read_buffers.h).
    std::vector<std::unique_ptr<storage::read_buffer_pool>> read_buffers_;
    std::vector<std::unique_ptr<cluster::partition_manager>> partitions_;
    // Per shard, in a cluster (cluster.voters set): the Raft messages of its replicas.
    std::vector<std::unique_ptr<cluster::raft_transport>> transports_;
    std::vector<std::unique_ptr<kafka::fetch_session_cache>> fetch_sessions_;
    std::vector<std::unique_ptr<groups::group_manager>> group_managers_;  // by shard
    std::unique_ptr<groups::coordinator> groups_;
    // The controller (shard 0) and the disk thread of its metadata log.
    std::unique_ptr<storage::thread_disk_executor> metadata_disk_;
    std::unique_ptr<cluster::controller> controller_;
    kafka::broker_services services_;
    std::unique_ptr<server::server> server_;
    bool running_ = false;
};

}  // namespace tributary::app
