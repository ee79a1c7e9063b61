// Raft over the wire: three brokers in one process, each with two shards, its own network server on
// loopback (server::server, the request handlers of kafka/handlers/raft.h) and a raft_transport per shard,
// host the replicas of two partitions (one per shard) over in-memory logs. What travels between them is
// Kafka's Vote, BeginQuorumEpoch and Fetch requests over TCP, through the broker-to-broker client. The
// replica driver and the core are tested on their own in tests/unit/raft; this checks the transport:
// batching per broker pair, routing to the owning shard, answers matched to their requests, a held fetch
// answered early once another group of the same request has data, a broker that goes away and one that
// restarts.
#include "cluster/raft_transport.h"

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <map>
#include <set>

#include "cluster/partition_manager.h"
#include "cluster_test_util.h"
#include "in_process_brokers.h"
#include "kafka/request_context.h"
#include "net/shard_set.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/record_batch_builder.h"
#include "raft/quorum_state.h"
#include "raft/state_store.h"
#include "server/server.h"
#include "storage/disk_executor.h"
#include "storage/testing/memory_file_system.h"
#include "test_ports.h"

namespace tributary::cluster {
namespace {

using namespace std::chrono_literals;
namespace wire = raft::wire;

constexpr unsigned shard_count = 2;

// What a test may change about its brokers.
struct tuning {
    std::int32_t partitions = 2;
    std::chrono::milliseconds fetch_max_wait{500};
    std::function<void(int node, raft::config&)> raft;
};

using test::eventually;
using test::run_on;

bytes::byte_vector make_batch(int i) {
    protocol::record_batch_builder b;
    const std::string value = "value-" + std::to_string(i);
    b.add(1'700'000'000'000 + i, std::nullopt, bytes::as_bytes(value));
    return std::move(b.build()).value();
}

// One broker: shards, a server, a transport per shard, one replica per partition on its owner shard. Its
// file system (in memory) and disk thread outlive stop(), so start() again restarts it from its logs
// and quorum-state files.
class node {
public:
    node(int id, std::map<int, std::uint16_t> ports, std::shared_ptr<const topic_table> topics, tuning t)
        : id_(id),
          ports_(std::move(ports)),
          topics_(std::move(topics)),
          tuning_(std::move(t)),
          disk_("raft-wire-disk-" + std::to_string(id)) {
        config_.listen_port = ports_.at(id);
        config_.node_id = id;
        config_.smp = shard_count;
        config_.shutdown_drain_timeout_ms = 200;
        topic_id_ = topics_->find("orders")->id;
        start();
    }

    ~node() { stop(); }

    void start() {
        shards_ = std::make_unique<net::shard_set>(shard_count);
        metadata_ = std::make_unique<metadata_cache>();
        metadata_->set_controller_id(model::node_id(id_));
        metadata_->init_shards(shard_count, topics_);
        services_ = kafka::broker_services{};
        services_.node_id = model::node_id(id_);
        services_.shards = shards_.get();
        services_.metadata = metadata_.get();
        transports_.clear();
        for (unsigned s = 0; s < shard_count; ++s) {
            raft_transport_options o;
            o.fetch_max_wait = tuning_.fetch_max_wait;
            transports_.push_back(std::make_unique<raft_transport>(shards_->executor(s), model::node_id(id_), o));
            for (const auto& [peer, port] : ports_) transports_.back()->set_peer(model::node_id(peer), "127.0.0.1", port);
            services_.raft_transports.push_back(transports_.back().get());
        }
        shards_->start();
        server_ = std::make_unique<server::server>(*shards_, config_, services_);
        server_->start();
        for (std::int32_t p = 0; p < tuning_.partitions; ++p) start_replica(p);
        running_ = true;
    }

    void stop() {
        if (!running_) return;
        running_ = false;
        server_->stop();
        for (std::int32_t p = 0; p < tuning_.partitions; ++p) {
            const unsigned s = shard_of(p);
            run_on(shards_->executor(s), [this, p, s]() -> awaitable<void> {
                auto& r = *replicas_.at(p);
                transports_[s]->remove(group(p));
                co_await r.stop();
                auto log = r.release_log();
                co_await log->close();
            });
        }
        for (unsigned s = 0; s < shard_count; ++s) {
            run_on(shards_->executor(s), [this, s]() -> awaitable<void> { co_await transports_[s]->stop(); });
        }
        replicas_.clear();
        stores_.clear();
        // The disk thread outlives this run: every task the logs queued must be finished and destroyed
        // (each holds an executor of a shard, which counts as work on it) before the shards go.
        test::wait_for_disk(disk_);
        shards_->stop();
        shards_->join();
        server_.reset();
        transports_.clear();
    }

    wire::group_key group(std::int32_t p) const { return {"orders", topic_id_, p}; }
    static unsigned shard_of(std::int32_t p) { return owner_shard("orders", p, shard_count); }

    // Runs `fn(replica&)` on the replica's shard and returns its result.
    template <typename F>
    auto with_replica(std::int32_t p, F fn) {
        return run_on(shards_->executor(shard_of(p)),
                      [this, p, fn]() -> awaitable<decltype(fn(std::declval<raft::replica&>()))> {
                          co_return fn(*replicas_.at(p));
                      });
    }
    bool leads(std::int32_t p) {
        return with_replica(p, [](raft::replica& r) { return r.raft().role() == raft::role::leader; });
    }
    std::int64_t high_watermark(std::int32_t p) {
        return with_replica(p, [](raft::replica& r) { return r.raft().high_watermark(); });
    }
    std::optional<model::offset> replicate(std::int32_t p, bytes::byte_vector batch) {
        return run_on(shards_->executor(shard_of(p)), [this, p, batch = std::move(batch)]() mutable {
            return replicas_.at(p)->replicate(std::move(batch));
        });
    }
    // The log's bytes below the high watermark.
    bytes::byte_vector committed(std::int32_t p) {
        return run_on(shards_->executor(shard_of(p)), [this, p]() -> awaitable<bytes::byte_vector> {
            auto& log = replicas_.at(p)->log();
            auto r = co_await log.read(log.log_start_offset(), 64 << 20, log.high_watermark(), true);
            if (!r.ok()) co_return bytes::byte_vector{};
            co_return bytes::byte_vector(r->records.begin(), r->records.end());
        });
    }
    std::uint16_t port() const { return ports_.at(id_); }
    // The replica's state, for failure messages.
    std::string describe(std::int32_t p) {
        return with_replica(p, [this](raft::replica& r) {
            const auto& c = r.raft();
            return "node " + std::to_string(id_) + ": " + raft::to_string(c.role()) + " epoch " +
                   std::to_string(c.epoch().value()) + " leader " + (c.leader() ? std::to_string(c.leader()->value()) : "-") +
                   " log [" + std::to_string(c.log_start().value()) + ", " + std::to_string(c.log_end().value()) +
                   ") durable " + std::to_string(c.durable_end().value()) + " hw " + std::to_string(c.high_watermark()) +
                   " log hw " + std::to_string(r.log().high_watermark().value());
        });
    }

private:
    void start_replica(std::int32_t p) {
        const unsigned s = shard_of(p);
        run_on(shards_->executor(s), [this, p, s]() -> awaitable<void> {
            storage::log_env env(disk_, fs_);
            const std::filesystem::path dir = "/data/orders-" + std::to_string(p);
            auto log = co_await storage::log::open(env, dir, storage::log_config{}, {});
            EXPECT_TRUE(log.ok());
            // The epoch and vote (and voter sets) come back from the partition directory after a restart.
            stores_[p] = std::make_unique<raft::quorum_state_file>(disk_, fs_, dir);
            auto saved = co_await stores_[p]->load();
            EXPECT_TRUE(saved.ok());
            auto voters = co_await stores_[p]->load_voters();
            EXPECT_TRUE(voters.has_value());
            raft::config cfg;
            cfg.self = model::node_id(id_);
            for (const auto& [peer, port] : ports_) cfg.voters.push_back(model::node_id(peer));
            cfg.seed = static_cast<std::uint64_t>(id_ * 100 + p) + ++starts_;
            // Elections start quickly (10-20 ticks without a leader), but a leader is given up only after a
            // second without answers: these tests check the transport, not elections under a starved CPU.
            cfg.fetch_timeout_ticks = 100;
            if (tuning_.raft) tuning_.raft(id_, cfg);
            auto r = std::make_unique<raft::replica>(shards_->executor(s), group(p), cfg,
                                                     saved.ok() ? saved->state : raft::persistent_state{},
                                                     voters.value_or(std::vector<raft::voter_set>{}),
                                                     std::move(log).value(), *stores_[p], *transports_[s],
                                                     raft::replica_options{.tick = 10ms});
            transports_[s]->add(group(p), *r);
            r->start();
            replicas_[p] = std::move(r);
        });
    }

    int id_;
    std::map<int, std::uint16_t> ports_;
    std::shared_ptr<const topic_table> topics_;
    tuning tuning_;
    storage::testing::memory_file_system fs_;
    storage::thread_disk_executor disk_;
    server::broker_config config_;
    model::uuid topic_id_{};
    std::uint64_t starts_ = 0;
    bool running_ = false;
    // One run, from start() to stop().
    std::unique_ptr<net::shard_set> shards_;
    std::unique_ptr<metadata_cache> metadata_;
    kafka::broker_services services_;
    std::vector<std::unique_ptr<raft_transport>> transports_;
    std::unique_ptr<server::server> server_;
    std::map<std::int32_t, std::unique_ptr<raft::quorum_state_file>> stores_;
    std::map<std::int32_t, std::unique_ptr<raft::replica>> replicas_;
};

class raft_transport_test : public ::testing::Test {
protected:
    virtual tuning tune() const { return {}; }

    void SetUp() override {
        tuning_ = tune();
        partitions = tuning_.partitions;
        // The two partitions must live on different shards, so that requests fan out over both.
        ASSERT_NE(node::shard_of(0), node::shard_of(1));
        topics_ = test::with_topics({test::spec("orders", partitions, 1)});
        std::map<int, std::uint16_t> ports;
        for (int id = 1; id <= 3; ++id) ports[id] = tributary::test::claim_port();
        for (int id = 1; id <= 3; ++id) nodes_[id] = std::make_unique<node>(id, ports, topics_, tuning_);
    }

    // The broker leading partition `p`, waiting up to 10 s for one; 0 if there is none.
    int leader_of(std::int32_t p, const std::set<int>& among = {1, 2, 3}) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < until) {
            for (int id : among) {
                if (nodes_[id]->leads(p)) return id;
            }
            std::this_thread::sleep_for(10ms);
        }
        return 0;
    }

    // Replicates through the leader, retrying when leadership moves (as a client would).
    bool replicate(std::int32_t p, int i, const std::set<int>& among = {1, 2, 3}) {
        for (int attempt = 0; attempt < 20; ++attempt) {
            const int l = leader_of(p, among);
            if (l != 0 && nodes_[l]->replicate(p, make_batch(i))) return true;
        }
        return false;
    }

    tuning tuning_;
    std::int32_t partitions = 0;
    std::shared_ptr<const topic_table> topics_;
    std::map<int, std::unique_ptr<node>> nodes_;
};

TEST_F(raft_transport_test, ThreeBrokersReplicateTwoPartitionsOverTheWire) {
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
        for (std::int32_t p = 0; p < partitions; ++p) ASSERT_TRUE(replicate(p, i)) << "partition " << p << " batch " << i;
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    RecordProperty("forty_commits_ms", static_cast<int>(took.count()));
    for (std::int32_t p = 0; p < partitions; ++p) {
        // Every follower catches up: the same bytes below the same high watermark on every broker (a
        // follower learns the high watermark one fetch after the leader moves it).
        std::map<int, std::size_t> sizes;
        const bool converged = eventually([&] {
            const int l = leader_of(p);
            if (l == 0) return false;
            const auto bytes = nodes_[l]->committed(p);
            bool same = !bytes.empty();
            for (int id = 1; id <= 3; ++id) {
                const auto mine = nodes_[id]->committed(p);
                sizes[id] = mine.size();
                same = same && mine == bytes;
            }
            return same;
        });
        EXPECT_TRUE(converged) << "partition " << p << ": committed bytes " << sizes[1] << ", " << sizes[2] << ", "
                               << sizes[3] << "\n" << nodes_[1]->describe(p) << "\n" << nodes_[2]->describe(p) << "\n"
                               << nodes_[3]->describe(p);
    }
}

TEST_F(raft_transport_test, WhenALeadingBrokerStopsTheOthersElectAndCommit) {
    ASSERT_TRUE(replicate(0, 0));
    ASSERT_TRUE(replicate(1, 0));
    const int gone = leader_of(0);
    ASSERT_NE(gone, 0);
    nodes_[gone]->stop();
    std::set<int> rest{1, 2, 3};
    rest.erase(gone);
    for (int i = 1; i < 5; ++i) {
        for (std::int32_t p = 0; p < partitions; ++p) ASSERT_TRUE(replicate(p, i, rest)) << "partition " << p;
    }
    const int l = leader_of(0, rest);
    ASSERT_NE(l, 0);
    EXPECT_NE(l, gone);
    EXPECT_TRUE(eventually([&] {
        for (int id : rest) {
            if (nodes_[id]->committed(0) != nodes_[l]->committed(0)) return false;
        }
        return true;
    }));
}

TEST_F(raft_transport_test, ARestartedBrokerRejoinsAndCatchesUp) {
    for (int i = 0; i < 5; ++i) {
        for (std::int32_t p = 0; p < partitions; ++p) ASSERT_TRUE(replicate(p, i)) << "partition " << p;
    }
    // A follower of partition 0 goes away while the others commit more, then comes back on the same port.
    const int l = leader_of(0);
    ASSERT_NE(l, 0);
    const int away = l == 1 ? 2 : 1;
    nodes_[away]->stop();
    std::set<int> rest{1, 2, 3};
    rest.erase(away);
    for (int i = 5; i < 15; ++i) {
        for (std::int32_t p = 0; p < partitions; ++p) ASSERT_TRUE(replicate(p, i, rest)) << "partition " << p;
    }
    nodes_[away]->start();
    for (std::int32_t p = 0; p < partitions; ++p) {
        const bool caught_up = eventually([&] {
            const int now = leader_of(p);
            return now != 0 && nodes_[away]->committed(p) == nodes_[now]->committed(p);
        });
        EXPECT_TRUE(caught_up) << "partition " << p << "\n" << nodes_[away]->describe(p);
    }
}

// Two partitions on one shard, both led by broker 1, so each follower's Fetch carries both. The leader
// holds a caught-up follower's fetch for up to two seconds; the other partition must not hold the
// answer for the one that has new data.
class raft_held_fetch_test : public raft_transport_test {
protected:
    tuning tune() const override {
        tuning t;
        t.partitions = 4;
        t.fetch_max_wait = 2s;
        t.raft = [](int node, raft::config& c) {
            // Only broker 1 stands for election: the others wait 1,000 s.
            c.election_timeout_ticks = node == 1 ? 10 : 100'000;
            c.fetch_max_wait_ticks = 200;
            c.request_retry_ticks = 250;
            c.fetch_timeout_ticks = 400;
        };
        return t;
    }
};

TEST_F(raft_held_fetch_test, AFetchForManyPartitionsIsAnsweredWhenOneHasData) {
    std::int32_t a = -1, b = -1;
    for (std::int32_t p = 0; p < partitions && b < 0; ++p) {
        for (std::int32_t q = p + 1; q < partitions; ++q) {
            if (node::shard_of(p) == node::shard_of(q)) {
                a = p;
                b = q;
                break;
            }
        }
    }
    ASSERT_GE(b, 0) << "four partitions over two shards: two share one";
    for (std::int32_t p = 0; p < partitions; ++p) {
        ASSERT_EQ(leader_of(p), 1) << "partition " << p;
        ASSERT_TRUE(replicate(p, 0));
    }
    // Every follower is caught up: its fetches of a and b wait at the leader. Without the early answer
    // each commit of `a` would wait up to two seconds for b's held fetch (20 s and more for ten).
    const auto started = std::chrono::steady_clock::now();
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(nodes_[1]->replicate(a, make_batch(i))) << "batch " << i;
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    RecordProperty("ten_commits_ms", static_cast<int>(took.count()));
    EXPECT_LT(took, 10s);
    for (int id = 2; id <= 3; ++id) {
        EXPECT_TRUE(eventually([&] { return nodes_[id]->committed(a) == nodes_[1]->committed(a); })) << "node " << id;
    }
}

// The handlers' own answers, seen by a plain client.
class raft_handlers_test : public raft_transport_test {
protected:
    template <typename Response, typename Request>
    util::result<Response, rpc::rpc_error> call(int to, Request request, std::int16_t version) {
        return test::call_broker<Response>(nodes_[to]->port(), std::move(request), version, 5s);
    }
};

TEST_F(raft_handlers_test, TheRaftApisAreServedButNotListed) {
    auto r = call<protocol::api_versions_response>(1, protocol::api_versions_request{}, 3);
    ASSERT_TRUE(r);
    for (const auto& k : r->api_keys) {
        EXPECT_NE(k.api_key, 52) << "Vote";
        EXPECT_NE(k.api_key, 53) << "BeginQuorumEpoch";
        EXPECT_NE(k.api_key, 54) << "EndQuorumEpoch";
    }
}

TEST_F(raft_handlers_test, AVoteForAGroupThisBrokerLacksIsAnsweredUnknown) {
    std::vector<wire::addressed<raft::vote_request>> votes{
        {{"payments", {}, 0}, raft::vote_request{model::leader_epoch(5), model::node_id(2), {}, true}}};
    auto r = call<protocol::vote_response>(1, wire::encode_vote_request(votes, model::node_id(1)), raft_vote_version);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->topics.size(), 1u) << "error " << r->error_code;
    ASSERT_EQ(r->topics[0].partitions.size(), 1u);
    EXPECT_EQ(r->topics[0].partitions[0].error_code, model::to_int(model::error_code::unknown_topic_or_partition));
}

TEST_F(raft_handlers_test, ARequestForAnotherVoterIsRefused) {
    std::vector<wire::addressed<raft::vote_request>> votes{
        {{"orders", {}, 0}, raft::vote_request{model::leader_epoch(5), model::node_id(2), {}, true}}};
    auto r = call<protocol::vote_response>(1, wire::encode_vote_request(votes, model::node_id(3)), raft_vote_version);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error_code, model::to_int(model::error_code::invalid_voter_key));
    EXPECT_TRUE(r->topics.empty());
}

TEST_F(raft_handlers_test, AFetchFromAReplicaIsAnsweredByTheLeader) {
    ASSERT_TRUE(replicate(0, 0));
    const int l = leader_of(0);
    ASSERT_NE(l, 0);
    const auto epoch = nodes_[l]->with_replica(0, [](raft::replica& r) { return r.raft().epoch(); });
    // As an observer (node 9) that has nothing: the leader answers with records from offset 0.
    std::vector<wire::addressed<raft::fetch_request>> fetches{
        {nodes_[l]->group(0), raft::fetch_request{epoch, model::node_id(9), model::offset(0), model::leader_epoch(0), 1}}};
    auto r = call<protocol::fetch_response>(
        l, wire::encode_fetch_request(fetches, raft_fetch_version, 100, 1 << 20), raft_fetch_version);
    ASSERT_TRUE(r);
    auto decoded = wire::decode_fetch_response(*r, raft_fetch_version, fetches, nullptr);
    ASSERT_EQ(decoded.size(), 1u);
    EXPECT_EQ(decoded[0].error, model::error_code::none) << nodes_[l]->describe(0);
    EXPECT_EQ(decoded[0].message.leader, model::node_id(l)) << nodes_[l]->describe(0);
    EXPECT_FALSE(decoded[0].message.batches.empty());
}

}  // namespace
}  // namespace tributary::cluster
