// A partition this broker hosts, as the request handlers and the coordinators see it: append with an
// acknowledgement policy, read below the high watermark or the last stable offset, the offsets Kafka
// reports, the leader epoch check, and waiting for new data. Nothing outside the cluster layer touches
// the partition's storage::log; in the manner of Redpanda's partition_proxy, this is the seam where
// replication goes in.
//
// The high watermark is decided here, not in storage: the offset below which a record is committed, so
// that no consumer sees a record that a crash or a failover could take back.
//   - A partition with one replica (local) is led by this broker in leader epoch 0; a record is
//     committed once it is durable here under the topic's flush policy (storage::log::durable_offset).
//   - A replicated partition runs a raft::replica over its log: it is led by whichever replica Raft
//     elected, in Raft's epoch; a record is committed once a majority of the voters holds it durably, and
//     the replica sets the log's high watermark. Only the leader takes appends and serves clients; the
//     others answer NOT_LEADER_OR_FOLLOWER (storage_error::not_leader).
//
// Owned by one shard; every member is used only on that shard's event loop.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "model/error_code.h"
#include "model/fundamental.h"
#include "model/topic_partition.h"
#include "net/asio.h"
#include "raft/replica.h"
#include "raft/state_store.h"
#include "storage/log.h"

namespace tributary::cluster {

// Someone (a Fetch waiting for min_bytes, on any shard) who wants to hear when a partition's high
// watermark moves. notify() is posted to the waiter's own executor, so the waiter needs no lock.
class data_waiter {
public:
    explicit data_waiter(asio::any_io_executor ex) : executor_(ex), event_(ex) {}
    asio::any_io_executor executor() const { return executor_; }
    // REQUIRES: on executor().
    void notify() { event_.notify(); }
    awaitable<void> wait() { return event_.wait(); }

private:
    asio::any_io_executor executor_;
    net::event event_;
};

// OffsetForLeaderEpoch's answer for one partition; -1 and -1 when the epoch is unknown.
struct epoch_end_offset {
    model::error_code error = model::error_code::none;
    std::int32_t leader_epoch = -1;
    std::int64_t end_offset = -1;
};

struct replicate_options {
    // acks=all: complete once the batches are committed (the high watermark covers them); otherwise
    // once they are written on this broker (acks=1; acks=0 answers nothing but appends the same way).
    // A replicated partition whose leader loses its epoch before the batches commit answers not_leader:
    // they may still commit under the next leader, as after Kafka's NOT_LEADER_OR_FOLLOWER.
    bool acks_all = false;
    // acks=all on a replicated partition: refused (not_enough_replicas, nothing written) while fewer
    // replicas than this are in sync, as Kafka refuses it.
    std::int32_t min_insync_replicas = 1;
    storage::append_origin origin = storage::append_origin::client;
};

// Where a read stops.
enum class read_bound : std::uint8_t {
    high_watermark,  // read_uncommitted consumers
    last_stable,     // read_committed consumers
    log_end,         // a coordinator loading its own partition
};

class partition {
public:
    // REQUIRES: `executor` is the owning shard's, the one `log` was opened on.
    // A local partition (one replica, led here).
    partition(asio::any_io_executor executor, model::topic_partition tp, model::uuid topic_id,
              std::unique_ptr<storage::log> log);
    // A replicated partition: `replica` runs over its log and saves through `store`. The replica is
    // started here; the caller routes its messages (raft_transport::add).
    partition(asio::any_io_executor executor, model::topic_partition tp, model::uuid topic_id,
              std::unique_ptr<raft::quorum_state_file> store, std::unique_ptr<raft::replica> replica);
    ~partition();

    const model::topic_partition& tp() const { return tp_; }
    const model::uuid& topic_id() const { return topic_id_; }
    // The replica's Raft driver, or null for a local partition.
    raft::replica* replica() { return replica_.get(); }
    const raft::replica* replica() const { return replica_.get(); }
    // True if this broker leads the partition now (always for a local one).
    bool leads() const;
    // The leader this replica knows of (this broker for a local partition), if any.
    std::optional<model::node_id> leader() const;
    // Local: fixed at 0. Replicated: the Raft epoch this replica is in.
    model::leader_epoch leader_epoch() const;
    // A request's current_leader_epoch against ours (Kafka's Partition.checkCurrentLeaderEpoch): none
    // if it is unset (-1) or equal, FENCED_LEADER_EPOCH if older, UNKNOWN_LEADER_EPOCH if newer.
    model::error_code check_leader_epoch(std::int32_t current_leader_epoch) const;

    // Appends one or more validated record batches (storage::log::append) in the partition's leader
    // epoch. REQUIRES: `batches` stays valid and unmodified until the returned awaitable completes.
    awaitable<util::result<storage::append_result, storage::storage_error>> replicate(
        bytes::mutable_bytes_view batches, replicate_options options);

    // Whole batches from the one holding `from`, none at or past `bound` (storage::log::read, with at
    // least one batch when there is one, KIP-74). not_leader on a replica that does not lead.
    awaitable<util::result<storage::read_result, storage::storage_error>> read(model::offset from,
                                                                               std::size_t max_bytes,
                                                                               read_bound bound,
                                                                               bool zero_copy = false);
    // ListOffsets below `bound`: the first record with a timestamp >= `timestamp`, and the record with
    // the largest timestamp (KIP-734).
    awaitable<util::result<std::optional<storage::timestamp_offset>, storage::storage_error>> offset_for_timestamp(
        std::int64_t timestamp, read_bound bound);
    awaitable<util::result<std::optional<storage::timestamp_offset>, storage::storage_error>> max_timestamp_offset(
        read_bound bound);

    // OffsetForLeaderEpoch (Kafka's Partition.lastOffsetForLeaderEpoch): after the current leader epoch
    // check, the largest epoch <= `leader_epoch` in the log and the offset where it ended.
    epoch_end_offset offset_for_leader_epoch(std::int32_t current_leader_epoch, std::int32_t leader_epoch) const;

    // DeleteRecords: log start offset up to `offset`; offset_out_of_range above the high watermark.
    // Replicated: on the leader only; the followers learn the new start from its fetch answers.
    awaitable<util::result<model::offset, storage::storage_error>> delete_records_before(model::offset offset);

    model::offset log_start_offset() const { return log_->log_start_offset(); }
    model::offset high_watermark() const { return log_->high_watermark(); }
    model::offset last_stable_offset() const { return log_->last_stable_offset(); }
    model::offset log_end_offset() const { return log_->log_end_offset(); }
    model::offset offset_of(read_bound bound) const;
    std::uint64_t size_bytes() const { return log_->size_bytes(); }
    const storage::log_config& config() const { return log_->config(); }
    const storage::producer_state& producers() const { return log_->producers(); }

    // Registers `w` to be notified once, on its own executor, when the high watermark moves above
    // `seen`; notifies at once if it already has. Waiters that went away are simply skipped.
    void watch(model::offset seen, std::weak_ptr<data_waiter> w);

    // The log itself, for the cluster layer's own upkeep (configs, retention, compaction, the
    // directory); the handlers and coordinators use the calls above.
    storage::log& log() { return *log_; }

    // Retention (storage::log::apply_retention), telling the replica when the log start moved.
    awaitable<util::result<storage::retention_result, storage::storage_error>> apply_retention();

    // Closes the log cleanly (flush, indexes, snapshot, clean-shutdown marker). Waiters are woken.
    // REQUIRES: called once; the partition may be destroyed when it completes.
    awaitable<void> close();

private:
    // Moves the high watermark up to what is committed now (single replica: the durable offset).
    void advance_high_watermark();
    // Waits for `last` to be committed and moves the high watermark over it.
    awaitable<storage::storage_error> commit(model::offset last);
    // While appended data is not committed yet, waits for it (an append that did not wait itself).
    awaitable<void> commit_loop();
    awaitable<void> watch_loop();
    void notify_watchers();

    asio::any_io_executor executor_;
    model::topic_partition tp_;
    model::uuid topic_id_;
    // Local: the log. Replicated: the replica owns the log, the partition its quorum-state file.
    std::unique_ptr<storage::log> owned_log_;
    std::unique_ptr<raft::quorum_state_file> store_;
    std::unique_ptr<raft::replica> replica_;
    storage::log* log_;
    std::vector<std::weak_ptr<data_waiter>> watchers_;
    model::offset notified_hw_{-1};
    bool watching_ = false;
    bool committing_ = false;
    bool closing_ = false;
    net::event watch_stopped_{executor_};
    net::event commit_stopped_{executor_};
};

}  // namespace tributary::cluster
