// The controller's durable log of metadata records: <data>/__cluster_metadata-0/, a partition log of
// the storage engine (storage::log) whose record batches hold framed KRaft records
// (metadata_records.h). One controller operation is one batch, so a crash keeps all of it or none
// (the storage engine's recovery drops a torn batch whole). Format: docs/formats/metadata-log.md.
//
// A single broker's log is its own: a batch is committed once it is fsynced. In a cluster the log is a
// Raft group whose voters are the controller quorum (open_replicated): a batch is committed once a
// majority holds it, only the group's leader (the active controller) appends, and the other brokers
// read what is committed as it arrives. The leader's own control batches (leader changes, voter sets)
// sit between the metadata batches; replay skips them.
//
// Ownership: like any storage::log, it belongs to the shard that opened it (the controller's, shard 0)
// and is used only from that shard's event loop.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "cluster/metadata_records.h"
#include "net/asio.h"
#include "raft/replica.h"
#include "raft/state_store.h"
#include "storage/log.h"

namespace tributary::cluster {

inline constexpr std::string_view metadata_log_dir_name = "__cluster_metadata-0";

// Kafka's fixed topic id of __cluster_metadata (Uuid.METADATA_TOPIC_ID, "AAAAAAAAAAAAAAAAAAAAAQ").
model::uuid metadata_topic_id();

// The storage settings of the metadata log: never deleted by retention (there are no snapshots
// yet), batches up to 8 MiB.
storage::log_config metadata_log_config();

// The metadata log's Raft group as the Raft transport names it.
raft::wire::group_key metadata_group();

// How a replicated metadata log runs: its voters, this broker, the transport to them and the timing.
struct metadata_quorum {
    model::node_id self{-1};
    std::vector<model::node_id> voters;
    raft::transport* transport = nullptr;
    raft::config raft;  // ticks; self, voters and seed are set by open_replicated
    raft::replica_options replica;
};

class metadata_log {
public:
    // Opens (creating if needed) <data_dir>/__cluster_metadata-0, recovering a torn tail.
    static awaitable<util::result<std::unique_ptr<metadata_log>, storage::storage_error>> open(
        storage::log_env env, std::filesystem::path data_dir);
    // The same log as a Raft group of `quorum` (its epoch, vote and voter sets in the directory's
    // quorum-state files). The replica is created, not started (replica()->start()).
    static awaitable<util::result<std::unique_ptr<metadata_log>, storage::storage_error>> open_replicated(
        storage::log_env env, std::filesystem::path data_dir, metadata_quorum quorum);

    // Calls `apply` for every record in [from, end), in order, skipping control batches. Stops at the
    // first record that does not decode or that `apply` rejects (returning false with a reason);
    // returns the reason, or an empty string when every record was applied.
    using replay_fn = std::function<bool(model::offset, const decoded_record&, std::string& error)>;
    awaitable<std::string> replay(replay_fn apply, model::offset from, model::offset end);
    // Every committed record from the start of the log.
    awaitable<std::string> replay(replay_fn apply) {
        return replay(std::move(apply), log_->log_start_offset(), log_->high_watermark());
    }

    // Appends `records` as one batch and returns once it is committed (single broker: fsynced); the
    // result is the offset of the last record. Replicated: not_leader when this broker does not lead
    // the group, or lost the epoch before the batch committed (it may still commit later).
    // REQUIRES: !records.empty(); no other append in flight.
    awaitable<util::result<model::offset, storage::storage_error>> append(std::span<const metadata_record> records);

    // One past the last record.
    model::offset end_offset() const { return log_->log_end_offset(); }
    // One past the last committed record.
    model::offset committed_end() const { return log_->high_watermark(); }
    const storage::log& log() const { return *log_; }
    // The Raft replica of a replicated log, else null.
    raft::replica* replica() { return replica_.get(); }
    const raft::replica* replica() const { return replica_.get(); }

    // Closes the storage log (clean-shutdown marker), stopping the replica first. REQUIRES: nothing in
    // flight.
    awaitable<void> close();
    // Stops like close() but writes nothing, as a crash would (tests use it).
    awaitable<void> abandon();

private:
    explicit metadata_log(std::unique_ptr<storage::log> log) : owned_log_(std::move(log)), log_(owned_log_.get()) {}
    metadata_log(std::unique_ptr<raft::quorum_state_file> store, std::unique_ptr<raft::replica> replica)
        : store_(std::move(store)), replica_(std::move(replica)), log_(&replica_->log()) {}

    std::unique_ptr<storage::log> owned_log_;
    std::unique_ptr<raft::quorum_state_file> store_;
    std::unique_ptr<raft::replica> replica_;
    storage::log* log_;
};

}  // namespace tributary::cluster
