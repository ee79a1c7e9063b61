// Replicated partitions as the request handlers see them: three brokers in one process, each with two
// shards, its own server on loopback, a raft_transport and a partition_manager per shard with
// replication enabled. The topic table names brokers 1, 2 and 3 as the replicas of every partition, so
// each partition_manager opens a cluster::partition over a raft::replica. Clients talk to the brokers
// with Kafka's Produce and Fetch over TCP (the broker-to-broker client, speaking as a client would):
//   - the leader takes a produce and answers acks=all once a majority holds the records; the followers
//     answer NOT_LEADER_OR_FOLLOWER, naming the leader from Produce v10 (KIP-951);
//   - a consumer's fetch from the leader stops at the high watermark (the commit index);
//   - when the leading broker stops, another is elected, and every acknowledged record is there.
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <map>
#include <set>

#include "cluster/partition_manager.h"
#include "cluster/raft_transport.h"
#include "cluster_test_util.h"
#include "in_process_brokers.h"
#include "kafka/fetch_session.h"
#include "kafka/request_context.h"
#include "net/shard_set.h"
#include "protocol/messages/fetch_request.h"
#include "protocol/messages/fetch_response.h"
#include "protocol/messages/produce_request.h"
#include "protocol/messages/produce_response.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_reader.h"
#include "rpc/client.h"
#include "server/server.h"
#include "storage/disk_executor.h"
#include "storage/testing/memory_file_system.h"
#include "test_ports.h"

namespace tributary::cluster {
namespace {

using namespace std::chrono_literals;

constexpr unsigned shard_count = 2;
constexpr std::int32_t partition_count = 2;

using test::eventually;
using test::run_on;

bytes::byte_vector make_batch(const std::string& value) {
    protocol::record_batch_builder b;
    b.add(1'700'000'000'000, std::nullopt, bytes::as_bytes(value));
    return std::move(b.build()).value();
}

// The topic "orders" with `partition_count` partitions, each replicated on brokers 1, 2 and 3.
std::shared_ptr<const topic_table> replicated_topics() {
    auto base = test::empty_table();
    auto planned = plan_create_topics(*base, {test::spec("orders", partition_count, 1)}, test::node);
    for (auto& r : planned.records) {
        if (auto* p = std::get_if<protocol::partition_record>(&r)) {
            p->replicas = {model::node_id(1), model::node_id(2), model::node_id(3)};
            p->isr = {1, 2, 3};
        }
    }
    return test::apply_all(*base, planned.records);
}

// One broker. Its file system (in memory) and disk thread outlive stop(), so start() again restarts it
// from its logs and quorum-state files.
class broker {
public:
    broker(int id, std::map<int, std::uint16_t> ports, std::shared_ptr<const topic_table> topics)
        : id_(id), ports_(std::move(ports)), topics_(std::move(topics)), disk_("replicated-disk-" + std::to_string(id)) {
        config_.listen_port = ports_.at(id);
        config_.node_id = id;
        config_.smp = shard_count;
        config_.shutdown_drain_timeout_ms = 200;
        start();
    }
    ~broker() { stop(); }

    void start() {
        shards_ = std::make_unique<net::shard_set>(shard_count);
        metadata_ = std::make_unique<metadata_cache>();
        metadata_->set_controller_id(model::node_id(id_));
        metadata_->init_shards(shard_count, topics_);
        for (const auto& [peer, port] : ports_)
            metadata_->brokers.push_back({model::node_id(peer), "127.0.0.1", port, std::nullopt});
        services_ = kafka::broker_services{};
        services_.node_id = model::node_id(id_);
        services_.shards = shards_.get();
        services_.metadata = metadata_.get();
        for (unsigned s = 0; s < shard_count; ++s) {
            transports_.push_back(std::make_unique<raft_transport>(shards_->executor(s), model::node_id(id_)));
            for (const auto& [peer, port] : ports_) transports_.back()->set_peer(model::node_id(peer), "127.0.0.1", port);
            managers_.push_back(std::make_unique<partition_manager>(s, shard_count, shards_->executor(s),
                                                                    storage::log_env(disk_, fs_), "/data"));
            replication_options o;
            o.self = model::node_id(id_);
            o.leaders = &metadata_->leaders;
            // Elections start quickly (10-20 ticks of 10 ms without a leader); a leader is given up only
            // after a second without answers: these tests are about the partition, not a starved CPU.
            o.raft.fetch_timeout_ticks = 100;
            o.replica.tick = 10ms;
            managers_.back()->enable_replication(*transports_.back(), o);
            sessions_.push_back(std::make_unique<kafka::fetch_session_cache>(s));
            services_.raft_transports.push_back(transports_.back().get());
            services_.partition_managers.push_back(managers_.back().get());
            services_.fetch_sessions.push_back(sessions_.back().get());
        }
        shards_->start();
        server_ = std::make_unique<server::server>(*shards_, config_, services_);
        server_->start();
        for (unsigned s = 0; s < shard_count; ++s) {
            run_on(shards_->executor(s), [this, s]() -> awaitable<void> { co_await managers_[s]->reconcile(topics_); });
        }
        running_ = true;
    }

    void stop() {
        if (!running_) return;
        running_ = false;
        server_->stop();
        for (unsigned s = 0; s < shard_count; ++s) {
            run_on(shards_->executor(s), [this, s]() -> awaitable<void> {
                co_await managers_[s]->stop();
                co_await transports_[s]->stop();
            });
        }
        test::wait_for_disk(disk_);
        shards_->stop();
        shards_->join();
        server_.reset();
        managers_.clear();
        transports_.clear();
        sessions_.clear();
    }

    static unsigned shard_of(std::int32_t p) { return owner_shard("orders", p, shard_count); }

    // Runs `fn(partition&)` on the partition's shard and returns its result.
    template <typename F>
    auto with_partition(std::int32_t p, F fn) {
        using R = decltype(fn(std::declval<partition&>()));
        return run_on(shards_->executor(shard_of(p)), [this, p, fn]() -> awaitable<R> {
            auto part = managers_[shard_of(p)]->get("orders", p);
            EXPECT_NE(part, nullptr);
            co_return fn(*part);
        });
    }
    bool leads(std::int32_t p) {
        return with_partition(p, [](partition& part) { return part.leads(); });
    }
    std::int64_t high_watermark(std::int32_t p) {
        return with_partition(p, [](partition& part) { return part.high_watermark().value(); });
    }
    std::int64_t log_end(std::int32_t p) {
        return with_partition(p, [](partition& part) { return part.log_end_offset().value(); });
    }
    // The values of the records below the high watermark, read from the log itself (a follower too).
    std::vector<std::string> committed(std::int32_t p) {
        return run_on(shards_->executor(shard_of(p)), [this, p]() -> awaitable<std::vector<std::string>> {
            auto part = managers_[shard_of(p)]->get("orders", p);
            auto& log = part->log();
            auto r = co_await log.read(log.log_start_offset(), 64 << 20, log.high_watermark(), true);
            std::vector<std::string> out;
            if (r.ok()) out = values(r->records);
            co_return out;
        });
    }
    std::uint16_t port() const { return ports_.at(id_); }

    static std::vector<std::string> values(bytes::bytes_view records) {
        std::vector<std::string> out;
        protocol::batch_iterator it(records);
        protocol::record_reader reader;
        while (it.next()) {
            if (it.header().is_control() || reader.open(it.batch()) != protocol::batch_error::none) continue;
            while (reader.next()) {
                const auto& v = reader.record().value;
                if (v) out.emplace_back(reinterpret_cast<const char*>(v->data()), v->size());
            }
        }
        return out;
    }

private:
    int id_;
    std::map<int, std::uint16_t> ports_;
    std::shared_ptr<const topic_table> topics_;
    storage::testing::memory_file_system fs_;
    storage::thread_disk_executor disk_;
    server::broker_config config_;
    bool running_ = false;
    std::unique_ptr<net::shard_set> shards_;
    std::unique_ptr<metadata_cache> metadata_;
    kafka::broker_services services_;
    std::vector<std::unique_ptr<raft_transport>> transports_;
    std::vector<std::unique_ptr<partition_manager>> managers_;
    std::vector<std::unique_ptr<kafka::fetch_session_cache>> sessions_;
    std::unique_ptr<server::server> server_;
};

class replicated_partition_test : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(broker::shard_of(0), broker::shard_of(1));
        auto topics = replicated_topics();
        std::map<int, std::uint16_t> ports;
        for (int id = 1; id <= 3; ++id) ports[id] = tributary::test::claim_port();
        for (int id = 1; id <= 3; ++id) brokers_[id] = std::make_unique<broker>(id, ports, topics);
    }

    int leader_of(std::int32_t p, const std::set<int>& among = {1, 2, 3}) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < until) {
            for (int id : among) {
                if (brokers_[id]->leads(p)) return id;
            }
            std::this_thread::sleep_for(10ms);
        }
        return 0;
    }

    template <typename Response, typename Request>
    util::result<Response, rpc::rpc_error> call(int to, Request request, std::int16_t version) {
        return test::call_broker<Response>(brokers_[to]->port(), std::move(request), version, 10s);
    }

    struct produced {
        model::error_code error = model::error_code::unknown_server_error;
        std::int64_t base_offset = -1;
        std::int32_t leader_hint = -1;  // KIP-951's current leader (v10+)
        std::vector<std::int32_t> endpoints;
    };
    produced produce(int to, std::int32_t p, const std::string& value, std::int16_t acks, std::int16_t version = 9) {
        protocol::produce_request req;
        req.acks = acks;
        req.timeout_ms = 5'000;
        auto& t = req.topic_data.emplace_back();
        t.name = "orders";
        auto& part = t.partition_data.emplace_back();
        part.index = p;
        part.records = protocol::records::owned(make_batch(value));
        auto r = call<protocol::produce_response>(to, std::move(req), version);
        produced out;
        if (!r || r->responses.size() != 1 || r->responses[0].partition_responses.size() != 1) return out;
        const auto& pr = r->responses[0].partition_responses[0];
        out.error = static_cast<model::error_code>(pr.error_code);
        out.base_offset = pr.base_offset;
        out.leader_hint = pr.current_leader.leader_id.value();
        for (const auto& e : r->node_endpoints) out.endpoints.push_back(e.node_id.value());
        return out;
    }

    struct fetched {
        model::error_code error = model::error_code::unknown_server_error;
        std::int64_t high_watermark = -1;
        std::vector<std::string> values;
    };
    fetched fetch(int to, std::int32_t p, std::int64_t offset) {
        protocol::fetch_request req;
        req.max_wait_ms = 0;
        req.min_bytes = 0;
        req.session_epoch = -1;
        auto& t = req.topics.emplace_back();
        t.topic = "orders";
        auto& part = t.partitions.emplace_back();
        part.partition = p;
        part.fetch_offset = offset;
        part.partition_max_bytes = 1 << 20;
        auto r = call<protocol::fetch_response>(to, std::move(req), 12);
        fetched out;
        if (!r || r->responses.size() != 1 || r->responses[0].partitions.size() != 1) return out;
        const auto& pd = r->responses[0].partitions[0];
        out.error = static_cast<model::error_code>(pd.error_code);
        out.high_watermark = pd.high_watermark;
        out.values = broker::values(pd.records.data());
        return out;
    }

    // Produces through whichever broker leads, as a client retrying after NOT_LEADER_OR_FOLLOWER would.
    produced produce_to_leader(std::int32_t p, const std::string& value, const std::set<int>& among = {1, 2, 3}) {
        produced last;
        for (int attempt = 0; attempt < 20; ++attempt) {
            const int l = leader_of(p, among);
            if (l == 0) continue;
            last = produce(l, p, value, -1);
            if (last.error == model::error_code::none) return last;
            std::this_thread::sleep_for(20ms);
        }
        return last;
    }

    std::map<int, std::unique_ptr<broker>> brokers_;
};

TEST_F(replicated_partition_test, TheLeaderTakesProducesAndTheFollowersSendClientsAway) {
    const int l = leader_of(0);
    ASSERT_NE(l, 0);
    // acks=all: answered once committed, so the high watermark already covers the records.
    for (int i = 0; i < 5; ++i) {
        auto r = produce(l, 0, "all-" + std::to_string(i), -1);
        ASSERT_EQ(r.error, model::error_code::none) << "record " << i;
        EXPECT_GT(brokers_[l]->high_watermark(0), r.base_offset);
    }
    // acks=1: answered once the leader wrote them; they commit soon after.
    auto one = produce(l, 0, "one", 1);
    ASSERT_EQ(one.error, model::error_code::none);
    EXPECT_TRUE(eventually([&] { return brokers_[l]->high_watermark(0) > one.base_offset; }));

    for (int id = 1; id <= 3; ++id) {
        if (id == l) continue;
        EXPECT_EQ(produce(id, 0, "misdirected", -1).error, model::error_code::not_leader_or_follower) << "broker " << id;
        EXPECT_EQ(fetch(id, 0, 0).error, model::error_code::not_leader_or_follower) << "broker " << id;
        // Produce v10+ names the leader and where it listens (KIP-951).
        auto hinted = produce(id, 0, "misdirected", -1, 10);
        EXPECT_EQ(hinted.error, model::error_code::not_leader_or_follower);
        EXPECT_EQ(hinted.leader_hint, l) << "broker " << id;
        EXPECT_EQ(hinted.endpoints, std::vector<std::int32_t>{l}) << "broker " << id;
    }
    // Nothing the followers refused was written anywhere; every broker ends with the same records.
    const std::vector<std::string> expected{"all-0", "all-1", "all-2", "all-3", "all-4", "one"};
    auto got = fetch(l, 0, 0);
    ASSERT_EQ(got.error, model::error_code::none);
    EXPECT_EQ(got.values, expected);
    for (int id = 1; id <= 3; ++id) {
        EXPECT_TRUE(eventually([&] { return brokers_[id]->committed(0) == expected; })) << "broker " << id;
    }
}

TEST_F(replicated_partition_test, AConsumerSeesOnlyCommittedRecords) {
    const int l = leader_of(1);
    ASSERT_NE(l, 0);
    ASSERT_EQ(produce(l, 1, "first", -1).error, model::error_code::none);
    // Both followers go: the leader still takes an acks=1 write, but cannot commit it, so a consumer
    // does not see it.
    std::vector<int> followers;
    for (int id = 1; id <= 3; ++id) {
        if (id != l) followers.push_back(id);
    }
    for (int id : followers) brokers_[id]->stop();
    auto r = produce(l, 1, "uncommitted", 1);
    if (r.error == model::error_code::none) {
        EXPECT_GT(brokers_[l]->log_end(1), brokers_[l]->high_watermark(1));
        auto got = fetch(l, 1, 0);
        if (got.error == model::error_code::none) {
            EXPECT_EQ(got.values, std::vector<std::string>{"first"});
        }
    } else {
        // The leader may already have resigned for want of a majority.
        EXPECT_EQ(r.error, model::error_code::not_leader_or_follower);
    }
}

TEST_F(replicated_partition_test, AnAcknowledgedRecordSurvivesTheLossOfItsLeader) {
    std::vector<std::string> acknowledged;
    for (int i = 0; i < 10; ++i) {
        const auto v = "before-" + std::to_string(i);
        ASSERT_EQ(produce_to_leader(0, v).error, model::error_code::none) << v;
        acknowledged.push_back(v);
    }
    const int gone = leader_of(0);
    ASSERT_NE(gone, 0);
    brokers_[gone]->stop();
    std::set<int> rest{1, 2, 3};
    rest.erase(gone);
    for (int i = 0; i < 10; ++i) {
        const auto v = "after-" + std::to_string(i);
        ASSERT_EQ(produce_to_leader(0, v, rest).error, model::error_code::none) << v;
        acknowledged.push_back(v);
    }
    const int l = leader_of(0, rest);
    ASSERT_NE(l, 0);
    EXPECT_NE(l, gone);
    auto got = fetch(l, 0, 0);
    ASSERT_EQ(got.error, model::error_code::none);
    EXPECT_EQ(got.values, acknowledged);
    // The old leader comes back as a follower and catches up.
    brokers_[gone]->start();
    EXPECT_TRUE(eventually([&] { return brokers_[gone]->committed(0) == acknowledged; }));
}

}  // namespace
}  // namespace tributary::cluster
