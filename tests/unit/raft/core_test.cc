// raft::core's rules, one scenario each, with the network and the disk driven by hand.
#include "raft/core.h"

#include <algorithm>
#include <map>
#include <memory>

#include <gtest/gtest.h>

namespace tributary::raft {
namespace {

node_id n(int i) { return node_id(i); }
offset off(std::int64_t o) { return offset(o); }
leader_epoch ep(std::int32_t e) { return leader_epoch(e); }

config make_config(int self, int voters) {
    config c;
    c.self = n(self);
    for (int i = 1; i <= voters; ++i) c.voters.push_back(n(i));
    c.seed = static_cast<std::uint64_t>(self);
    return c;
}

// A log of `count` entries per epoch, e.g. shape({{1, 3}, {2, 2}}) = epoch 1 at [0,3), epoch 2 at [3,5).
log_shape shape(std::vector<std::pair<std::int32_t, std::int64_t>> runs) {
    log_shape s;
    std::int64_t at = 0;
    for (auto [epoch, count] : runs) {
        s.epochs.push_back({epoch, off(at)});
        at += count;
    }
    s.log_end = off(at);
    return s;
}

template <typename T>
T first_of(const std::vector<envelope>& messages) {
    for (const auto& m : messages) {
        if (auto* v = std::get_if<T>(&m.message)) return *v;
    }
    ADD_FAILURE() << "no such message";
    return T{};
}

// Replicas whose messages wait in an outbox until the test delivers them; disks flush on demand. The
// harness keeps each replica's log as one single-entry batch per offset, applying the cores' log
// operations.
struct harness {
    std::map<int, std::unique_ptr<core>> replicas;
    std::map<int, std::vector<batch>> logs;
    std::vector<envelope> outbox;

    void add(int id, int voters, persistent_state state = {}, log_shape log = {}) {
        auto& entries = logs[id];
        for (std::size_t i = 0; i < log.epochs.size(); ++i) {
            const auto end = i + 1 < log.epochs.size() ? log.epochs[i + 1].start_offset : log.log_end;
            for (auto o = log.epochs[i].start_offset.value(); o < end.value(); ++o) {
                entries.push_back(batch{off(o), off(o), ep(log.epochs[i].epoch), batch_kind::data, nullptr});
            }
        }
        replicas[id] = std::make_unique<core>(make_config(id, voters), state, log);
        collect(id);
    }
    core& at(int id) { return *replicas.at(id); }
    void collect(int id) {
        auto out = at(id).take_output();
        apply(id, out);
        for (auto& m : out.messages) outbox.push_back(m);
    }
    void apply(int id, const output& out) {
        auto& entries = logs[id];
        for (const auto& op : out.log) {
            if (auto* t = std::get_if<truncate_op>(&op)) entries.resize(static_cast<std::size_t>(t->end.value()));
            else if (auto* b = std::get_if<batch>(&op)) {
                for (auto o = b->base.value(); o <= b->last.value(); ++o) {
                    auto one = *b;
                    one.base = one.last = off(o);
                    entries.push_back(std::move(one));
                }
            }
        }
    }
    void flush(int id) {
        at(id).on_flushed(at(id).log_end());
        collect(id);
    }
    void flush_all() {
        for (auto& [id, r] : replicas) flush(id);
    }
    void tick(int id, int times = 1) {
        for (int i = 0; i < times; ++i) {
            at(id).tick();
            collect(id);
        }
    }
    // Delivers every queued message (and what they cause) until the network is quiet, flushing every
    // disk as soon as something is written.
    void settle(int rounds = 50) {
        for (int i = 0; i < rounds && !outbox.empty(); ++i) {
            auto batch = std::exchange(outbox, {});
            for (auto& e : batch) deliver(e);
            flush_all();
        }
    }
    void deliver(envelope e) {
        if (!replicas.contains(e.to.value())) return;
        if (auto* f = std::get_if<fetch_response>(&e.message); f && f->read_log) {
            const auto& entries = logs[e.from.value()];
            for (auto o = f->fetch_offset.value(); o < static_cast<std::int64_t>(entries.size()); ++o) {
                f->batches.push_back(entries[static_cast<std::size_t>(o)]);
            }
            f->read_log = false;
        }
        at(e.to.value()).receive(e);
        collect(e.to.value());
    }
    int leaders() const {
        return static_cast<int>(std::count_if(replicas.begin(), replicas.end(),
                                              [](const auto& kv) { return kv.second->role() == role::leader; }));
    }
    // Ticks everyone until one leader is elected; returns it.
    int elect() {
        for (int t = 0; t < 60 && leaders() == 0; ++t) {
            for (auto& [id, r] : replicas) tick(id);
            settle();
        }
        for (auto& [id, r] : replicas) {
            if (r->role() == role::leader) return id;
        }
        return 0;
    }
};

TEST(RaftCore, SingleVoterLeadsAtOnceAndCommitsWhatIsFlushed) {
    harness h;
    h.add(1, 1);
    EXPECT_EQ(h.at(1).role(), role::leader);
    EXPECT_EQ(h.at(1).epoch(), ep(1));
    // The leader_change entry opens the epoch.
    EXPECT_EQ(h.at(1).log_end(), off(1));
    EXPECT_EQ(h.at(1).high_watermark(), 0);
    ASSERT_EQ(h.at(1).propose(3, nullptr), off(1));
    EXPECT_EQ(h.at(1).high_watermark(), 0);  // written, not yet durable
    h.flush(1);
    EXPECT_EQ(h.at(1).high_watermark(), 4);
}

TEST(RaftCore, ThreeVotersElectOneLeaderAndReplicateToAll) {
    harness h;
    for (int i = 1; i <= 3; ++i) h.add(i, 3);
    const int leader = h.elect();
    ASSERT_EQ(h.leaders(), 1);
    ASSERT_TRUE(h.at(leader).propose(2, nullptr));
    h.collect(leader);
    h.settle();
    for (int i = 1; i <= 3; ++i) {
        EXPECT_EQ(h.at(i).log_end(), off(3)) << i;
        EXPECT_EQ(h.at(i).high_watermark(), 3) << i;
        EXPECT_EQ(h.at(i).leader(), n(leader)) << i;
    }
}

TEST(RaftCore, AVoteIsPersistedInTheSameOutputThatSendsIt) {
    harness h;
    h.add(2, 3);
    h.at(2).receive({n(1), n(2), vote_request{ep(1), n(1), {off(0), ep(0)}, false}});
    auto out = h.at(2).take_output();
    ASSERT_TRUE(out.persist);
    EXPECT_EQ(out.persist->epoch, ep(1));
    EXPECT_EQ(out.persist->voted_for, n(1));
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_TRUE(std::get<vote_response>(out.messages[0].message).granted);
    // The same epoch, another candidate: refused.
    h.at(2).receive({n(3), n(2), vote_request{ep(1), n(3), {off(0), ep(0)}, false}});
    out = h.at(2).take_output();
    EXPECT_FALSE(std::get<vote_response>(out.messages.at(0).message).granted);
}

TEST(RaftCore, AVoteGoesOnlyToACandidateWhoseLogIsAtLeastAsUpToDate) {
    harness h;
    h.add(2, 3, {ep(2), std::nullopt}, shape({{1, 3}, {2, 2}}));
    // Shorter log in the same last epoch.
    h.at(2).receive({n(1), n(2), vote_request{ep(3), n(1), {off(4), ep(2)}, false}});
    EXPECT_FALSE(std::get<vote_response>(h.at(2).take_output().messages.at(0).message).granted);
    // An older last epoch, however long.
    h.at(2).receive({n(3), n(2), vote_request{ep(3), n(3), {off(100), ep(1)}, false}});
    EXPECT_FALSE(std::get<vote_response>(h.at(2).take_output().messages.at(0).message).granted);
    // A newer last epoch, even if shorter.
    h.at(2).receive({n(3), n(2), vote_request{ep(4), n(3), {off(4), ep(3)}, false}});
    EXPECT_TRUE(std::get<vote_response>(h.at(2).take_output().messages.at(0).message).granted);
}

TEST(RaftCore, APreVoteChangesNeitherEpochNorVote) {
    harness h;
    h.add(2, 3, {ep(5), std::nullopt});
    h.at(2).receive({n(1), n(2), vote_request{ep(6), n(1), {off(0), ep(0)}, true}});
    auto out = h.at(2).take_output();
    EXPECT_FALSE(out.persist);
    EXPECT_TRUE(std::get<vote_response>(out.messages.at(0).message).granted);
    EXPECT_EQ(h.at(2).epoch(), ep(5));
    EXPECT_FALSE(h.at(2).state().voted_for);
}

TEST(RaftCore, AFollowerThatHearsFromItsLeaderRefusesPreVotes) {
    harness h;
    h.add(2, 3);
    h.at(2).receive({n(1), n(2), begin_quorum_epoch_request{ep(1), n(1)}});
    h.collect(2);
    ASSERT_EQ(h.at(2).role(), role::follower);
    // Replica 3 was cut off and comes back asking for epoch 2: refused, nobody's epoch moves.
    h.at(2).receive({n(3), n(2), vote_request{ep(2), n(3), {off(0), ep(0)}, true}});
    auto out = h.at(2).take_output();
    EXPECT_FALSE(std::get<vote_response>(out.messages.at(0).message).granted);
    EXPECT_EQ(h.at(2).epoch(), ep(1));
    EXPECT_EQ(h.at(2).role(), role::follower);
}

TEST(RaftCore, AFollowerSendsItsFetchOffsetOnlyOnceItIsDurable) {
    harness h;
    h.add(2, 3);
    h.at(2).receive({n(1), n(2), begin_quorum_epoch_request{ep(1), n(1)}});
    auto out = h.at(2).take_output();
    auto fetch = std::find_if(out.messages.begin(), out.messages.end(),
                              [](const auto& m) { return std::holds_alternative<fetch_request>(m.message); });
    ASSERT_NE(fetch, out.messages.end());
    auto request = std::get<fetch_request>(fetch->message);
    fetch_response resp;
    resp.epoch = ep(1);
    resp.leader = n(1);
    resp.fetch_offset = request.fetch_offset;
    resp.last_fetched_epoch = request.last_fetched_epoch;
    resp.sequence = request.sequence;
    resp.high_watermark = 0;
    resp.batches = {batch{off(0), off(0), ep(1), batch_kind::leader_change, nullptr},
                    batch{off(1), off(2), ep(1), batch_kind::data, nullptr}};
    h.at(2).receive({n(1), n(2), resp});
    out = h.at(2).take_output();
    EXPECT_EQ(out.log.size(), 2u);
    EXPECT_TRUE(out.messages.empty()) << "fetched again before the entries were durable";
    h.at(2).on_flushed(off(3));
    out = h.at(2).take_output();
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_EQ(std::get<fetch_request>(out.messages[0].message).fetch_offset, off(3));
}

TEST(RaftCore, TheHighWatermarkWaitsForAnEntryOfTheLeadersOwnEpoch) {
    // Replica 1 has entries of epoch 1 that replica 2 also holds; it becomes leader of epoch 3.
    harness h;
    h.add(1, 3, {ep(2), std::nullopt}, shape({{1, 5}}));
    h.tick(1, 100);
    h.outbox.clear();
    // Pre-votes and votes granted by hand.
    h.at(1).receive({n(2), n(1), vote_response{ep(2), std::nullopt, true, true, ep(3)}});
    h.at(1).receive({n(2), n(1), vote_response{ep(3), std::nullopt, true, false, ep(3)}});
    ASSERT_EQ(h.at(1).role(), role::leader);
    ASSERT_EQ(h.at(1).log_end(), off(6));  // the leader_change entry at 5
    h.at(1).on_flushed(off(6));
    // Replica 2 holds [0, 5): the old entries are on a majority, but not one of epoch 3.
    h.at(1).receive({n(2), n(1), fetch_request{ep(3), n(2), off(5), ep(1), 1}});
    EXPECT_EQ(h.at(1).high_watermark(), 0);
    auto out = h.at(1).take_output();
    auto resp = std::find_if(out.messages.begin(), out.messages.end(),
                             [](const auto& m) { return std::holds_alternative<fetch_response>(m.message); });
    ASSERT_NE(resp, out.messages.end());
    EXPECT_EQ(std::get<fetch_response>(resp->message).high_watermark, -1) << "unknown until the epoch commits";
    // Once it holds the leader_change entry, everything up to it commits.
    h.at(1).receive({n(2), n(1), fetch_request{ep(3), n(2), off(6), ep(3), 2}});
    EXPECT_EQ(h.at(1).high_watermark(), 6);
}

TEST(RaftCore, AHeldFetchIsAnsweredWhenTheTransportAsks) {
    harness h;
    h.add(1, 1);
    ASSERT_EQ(h.at(1).role(), role::leader);
    h.flush(1);
    h.outbox.clear();
    const auto end = h.at(1).log_end();
    // A caught-up follower that has already been told the high watermark: its fetch is held.
    h.at(1).receive({n(2), n(1), fetch_request{h.at(1).epoch(), n(2), end, h.at(1).epoch(), 1}});
    h.collect(1);
    h.outbox.clear();
    h.at(1).receive({n(2), n(1), fetch_request{h.at(1).epoch(), n(2), end, h.at(1).epoch(), 2}});
    EXPECT_TRUE(h.at(1).take_output().messages.empty()) << "nothing new: held (long poll)";
    h.at(1).answer_parked_fetch(n(3));
    EXPECT_TRUE(h.at(1).take_output().messages.empty()) << "no fetch held for replica 3";
    h.at(1).answer_parked_fetch(n(2));
    auto out = h.at(1).take_output();
    ASSERT_EQ(out.messages.size(), 1u);
    const auto resp = std::get<fetch_response>(out.messages[0].message);
    EXPECT_EQ(resp.sequence, 2u);
    EXPECT_FALSE(resp.read_log);
    h.at(1).answer_parked_fetch(n(2));
    EXPECT_TRUE(h.at(1).take_output().messages.empty()) << "answered once";
}

TEST(RaftCore, ALeaderAnswersADivergedFetchWithWhereItsEpochEnded) {
    // Leader (epoch 3): epoch 1 at [0,3), epoch 3 from 3. The follower wrote [3,6) in epoch 2 that never
    // committed.
    harness h;
    h.add(1, 1, {ep(2), std::nullopt}, shape({{1, 3}}));
    ASSERT_EQ(h.at(1).role(), role::leader);  // a single voter for the leader's side is enough here
    ASSERT_EQ(h.at(1).epoch(), ep(3));
    h.collect(1);
    h.at(1).receive({n(2), n(1), fetch_request{ep(3), n(2), off(6), ep(2), 1}});
    auto out = h.at(1).take_output();
    auto resp = std::get<fetch_response>(out.messages.at(0).message);
    ASSERT_TRUE(resp.diverging_epoch);
    EXPECT_EQ(resp.diverging_epoch->epoch, ep(1));
    EXPECT_EQ(resp.diverging_epoch->offset, off(3));

    // The follower's side: it truncates to 3 and fetches again from there.
    harness f;
    f.add(2, 3, {ep(2), std::nullopt}, shape({{1, 3}, {2, 3}}));
    f.at(2).receive({n(1), n(2), begin_quorum_epoch_request{ep(3), n(1)}});
    auto request = first_of<fetch_request>(f.at(2).take_output().messages);
    resp.sequence = request.sequence;
    f.at(2).receive({n(1), n(2), resp});
    out = f.at(2).take_output();
    ASSERT_EQ(out.log.size(), 1u);
    EXPECT_EQ(std::get<truncate_op>(out.log[0]).end, off(3));
    auto again = std::get<fetch_request>(out.messages.at(0).message);
    EXPECT_EQ(again.fetch_offset, off(3));
    EXPECT_EQ(again.last_fetched_epoch, ep(1));
}

TEST(RaftCore, AFetchBelowTheLeadersLogStartIsAnsweredWithTheLogStart) {
    harness h;
    h.add(1, 1);
    h.at(1).propose(9, nullptr);
    h.flush(1);
    ASSERT_EQ(h.at(1).high_watermark(), 10);
    h.at(1).advance_log_start(off(8));
    h.at(1).receive({n(2), n(1), fetch_request{ep(1), n(2), off(4), ep(1), 1}});
    auto resp = std::get<fetch_response>(h.at(1).take_output().messages.at(0).message);
    ASSERT_TRUE(resp.snapshot);
    EXPECT_EQ(resp.snapshot->offset, off(8));
    EXPECT_EQ(resp.snapshot->epoch, ep(1));
}

TEST(RaftCore, ALeaderCutOffFromTheMajorityResigns) {
    harness h;
    for (int i = 1; i <= 3; ++i) h.add(i, 3);
    const int leader = h.elect();
    ASSERT_NE(leader, 0);
    // Nobody's fetches reach it any more.
    h.outbox.clear();
    h.tick(leader, 31);
    EXPECT_NE(h.at(leader).role(), role::leader);
}

TEST(RaftCore, AResigningLeaderHandsOverToTheMostCaughtUpVoter) {
    harness h;
    for (int i = 1; i <= 3; ++i) h.add(i, 3);
    const int leader = h.elect();
    ASSERT_NE(leader, 0);
    const auto epoch = h.at(leader).epoch();
    h.at(leader).resign();
    h.collect(leader);
    h.settle();
    // The preferred successor starts its pre-vote on its next tick; the others grant at once.
    for (int t = 0; t < 5 && h.leaders() == 0; ++t) {
        for (int i = 1; i <= 3; ++i) h.tick(i);
        h.settle();
    }
    ASSERT_EQ(h.leaders(), 1);
    EXPECT_NE(h.at(leader).role(), role::leader);
    for (int i = 1; i <= 3; ++i) EXPECT_GT(h.at(i).epoch(), epoch);
}

TEST(RaftCore, ALateAnswerToAnEarlierPositionIsIgnored) {
    harness h;
    h.add(2, 3, {ep(1), std::nullopt}, shape({{1, 5}}));
    h.at(2).receive({n(1), n(2), begin_quorum_epoch_request{ep(1), n(1)}});
    auto request = first_of<fetch_request>(h.at(2).take_output().messages);
    // An answer that claims our fetch was at 3 (it was at 5) and asks to truncate: not applied.
    fetch_response resp;
    resp.epoch = ep(1);
    resp.leader = n(1);
    resp.fetch_offset = off(3);
    resp.last_fetched_epoch = ep(1);
    resp.sequence = request.sequence;
    resp.diverging_epoch = offset_and_epoch{off(3), ep(0)};
    h.at(2).receive({n(1), n(2), resp});
    EXPECT_TRUE(h.at(2).take_output().log.empty());
    EXPECT_EQ(h.at(2).log_end(), off(5));
}

}  // namespace
}  // namespace tributary::raft

namespace tributary::raft {
namespace {

TEST(RaftCore, AVoterSetChangeAppliesOnceWrittenAndOnlyOneIsUncommittedAtATime) {
    harness h;
    h.add(1, 1);
    h.flush(1);
    ASSERT_EQ(h.at(1).role(), role::leader);
    // Two at once: refused.
    EXPECT_FALSE(h.at(1).propose_voters({n(1), n(2), n(3)}));
    ASSERT_TRUE(h.at(1).propose_voters({n(1), n(2)}));
    h.collect(1);
    EXPECT_EQ(h.at(1).voters(), (std::vector<node_id>{n(1), n(2)}));
    // The change is not committed (replica 2 must now hold it too): the next one waits.
    h.flush(1);
    EXPECT_EQ(h.at(1).high_watermark(), 1);
    EXPECT_FALSE(h.at(1).propose_voters({n(1), n(2), n(3)}));
    // Replica 2 joins as an observer of the configured set {1}, finds the leader and catches up.
    h.add(2, 1);
    for (int t = 0; t < 20; ++t) {
        h.tick(2);
        h.settle();
    }
    EXPECT_EQ(h.at(2).leader(), n(1));
    EXPECT_EQ(h.at(2).voters(), (std::vector<node_id>{n(1), n(2)}));
    EXPECT_EQ(h.at(1).high_watermark(), 2);
    EXPECT_TRUE(h.at(1).propose_voters({n(1), n(2), n(3)}));
}

TEST(RaftCore, ALeaderThatRemovedItselfHandsOverOnceTheChangeCommits) {
    harness h;
    for (int i = 1; i <= 3; ++i) h.add(i, 3);
    const int leader = h.elect();
    ASSERT_NE(leader, 0);
    std::vector<node_id> rest;
    for (int i = 1; i <= 3; ++i) {
        if (i != leader) rest.push_back(n(i));
    }
    ASSERT_TRUE(h.at(leader).propose_voters(rest));
    h.collect(leader);
    h.settle();
    EXPECT_EQ(h.at(leader).role(), role::leader) << "leads until the change commits";
    for (int t = 0; t < 60 && (h.at(leader).role() == role::leader || h.leaders() == 0); ++t) {
        for (int i = 1; i <= 3; ++i) h.tick(i);
        h.settle();
    }
    EXPECT_NE(h.at(leader).role(), role::leader);
    ASSERT_EQ(h.leaders(), 1);
    for (auto r : rest) {
        if (h.at(r.value()).role() == role::leader) {
            EXPECT_EQ(h.at(r.value()).voters(), rest);
        }
    }
}

}  // namespace
}  // namespace tributary::raft
