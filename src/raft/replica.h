// Runs one raft::core over a partition's storage::log: the driver that core.h's contract describes.
// Inputs reach the core as they arrive (messages, a tick every options.tick, proposals, flushes) and
// each output is applied by one worker, in order: the persistent state is saved (durably), then the log
// operations are applied to the log, then the messages are sent (a leader's fetch answers with the
// records it reads from the log), then the log's high watermark is set. A flusher waits for the log to
// be durable under its flush policy and tells the core.
//
// The log is the Raft log: every batch is appended with append_origin::replication, its base offset and
// partition leader epoch set by the core (a leader's proposal) or by the leader that wrote it (a
// follower's fetch), so leaders and followers hold byte-identical batches.
//
// Owned by one shard: every member runs on `executor`.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <variant>

#include "net/asio.h"
#include "raft/core.h"
#include "raft/kafka_wire.h"
#include "raft/state_store.h"
#include "storage/log.h"

namespace tributary::raft {

// Carries a replica's messages to the other replicas of its group: batched per broker pair over
// rpc::client in the broker (kafka_wire.h), delivered in process in tests.
class transport {
public:
    virtual ~transport() = default;
    // `records`: what a leader read for a fetch_response with read_log (null otherwise).
    virtual void send(const wire::group_key& group, envelope e, protocol::records records) = 0;
};

struct replica_options {
    std::chrono::milliseconds tick{50};
    // Bytes a leader reads for one follower's fetch (at least one batch).
    std::size_t fetch_max_bytes = 1 << 20;
    // replica.lag.time.max.ms: a follower that has not held the leader's whole log for this long is out
    // of sync (core::in_sync).
    std::chrono::milliseconds in_sync_lag{30'000};
};

// The shape of an opened log, for core's constructor, with the voter sets of its voters-checkpoint
// (state_store.h) that apply to it.
log_shape shape_of(const storage::log& log, std::vector<voter_set> voters);

class replica {
public:
    // REQUIRES: `log` was opened on `executor`; `state` and `voters` are what `store` last saved.
    replica(asio::any_io_executor executor, wire::group_key group, config cfg, persistent_state state,
            std::vector<voter_set> voters, std::unique_ptr<storage::log> log, state_store& store, transport& net,
            replica_options options = {});
    ~replica();

    // Called on the replica's executor whenever its epoch or the leader it knows changes (and once at
    // start()), with the new epoch and leader. REQUIRES: set before start().
    using leadership_listener = std::function<void(model::leader_epoch, std::optional<model::node_id>)>;
    void on_leadership(leadership_listener l) { leadership_listener_ = std::move(l); }
    // Called on the replica's executor whenever the in-sync replicas it sees as leader change (empty once
    // it does not lead). REQUIRES: set before start().
    using in_sync_listener = std::function<void(model::leader_epoch, const std::vector<model::node_id>&)>;
    void on_in_sync(in_sync_listener l) { in_sync_listener_ = std::move(l); }
    // The in-sync replicas as last reported (empty when not the leader).
    const std::vector<model::node_id>& in_sync() const { return seen_in_sync_; }

    // Starts the ticker, the worker and the flusher.
    void start();
    // Stops them and waits until they have finished; the log stays open (log()).
    awaitable<void> stop();

    // A message from another replica of the group (a fetch_response's batches point at batch_bytes).
    void receive(envelope e);
    // core::answer_parked_fetch.
    void answer_parked_fetch(model::node_id follower);

    // Leader only: appends `batch` (one validated record batch) in the leader's epoch and completes once
    // it is committed, with its base offset; nullopt if this replica does not lead, or loses the epoch
    // before the batch commits (the batch may still commit later, as after Kafka's
    // NOT_LEADER_OR_FOLLOWER on a produce).
    awaitable<std::optional<model::offset>> replicate(bytes::byte_vector batch);

    // Leader only: appends a client's record batches through the log itself (storage::log::append with
    // `options`: validation, the idempotent-producer checks, offsets, in one step), in the leader's
    // epoch and in order with the core's own writes, then tells the core (core::note_appended). While
    // the write is under way the core's other inputs wait, so that its view of the log cannot change
    // under it. nullopt when this replica does not lead that epoch when the write's turn comes (nothing
    // written); otherwise what storage::log::append returned (an error wrote nothing; a duplicate has
    // its original offsets). Commit: wait_committed(). REQUIRES: `batches` stays valid and unmodified
    // until this completes.
    awaitable<std::optional<util::result<storage::append_result, storage::storage_error>>> append(
        bytes::mutable_bytes_view batches, storage::append_options options = {});
    // Completes true once offset `last` is committed in `epoch`, false once this replica stops leading
    // that epoch first (the records may still commit later, as after Kafka's NOT_LEADER_OR_FOLLOWER).
    awaitable<bool> wait_committed(model::offset last, model::leader_epoch epoch);

    // Removes the records below `offset` (DeleteRecords, retention) and tells the core, whose leader then
    // sends a follower behind the new log start back to it (reset_op). REQUIRES: offset <= the high
    // watermark.
    awaitable<bool> delete_records_before(model::offset offset);
    // The log's start moved (retention removed segments below the high watermark): tells the core.
    void log_start_moved();
    // Leader only: adds or removes one voter (core::propose_voters); false if refused (also while a
    // client's write is under way: try again).
    bool change_voters(std::vector<model::node_id> voters);

    const core& raft() const { return core_; }
    // False before start(), after stop(), and once a failed write or a broken invariant stopped it.
    bool running() const { return running_; }
    storage::log& log() { return *log_; }
    std::unique_ptr<storage::log> release_log() { return std::move(log_); }
    // Completes once the log's high watermark (set after the records below it are written, so they can
    // be read) is above `o`, or the replica stops.
    awaitable<void> wait_high_watermark_above(model::offset o);

private:
    // A client's append waiting for its turn in the worker.
    struct client_append {
        client_append(asio::any_io_executor ex, bytes::mutable_bytes_view b, storage::append_options o,
                      model::leader_epoch e)
            : batches(b), options(o), epoch(e), finished(ex) {}
        bytes::mutable_bytes_view batches;
        storage::append_options options;
        model::leader_epoch epoch;
        std::optional<util::result<storage::append_result, storage::storage_error>> result;
        bool done = false;
        net::event finished;
    };
    using work = std::variant<output, std::shared_ptr<client_append>>;

    // Gives an input to the core now, or after the client write under way (writing_). An input that
    // finds a broken invariant stops the replica (fail()), not the broker.
    template <typename F>
    void feed(F input);
    template <typename F>
    void guarded(F& input);
    awaitable<void> apply_append(std::shared_ptr<client_append> a);
    void finish(client_append& a, std::optional<util::result<storage::append_result, storage::storage_error>> r);
    // Stops the replica after a failed write (logged): nothing that depends on it may go out.
    void fail(const std::string& why);
    // Logs a failed log operation; returns false.
    bool failed(const std::string& op, storage::storage_error e);
    void collect();
    void wake_waiters();
    awaitable<void> ticker();
    awaitable<void> worker();
    awaitable<void> flusher();
    awaitable<void> apply(output out);
    awaitable<bool> apply_log_op(const log_op& op);
    awaitable<void> send(envelope e);

    asio::any_io_executor executor_;
    wire::group_key group_;
    core core_;
    std::unique_ptr<storage::log> log_;
    state_store& store_;
    transport& net_;
    replica_options options_;

    // The voter sets as the voters-checkpoint holds them (ahead of the log, never behind).
    std::vector<voter_set> saved_voters_;
    std::deque<work> pending_;
    // A client's write is under way: the core's inputs wait in deferred_.
    bool writing_ = false;
    std::vector<std::function<void()>> deferred_;
    net::event work_;
    net::event flush_needed_;
    net::event write_finished_;
    asio::steady_timer tick_timer_;
    asio::steady_timer high_watermark_moved_;  // cancelled to wake every waiter
    model::leader_epoch seen_epoch_{-1};
    raft::role seen_role_ = raft::role::unattached;
    std::optional<model::node_id> seen_leader_;
    leadership_listener leadership_listener_;
    std::vector<model::node_id> seen_in_sync_;
    in_sync_listener in_sync_listener_;
    bool running_ = false;
    int tasks_ = 0;            // coroutines started and not yet finished
    net::event tasks_done_;
};

}  // namespace tributary::raft
