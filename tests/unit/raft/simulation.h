// A simulated cluster for raft::core: N replicas over a network that loses, delays, reorders and
// duplicates messages and can be cut (fully, or one way), disks whose flushes complete late and whose
// unflushed tail a crash tears off at a random point, replicas that crash, pause and see their clock
// jump, a client proposing to whichever replica believes it leads, and retention moving log starts.
// Everything is drawn from one seeded generator: a seed reproduces a run exactly.
//
// After every step the checker asserts Raft's safety properties (Raft paper, figure 3):
// - election safety: at most one leader per epoch, over the whole run;
// - log matching: two logs with an entry of the same offset and epoch are equal up to it (each entry
//   carries a hash chained over its prefix, and (offset, epoch) -> hash is checked on every append);
// - leader completeness: a new leader holds every committed entry;
// - committed entries are never lost: a majority of the voter set the last commit was counted in holds
//   the committed prefix durably (or has moved its log start past it), no replica truncates below its
//   high watermark, and every high watermark any replica reports agrees with the one committed history.
// Then it heals every fault and checks liveness: one leader, every replica converges on one log, and
// a value proposed after healing commits everywhere.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "raft/core.h"

namespace tributary::raft::testing {

struct fault_profile {
    double drop = 0.0;          // probability a message is lost
    double duplicate = 0.0;     // probability a message is delivered twice
    int max_delay = 1;          // ticks; delays are uniform in [1, max_delay] (reordering)
    double crash = 0.0;         // per tick: a live replica crashes
    double pause = 0.0;         // per tick: a live replica stops (SIGSTOP) for a while
    double partition = 0.0;     // per tick: a new network partition starts
    double clock_jump = 0.0;    // per tick: a replica's clock jumps ahead
    double retention = 0.0;     // per tick: a replica moves its log start up to its high watermark
    double resign = 0.0;        // per tick: the leader hands over (leadership transfer)
    double reconfigure = 0.0;   // per tick: the leader adds or removes one voter
    int max_flush_delay = 2;    // ticks before a flush completes
    double propose = 0.3;       // per tick: the client proposes
};

// A random profile for a seed: the same seed always gives the same profile.
fault_profile random_profile(std::mt19937_64& rng);

class simulation {
public:
    // `voters` replicas start as the voter set; `observers` more start outside it (voters may add them).
    simulation(std::uint64_t seed, int voters, int observers, fault_profile faults);
    ~simulation();

    // Runs `ticks` steps with faults, then heals and checks liveness for up to `settle_ticks`.
    // Returns an empty string on success, else what failed and the last events.
    std::string run(int ticks, int settle_ticks);

    // Counters for the test's report.
    struct stats {
        std::int64_t committed = 0;
        std::int64_t elections = 0;
        std::int64_t crashes = 0;
        std::int64_t partitions = 0;
        std::int64_t messages = 0;
        std::int64_t dropped = 0;
        std::int64_t truncations = 0;
        std::int64_t resets = 0;
        std::int64_t resignations = 0;
        std::int64_t reconfigurations = 0;
    };
    const stats& counters() const { return stats_; }

private:
    struct replica;
    struct in_flight {
        std::int64_t deliver_at;
        std::uint64_t order;  // ties broken by a random draw
        envelope e;
        std::uint64_t snapshot_chain;  // the leader's hash at the snapshot's offset - 1
    };

    void step(bool faults);
    void deliver_due();
    void apply_output(replica& r, output out, const in_flight* cause = nullptr);
    void crash(replica& r);
    void restart(replica& r);
    void maybe_fault();
    void maybe_resign();
    void maybe_reconfigure();
    void heal();
    bool linked(node_id from, node_id to) const;
    void note(const std::string& event);
    void check(replica& r);
    void fail(const std::string& what);
    replica& at(node_id id);

    std::uint64_t seed_;
    std::mt19937_64 rng_;
    fault_profile faults_;
    bool trace_;  // TRIBUTARY_RAFT_TRACE: record every delivered message among the events
    std::vector<std::unique_ptr<replica>> replicas_;
    std::vector<node_id> voters_;
    std::int64_t now_ = 0;
    std::vector<in_flight> network_;
    // Cut links (from, to), and when the current partition heals.
    std::set<std::pair<std::int32_t, std::int32_t>> cut_;
    std::int64_t heal_at_ = 0;

    // The checker's view of history.
    std::map<std::int32_t, std::int32_t> leader_of_epoch_;
    std::map<std::pair<std::int64_t, std::int32_t>, std::uint64_t> chain_of_;
    std::vector<std::uint64_t> committed_;  // hash chain of the committed prefix, by offset
    std::vector<std::int32_t> committed_in_;  // the epoch in which each offset was first seen committed
    std::vector<node_id> committed_voters_;    // the voter set the last commit was counted in
    std::int64_t next_value_ = 1;

    std::deque<std::string> events_;
    std::string failure_;
    stats stats_;
};

}  // namespace tributary::raft::testing
