// One replica of one Raft group, as a deterministic state machine in the manner of etcd-raft: its inputs
// are messages, clock ticks, proposals and disk completions; its outputs (raft::output) are what to
// persist, what to write to the log, which messages to send and where the high watermark moved. It does
// no I/O, reads no clock and draws its randomness from a seeded generator, so the same inputs give the
// same outputs: the simulation test (tests/unit/raft/simulation_test.cc) runs it unchanged over a
// simulated network and disk, and the broker runs it over the real ones.
//
// The protocol is KRaft's (KIP-595), with pre-vote (KIP-996) and check-quorum:
// - The replicated log is the partition's log: Raft index = Kafka offset, term = leader epoch (the
//   batch header's partition leader epoch). The core keeps only the log's shape (log start, log end,
//   durable end, and which epoch wrote which offsets, storage::leader_epoch_cache); the driver keeps the
//   bytes.
// - Followers pull with Fetch(fetch_offset, last_fetched_epoch); the leader answers with records, or
//   with where its log for that epoch ended when the follower's log diverged (the follower truncates,
//   Raft section 5.3), or with its log start when the follower is behind it. There are no heartbeats:
//   a follower that has not had an answer from the leader for fetch_timeout starts a pre-vote, and a
//   leader that has not been fetched from by a majority for 1.5 x fetch_timeout resigns (check-quorum).
// - A candidate first asks for pre-votes (KIP-996), which change nobody's epoch or vote; only when a
//   majority would vote for it does it bump the epoch. A voter that heard from a leader within
//   fetch_timeout refuses a pre-vote, so a replica cut off and coming back does not disrupt the quorum.
// - Votes and epochs are persisted before any message that depends on them is sent (output::persist).
// - The high watermark (commit index) advances to the largest offset that a majority of voters holds
//   durably, and only once an entry of the leader's own epoch is below it (Raft section 5.4.2): the
//   leader writes a leader_change batch first in its epoch for this.
//
// Contract with the driver: after every input call take_output() and apply it in this order: persist
// the state (durably), apply the log operations, send the messages; then report flushes with
// on_flushed. A flush reported as complete covers only entries still in the log: a truncation below a
// flush in progress shrinks it (the broker's storage::log tracks this; the simulation does the same).
//
// Owned by one thread (a shard's event loop); nothing here is synchronized.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <variant>
#include <vector>

#include "raft/messages.h"
#include "storage/leader_epoch_cache.h"

namespace tributary::raft {

// What must survive a restart besides the log (KRaft's quorum-state file): the epoch and the vote cast
// in it. Written durably before anything that depends on it is sent.
struct persistent_state {
    model::leader_epoch epoch{0};
    std::optional<model::node_id> voted_for;
    bool operator==(const persistent_state&) const = default;
};

// A voter set and the offset of the voters batch that set it. -1 for the configured (bootstrap) set; an
// offset below the log start for the set in force at the log start.
struct voter_set {
    model::offset offset{-1};
    std::vector<model::node_id> voters;
};

// The shape of the log at start-up (after recovery, so everything in it is durable).
struct log_shape {
    model::offset log_start{0};
    // The epoch of the entry just before log_start (0 for a log that never moved its start).
    model::leader_epoch log_start_epoch{0};
    model::offset log_end{0};
    std::vector<storage::epoch_entry> epochs;
    // The high watermark known from before (a checkpoint); 0..log_end. Only a hint: it is committed, so
    // it can be trusted, and the leader's answers raise it.
    std::int64_t high_watermark = 0;
    // The voters batches in the log, ascending, and first the set in force at the log start if the log
    // moved its start past a voters batch. Empty: config::voters.
    std::vector<voter_set> voter_sets;
};

// Log operations, applied in order.
struct truncate_op {
    model::offset end{0};  // drop every entry at or above this offset
};
struct reset_op {
    offset_and_epoch start{};  // drop every entry; the log starts (and ends) at start.offset
    std::vector<model::node_id> voters;  // the voter set in force there
};
using log_op = std::variant<truncate_op, reset_op, batch>;  // a batch is appended at the log end

struct output {
    std::optional<persistent_state> persist;
    std::vector<log_op> log;
    std::vector<envelope> messages;
    // Set when the high watermark moved (it only grows).
    std::optional<std::int64_t> high_watermark;

    bool empty() const { return !persist && log.empty() && messages.empty() && !high_watermark; }
};

enum class role : std::uint8_t {
    unattached,   // no leader known in the current epoch (may have voted)
    follower,     // fetching from the leader of the current epoch
    prospective,  // asking for pre-votes (KIP-996)
    candidate,    // asking for votes in an epoch it started
    leader,
};

const char* to_string(role r);

struct config {
    model::node_id self{0};
    // The voter set the cluster started with; voters batches in the log replace it.
    std::vector<model::node_id> voters;
    // Ticks before a replica without a leader starts a pre-vote: uniformly random in [t, 2t).
    int election_timeout_ticks = 10;
    // Ticks without a successful answer from the leader before a follower starts a pre-vote; a leader
    // resigns when a majority has not fetched for 1.5 times this.
    int fetch_timeout_ticks = 20;
    // Ticks a leader holds a fetch from a caught-up follower before answering it empty (long poll).
    int fetch_max_wait_ticks = 5;
    // Ticks before an unanswered Fetch or BeginQuorumEpoch is sent again. REQUIRES: > fetch_max_wait.
    int request_retry_ticks = 8;
    std::uint64_t seed = 0;
};

// A broken Raft invariant (a bug, or a disk that lost acknowledged writes): the replica must stop.
class invariant_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

class core {
public:
    core(config cfg, persistent_state state, log_shape log);

    // Inputs. Each may leave work in the output.
    void tick();
    void receive(const envelope& e);
    // Everything below `end` is durable (under the flush policy). Ignored beyond the log end.
    void on_flushed(model::offset end);
    // Leader only: reserves the next `record_count` offsets in the leader's epoch and asks the driver
    // (output::log) to append `data` there. Returns the base offset, or nullopt when not the leader.
    std::optional<model::offset> propose(std::int64_t record_count, std::shared_ptr<const void> data);
    // Leader only: the driver has itself written `record_count` records at the log end in the leader's
    // epoch, after applying every earlier output (a client's batches, which the partition's log validates
    // and numbers in one step: the idempotent-producer checks need the offsets). As propose() without the
    // log operation; returns the base offset. REQUIRES: role() == leader; the records are in epoch().
    model::offset note_appended(std::int64_t record_count);
    // The driver removed the entries below `start` (retention, or a snapshot covers them).
    // REQUIRES: start <= high_watermark().
    void advance_log_start(model::offset start);
    // Leader only: step down and ask the voters to elect one of `preferred` (most caught-up first) now.
    void resign();
    // Leader only: change the voter set by adding or removing one voter (Raft thesis, section 4.1). The
    // new set applies as soon as it is written; a leader that removed itself resigns once it commits.
    // Refused (false) unless an entry of this epoch and the previous change are committed.
    bool propose_voters(std::vector<model::node_id> voters);
    // Leader only: answers the fetch held for `follower` now, with whatever there is. A transport that
    // carries many groups' fetches in one request asks for this once one group has something to say,
    // so the request is not held by the groups that have nothing new.
    void answer_parked_fetch(model::node_id follower);

    output take_output();

    raft::role role() const { return role_; }
    model::leader_epoch epoch() const { return state_.epoch; }
    std::optional<model::node_id> leader() const { return leader_; }
    const persistent_state& state() const { return state_; }
    std::int64_t high_watermark() const { return high_watermark_; }
    model::offset log_start() const { return log_start_; }
    model::offset log_end() const { return log_end_; }
    model::offset durable_end() const { return durable_end_; }
    // The end of the log as (offset, epoch of the last entry).
    offset_and_epoch last() const { return {log_end_, last_epoch()}; }
    const config& cfg() const { return cfg_; }
    // The voter set in force: the last voters batch in the log, or the configured one.
    const std::vector<model::node_id>& voters() const { return voter_sets_.back().voters; }
    // Leader only: itself and the voters that held its whole log within the last `lag_ticks` ticks
    // (Kafka's ISR, replica.lag.time.max.ms), ascending. Empty when not the leader.
    std::vector<model::node_id> in_sync(std::int64_t lag_ticks) const;

private:
    struct follower_progress {
        std::int64_t end = -1;         // durable end the follower reported in a valid fetch
        std::int64_t told_high_watermark = -1;  // the last high watermark sent to it
        std::int64_t last_fetch = 0;   // tick of its last fetch in this epoch
        bool fetched = false;          // has fetched in this epoch (else BeginQuorumEpoch is resent)
        std::int64_t begin_sent = 0;
        std::optional<fetch_request> parked;
        std::int64_t parked_at = 0;
        // Tick at which it last held everything the leader had (Kafka's lastCaughtUpTime); a follower is
        // in sync while this is recent. Every voter counts as caught up when a leader starts.
        std::int64_t caught_up_at = std::numeric_limits<std::int64_t>::min() / 2;
    };

    bool is_voter(model::node_id n) const;
    std::size_t majority() const { return voters().size() / 2 + 1; }
    std::size_t granted_by_voters() const;
    const std::vector<model::node_id>& voters_at(model::offset o) const;
    model::leader_epoch last_epoch() const;
    int random_election_timeout();
    void send(model::node_id to, message m);
    void persist();

    // Transitions.
    void observe_epoch(model::leader_epoch epoch, std::optional<model::node_id> leader);
    void become_unattached(model::leader_epoch epoch);
    void become_follower(model::node_id leader, bool fetch_now = true);
    void become_prospective();
    void become_candidate();
    void become_leader();

    // Handlers.
    void on_vote_request(model::node_id from, const vote_request& r);
    void on_vote_response(model::node_id from, const vote_response& r);
    void on_begin_quorum_epoch(model::node_id from, const begin_quorum_epoch_request& r);
    void on_end_quorum_epoch(model::node_id from, const end_quorum_epoch_request& r);
    void on_fetch_request(model::node_id from, const fetch_request& r);
    void on_fetch_response(model::node_id from, const fetch_response& r);

    bool log_at_least_as_up_to_date(const offset_and_epoch& other) const;
    // The leader's side of a fetch: nullopt when the fetch position matches the leader's log.
    std::optional<fetch_response> check_fetch_position(const fetch_request& r) const;
    fetch_response make_fetch_response(const fetch_request& r) const;
    void answer_parked(bool only_if_data_or_expired);
    void answer_held(model::node_id follower, follower_progress& p);
    void maybe_advance_high_watermark();
    void maybe_send_fetch();
    void discover_leader();
    void set_high_watermark(std::int64_t hw);
    void truncate_to(model::offset end);
    // Records `b` at the log end; `write`: the driver is asked to write it (output::log).
    void append(batch b, bool write = true);

    config cfg_;
    std::mt19937_64 rng_;
    persistent_state state_;
    raft::role role_ = raft::role::unattached;
    std::optional<model::node_id> leader_;
    std::int64_t now_ = 0;

    // The log's shape.
    model::offset log_start_;
    model::leader_epoch log_start_epoch_;
    model::offset log_end_;
    model::offset durable_end_;
    storage::leader_epoch_cache epochs_;
    std::int64_t high_watermark_ = 0;
    // Ascending by offset; never empty (the first is the configured set or the one at the log start).
    std::vector<voter_set> voter_sets_;

    // unattached, prospective, candidate: when to start the next pre-vote round.
    std::int64_t election_deadline_ = 0;
    // prospective and candidate: who granted in this round.
    std::set<model::node_id> granted_;

    // follower
    std::int64_t last_leader_contact_ = 0;  // last answer from the leader itself
    // prospective: the leader it stopped hearing from in this epoch (it still fetches from it).
    std::optional<model::node_id> timed_out_leader_;
    bool fetch_in_flight_ = false;
    std::int64_t fetch_sent_at_ = 0;
    std::uint64_t fetch_sequence_ = 0;
    std::uint64_t answered_sequence_ = 0;  // the newest fetch whose answer was used

    // leader
    std::map<model::node_id, follower_progress> progress_;
    model::offset epoch_start_{0};   // offset of the leader_change batch that opened the epoch
    bool leader_high_watermark_known_ = false;

    output out_;
};

}  // namespace tributary::raft
