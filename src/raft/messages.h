// The messages Raft replicas exchange, as plain values. The shapes follow KRaft (KIP-595, KIP-996): a
// candidate asks for votes (first a pre-vote that changes no state), a new leader announces itself with
// BeginQuorumEpoch, and followers pull the log with Fetch, which also carries the leader's high watermark
// and, when the follower's log has diverged, where the leader's log for that epoch ended. There is no
// AppendEntries and no heartbeat: a follower that keeps fetching is a follower that is alive.
//
// The core (raft/core.h) produces and consumes these; a driver maps them onto the wire (the Kafka Vote,
// BeginQuorumEpoch, EndQuorumEpoch and Fetch APIs) or, in tests, onto a simulated network.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "model/fundamental.h"

namespace tributary::raft {

using model::leader_epoch;
using model::node_id;
using model::offset;

// KRaft's OffsetAndEpoch: an offset and the epoch of the entry just before it (or the epoch that ended
// there, for a diverging epoch).
struct offset_and_epoch {
    model::offset offset{0};
    model::leader_epoch epoch{0};
    bool operator==(const offset_and_epoch&) const = default;
};

enum class batch_kind : std::uint8_t {
    data,           // records a client (or a coordinator) proposed on the leader
    leader_change,  // the one-record control batch a leader writes first in its epoch (KRaft's LeaderChange)
    voters,         // a one-record control batch that sets the voter set (KRaft's VotersRecord, KIP-853)
};

// A run of consecutive log entries (a record batch): offsets [base, last], all written in `epoch`. The
// core never looks inside `data`; the driver puts there whatever it needs to write the batch (the bytes
// of a record batch, or a test's values) and keeps it alive with the pointer.
struct batch {
    model::offset base{0};
    model::offset last{0};
    model::leader_epoch epoch{0};
    batch_kind kind = batch_kind::data;
    std::shared_ptr<const void> data;
    // kind == voters: the voter set from this offset on (it applies once written, committed or not).
    std::vector<model::node_id> voters;

    std::int64_t count() const { return last.value() - base.value() + 1; }
};

// Vote (KIP-595), and its pre-vote form (KIP-996): a pre-vote asks "would you vote for me in
// `candidate_epoch`?" and changes nobody's vote. It is sent in epoch candidate_epoch - 1, and a voter
// in an older epoch moves to that one (a replica whose election failed can only rejoin there).
struct vote_request {
    model::leader_epoch candidate_epoch{0};
    model::node_id candidate{0};
    // The end of the candidate's log: the epoch of its last entry and the offset after it.
    offset_and_epoch last{};
    bool pre_vote = false;
    bool operator==(const vote_request&) const = default;
};

struct vote_response {
    // The responder's epoch, and the leader it knows in that epoch.
    model::leader_epoch epoch{0};
    std::optional<model::node_id> leader;
    bool granted = false;
    bool pre_vote = false;
    // The request's candidate_epoch, so that a late answer to an older round can be told apart.
    model::leader_epoch candidate_epoch{0};
    bool operator==(const vote_response&) const = default;
};

struct begin_quorum_epoch_request {
    model::leader_epoch epoch{0};
    model::node_id leader{0};
    bool operator==(const begin_quorum_epoch_request&) const = default;
};

struct begin_quorum_epoch_response {
    model::leader_epoch epoch{0};
    std::optional<model::node_id> leader;
    bool operator==(const begin_quorum_epoch_response&) const = default;
};

// A leader giving up (leadership transfer, or shutdown): the voters should elect another, starting with
// the preferred successors, without waiting for their fetch timeout.
struct end_quorum_epoch_request {
    model::leader_epoch epoch{0};
    model::node_id leader{0};
    std::vector<model::node_id> preferred_successors;
    bool operator==(const end_quorum_epoch_request&) const = default;
};

struct fetch_request {
    // The fetching replica's epoch. A follower fetches from the leader it knows in that epoch.
    model::leader_epoch epoch{0};
    model::node_id replica{0};
    // The follower's log end offset and the epoch of its last entry. The leader counts fetch_offset
    // towards the high watermark, so a follower sends it only once everything below it is durable.
    model::offset fetch_offset{0};
    model::leader_epoch last_fetched_epoch{0};
    // Tells this fetch's response apart from late answers to earlier ones.
    std::uint64_t sequence = 0;
    bool operator==(const fetch_request&) const = default;
};

enum class fetch_error : std::uint8_t {
    none,
    fenced_leader_epoch,  // the fetcher's epoch is older than the responder's
    not_leader,           // the responder is not the leader of the fetcher's epoch
};

struct fetch_response {
    fetch_error error = fetch_error::none;
    model::leader_epoch epoch{0};
    std::optional<model::node_id> leader;
    // Echoes of the request.
    model::offset fetch_offset{0};
    model::leader_epoch last_fetched_epoch{0};
    std::uint64_t sequence = 0;
    // -1 while the leader does not know it yet (before an entry of its own epoch is committed).
    std::int64_t high_watermark = -1;
    model::offset log_start_offset{0};
    // Set when the follower's log diverged from the leader's: the leader's (epoch, end offset) for the
    // follower's last_fetched_epoch. The follower truncates and fetches again.
    std::optional<offset_and_epoch> diverging_epoch;
    // Set when fetch_offset is below the leader's log start: the follower replaces its log with an empty
    // one that starts there (for a data partition the entries below are gone everywhere; for the
    // controller the driver installs the snapshot that ends there).
    std::optional<offset_and_epoch> snapshot;
    // With `snapshot`: the voter set in force at that offset.
    std::vector<model::node_id> snapshot_voters;
    // Outbound from a core: true when the driver must fill `batches` by reading the log from
    // fetch_offset (as much as its fetch size allows). Inbound: the batches the leader sent.
    bool read_log = false;
    std::vector<batch> batches;
};

using message = std::variant<vote_request, vote_response, begin_quorum_epoch_request,
                             begin_quorum_epoch_response, end_quorum_epoch_request, fetch_request,
                             fetch_response>;

struct envelope {
    model::node_id from{0};
    model::node_id to{0};
    raft::message message;
};

}  // namespace tributary::raft
