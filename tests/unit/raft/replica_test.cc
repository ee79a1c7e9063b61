// raft::replica: three replicas of one partition, each over its own storage::log (an in-memory file
// system, a real disk thread), exchanging messages in process. The core's rules are tested in
// core_test.cc and under faults in simulation_test.cc; this checks the driver: outputs applied to real
// logs in order, byte-identical batches on every replica, a leader replaced, a restarted replica
// catching up from its own log.
#include "raft/replica.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "net/when_all.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_reader.h"
#include "storage/disk_executor.h"
#include "storage/testing/memory_file_system.h"

namespace tributary::raft {
namespace {

using namespace std::chrono_literals;

class loopback final : public transport {
public:
    explicit loopback(asio::io_context& io) : io_(io) {}
    void send(const wire::group_key&, envelope e, protocol::records records) override {
        if (auto* f = std::get_if<fetch_response>(&e.message); f && !records.is_null()) {
            // As the broker's decoder does: the batches point into the records, which stay alive.
            f->batches = wire::parse_batches(records, records.keepalive());
        }
        asio::post(io_, [this, e = std::move(e)] {
            if (down.contains(e.to.value()) || down.contains(e.from.value())) return;
            if (cut.contains(e.to.value()) || cut.contains(e.from.value())) return;
            if (auto it = replicas.find(e.to.value()); it != replicas.end()) it->second->receive(e);
        });
    }
    std::map<int, replica*> replicas;
    std::set<int> down;
    std::set<int> cut;  // running, but every message to or from it is lost

private:
    asio::io_context& io_;
};

bytes::byte_vector make_batch(int i) {
    protocol::record_batch_builder b;
    const std::string value = "value-" + std::to_string(i);
    b.add(1'700'000'000'000 + i, std::nullopt, bytes::as_bytes(value));
    b.add(1'700'000'000'000 + i, std::nullopt, bytes::as_bytes(value));
    return std::move(b.build()).value();
}

class replica_test : public ::testing::Test {
protected:
    awaitable<void> sleep(std::chrono::milliseconds d) {
        asio::steady_timer t(io);
        t.expires_after(d);
        co_await t.async_wait(asio::use_awaitable);
    }

    template <typename Pred>
    awaitable<bool> eventually(Pred pred, std::chrono::milliseconds deadline = 10s) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!pred()) {
            if (std::chrono::steady_clock::now() > until) co_return false;
            co_await sleep(5ms);
        }
        co_return true;
    }

    static std::filesystem::path dir_of(int id) { return "/data/r" + std::to_string(id) + "/orders-0"; }

    awaitable<std::unique_ptr<storage::log>> open_log(int id) {
        storage::log_env env(disk, fs);
        auto r = co_await storage::log::open(env, dir_of(id), storage::log_config{}, {});
        EXPECT_TRUE(r.ok());
        co_return std::move(r).value();
    }

    awaitable<void> start(int id, std::unique_ptr<storage::log> log) {
        config cfg;
        cfg.self = node_id(id);
        cfg.voters = {node_id(1), node_id(2), node_id(3)};
        cfg.seed = static_cast<std::uint64_t>(id) * 7919;
        if (!log) log = co_await open_log(id);
        // The epoch and vote come back from the quorum-state file in the partition directory.
        stores[id] = std::make_unique<quorum_state_file>(disk, fs, dir_of(id));
        auto saved = co_await stores[id]->load();
        EXPECT_TRUE(saved.ok());
        auto voters = co_await stores[id]->load_voters();
        EXPECT_TRUE(voters.has_value());
        replicas[id] = std::make_unique<replica>(io.get_executor(), group, cfg, saved.ok() ? saved->state : persistent_state{},
                                                 voters.value_or(std::vector<voter_set>{}), std::move(log), *stores[id], net,
                                                 replica_options{.tick = 5ms});
        net.replicas[id] = replicas[id].get();
        net.down.erase(id);
        replicas[id]->start();
    }

    awaitable<std::unique_ptr<storage::log>> stop(int id) {
        net.down.insert(id);
        net.replicas.erase(id);
        co_await replicas[id]->stop();
        auto log = replicas[id]->release_log();
        replicas.erase(id);
        co_return log;
    }

    awaitable<void> stop_all() {
        while (!replicas.empty()) {
            auto log = co_await stop(replicas.begin()->first);
            co_await log->close();
        }
    }

    int leader() const {
        for (const auto& [id, r] : replicas) {
            if (r->raft().role() == role::leader) return id;
        }
        return 0;
    }

    // Appends `batch` through whoever leads, as a client does: a replicate() that loses its epoch is
    // undecided, so it is sent again to the next leader (the log may then hold it twice; the values
    // checked below are a set).
    awaitable<void> replicate(bytes::byte_vector batch) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            if (co_await eventually([&] { return leader() != 0; }) &&
                (co_await replicas[leader()]->replicate(batch)).has_value()) {
                co_return;
            }
        }
        ADD_FAILURE() << "no leader took the batch";
    }

    // The values of the data records below the high watermark of replica `id`.
    awaitable<std::set<std::string>> committed_values(int id) {
        auto& log = replicas[id]->log();
        auto r = co_await log.read(log.log_start_offset(), 64 << 20, log.high_watermark(), true);
        std::set<std::string> out;
        if (!r.ok()) co_return out;
        protocol::batch_iterator it(r->records);
        protocol::record_reader reader;
        while (it.next()) {
            if (it.header().is_control() || reader.open(it.batch()) != protocol::batch_error::none) continue;
            while (reader.next()) {
                if (reader.record().value) out.emplace(reinterpret_cast<const char*>(reader.record().value->data()), reader.record().value->size());
            }
        }
        co_return out;
    }

    std::set<std::string> values(int from, int to) {
        std::set<std::string> out;
        for (int i = from; i < to; ++i) out.insert("value-" + std::to_string(i));
        return out;
    }

    awaitable<bytes::byte_vector> contents(int id) {
        auto& log = replicas[id]->log();
        auto r = co_await log.read(log.log_start_offset(), 64 << 20, log.log_end_offset(), true);
        EXPECT_TRUE(r.ok());
        co_return bytes::byte_vector(r->records.begin(), r->records.end());
    }

    // Runs the scenario; a scenario that has not finished after a minute fails instead of hanging.
    void run(awaitable<void> a) {
        std::exception_ptr error;
        bool done = false;
        asio::co_spawn(io, std::move(a), [&](std::exception_ptr e) {
            error = e;
            done = true;
            io.stop();
        });
        asio::steady_timer watchdog(io);
        watchdog.expires_after(60s);
        watchdog.async_wait([&](boost::system::error_code ec) {
            if (!ec) io.stop();
        });
        io.run();
        if (!done) FAIL() << "the scenario did not finish within 60 s";
        if (error) std::rethrow_exception(error);
    }

    asio::io_context io;
    storage::testing::memory_file_system fs;
    storage::thread_disk_executor disk{"raft-test-disk"};
    wire::group_key group{"orders", {}, 0};
    loopback net{io};
    std::map<int, std::unique_ptr<quorum_state_file>> stores;
    std::map<int, std::unique_ptr<replica>> replicas;
};

TEST_F(replica_test, ThreeReplicasElectALeaderAndHoldTheSameBatches) {
    run([this]() -> awaitable<void> {
        for (int id = 1; id <= 3; ++id) co_await start(id, nullptr);
        for (int i = 0; i < 20; ++i) co_await replicate(make_batch(i));
        const int l = leader();
        if (l == 0) {
            ADD_FAILURE() << "no leader";
            co_return co_await stop_all();
        }
        const auto end = replicas[l]->log().log_end_offset();
        EXPECT_GE(end.value(), 1 + 20 * 2) << "a leader_change batch, then 20 batches of 2 records";
        EXPECT_TRUE(co_await eventually([&] {
            for (auto& [id, r] : replicas) {
                if (r->log().high_watermark() < end || r->log().log_end_offset() != replicas[l]->log().log_end_offset()) return false;
            }
            return true;
        }));
        EXPECT_EQ(co_await committed_values(l), values(0, 20));
        const auto expected = co_await contents(l);
        for (int id = 1; id <= 3; ++id) EXPECT_EQ(co_await contents(id), expected) << "replica " << id;
        co_await stop_all();
    }());
}

// An idempotent producer's batch of two records with `sequence` as its first sequence number.
bytes::byte_vector producer_batch(int i, std::int32_t sequence) {
    protocol::record_batch_builder b;
    b.producer(model::producer_id(4000), model::producer_epoch(0), sequence);
    const std::string value = "value-" + std::to_string(i);
    b.add(1'700'000'000'000 + i, std::nullopt, bytes::as_bytes(value));
    b.add(1'700'000'000'000 + i, std::nullopt, bytes::as_bytes(value));
    return std::move(b.build()).value();
}

TEST_F(replica_test, ALeaderWritesClientBatchesThroughItsLogWithTheProducerChecks) {
    run([this]() -> awaitable<void> {
        for (int id = 1; id <= 3; ++id) co_await start(id, nullptr);
        if (!co_await eventually([&] { return leader() != 0; })) {
            ADD_FAILURE() << "no leader";
            co_return co_await stop_all();
        }
        const int l = leader();
        auto& r = *replicas[l];
        const auto epoch = r.raft().epoch();
        // Ten batches at once, as a pipelining producer sends them: the log numbers them in order and
        // each commits.
        std::vector<bytes::byte_vector> batches;
        for (int i = 0; i < 10; ++i) batches.push_back(producer_batch(i, 2 * i));
        std::vector<awaitable<std::optional<model::offset>>> appends;
        for (auto& b : batches) {
            appends.push_back([](replica& r, bytes::byte_vector& b, model::leader_epoch epoch) -> awaitable<std::optional<model::offset>> {
                auto written = co_await r.append(bytes::mutable_bytes_view(b));
                if (!written || !written->ok()) co_return std::nullopt;
                if (!co_await r.wait_committed((*written)->last_offset, epoch)) co_return std::nullopt;
                co_return (*written)->base_offset;
            }(r, b, epoch));
        }
        auto bases = co_await net::when_all(std::move(appends));
        for (std::size_t i = 0; i < bases.size(); ++i) {
            EXPECT_TRUE(bases[i].has_value()) << "batch " << i;
            if (i > 0 && bases[i] && bases[i - 1]) {
                EXPECT_EQ(bases[i]->value(), bases[i - 1]->value() + 2);
            }
        }
        // A retry of the last batch is the same batch: its original offsets, nothing written.
        auto retry = producer_batch(9, 18);
        const auto end = r.log().log_end_offset();
        auto dup = co_await r.append(bytes::mutable_bytes_view(retry));
        EXPECT_TRUE(dup && dup->ok() && (*dup)->duplicate);
        if (dup && dup->ok() && bases[9]) {
            EXPECT_EQ((*dup)->base_offset, *bases[9]);
        }
        // A gap in the sequence is refused, and nothing is written.
        auto gap = producer_batch(11, 30);
        auto refused = co_await r.append(bytes::mutable_bytes_view(gap));
        EXPECT_TRUE(refused && !refused->ok());
        EXPECT_EQ(r.log().log_end_offset(), end);
        // The followers hold the same bytes, and know the producer's last sequence from what they copied,
        // so either could take over and still recognise a retry.
        EXPECT_TRUE(co_await eventually([&] {
            for (auto& [id, x] : replicas) {
                if (x->log().log_end_offset() != end || x->log().high_watermark() != end) return false;
            }
            return true;
        }));
        const auto expected = co_await contents(l);
        for (int id = 1; id <= 3; ++id) {
            EXPECT_EQ(co_await contents(id), expected) << "replica " << id;
            const auto* p = replicas[id]->log().producers().find(model::producer_id(4000));
            EXPECT_TRUE(p != nullptr && p->last_sequence() == 19) << "replica " << id;
        }
        // A follower takes no client writes.
        const int f = l == 1 ? 2 : 1;
        auto other = producer_batch(20, 20);
        EXPECT_FALSE((co_await replicas[f]->append(bytes::mutable_bytes_view(other))).has_value());
        co_await stop_all();
    }());
}

TEST_F(replica_test, ALeaderThatStopsIsReplacedAndCatchesUpWhenItReturns) {
    run([this]() -> awaitable<void> {
        for (int id = 1; id <= 3; ++id) co_await start(id, nullptr);
        for (int i = 0; i < 5; ++i) co_await replicate(make_batch(i));
        const int first = leader();
        if (first == 0) {
            ADD_FAILURE() << "no leader";
            co_return co_await stop_all();
        }
        const auto led = replicas[first]->raft().epoch();
        auto old_log = co_await stop(first);
        // It voted for itself in the epoch it led, and the file says so.
        auto saved = read_quorum_state(fs, dir_of(first));
        EXPECT_TRUE(saved.ok());
        if (saved.ok()) {
            EXPECT_EQ(saved->state.epoch, led);
            EXPECT_EQ(saved->state.voted_for, node_id(first));
        }

        for (int i = 5; i < 10; ++i) co_await replicate(make_batch(i));
        EXPECT_NE(leader(), first);

        // The old leader comes back with its own log and the epoch and vote in its quorum-state file, and
        // follows whoever leads.
        co_await start(first, std::move(old_log));
        EXPECT_TRUE(co_await eventually([&] {
            const int now = leader();
            return now != 0 && now != first && replicas[first]->raft().leader() == node_id(now) &&
                   replicas[first]->log().high_watermark() >= replicas[now]->log().log_end_offset() &&
                   replicas[first]->log().log_end_offset() == replicas[now]->log().log_end_offset();
        })) << "replica " << first << " did not catch up";
        EXPECT_EQ(co_await committed_values(first), values(0, 10));
        EXPECT_EQ(co_await contents(first), co_await contents(leader()));
        co_await stop_all();
    }());
}

TEST_F(replica_test, ALeaderCutOffLosesItsUncommittedTailToTheNextLeader) {
    run([this]() -> awaitable<void> {
        for (int id = 1; id <= 3; ++id) co_await start(id, nullptr);
        for (int i = 0; i < 3; ++i) co_await replicate(make_batch(i));
        const int old_leader = leader();
        if (old_leader == 0) {
            ADD_FAILURE() << "no leader";
            co_return co_await stop_all();
        }
        // Cut off, it still appends (the batch never commits), then resigns for want of a quorum.
        net.cut.insert(old_leader);
        auto never = co_await replicas[old_leader]->replicate(make_batch(100));
        EXPECT_FALSE(never.has_value());
        EXPECT_TRUE(co_await eventually([&] {
            const int now = leader();
            return now != 0 && now != old_leader;
        }));
        for (int i = 3; i < 6; ++i) co_await replicate(make_batch(i));
        net.cut.clear();
        // It follows the new leader, truncating what it alone wrote.
        EXPECT_TRUE(co_await eventually([&] {
            const int now = leader();
            return now != 0 && now != old_leader && replicas[old_leader]->raft().leader() == node_id(now) &&
                   replicas[old_leader]->log().log_end_offset() == replicas[now]->log().log_end_offset() &&
                   replicas[old_leader]->log().high_watermark() == replicas[now]->log().log_end_offset();
        }));
        EXPECT_EQ(co_await committed_values(old_leader), values(0, 6)) << "value-100 was never committed";
        EXPECT_EQ(co_await contents(old_leader), co_await contents(leader()));
        co_await stop_all();
    }());
}

TEST_F(replica_test, AFollowerBehindTheLeadersLogStartStartsOverThere) {
    run([this]() -> awaitable<void> {
        for (int id = 1; id <= 3; ++id) co_await start(id, nullptr);
        for (int i = 0; i < 3; ++i) co_await replicate(make_batch(i));
        const int l = leader();
        if (l == 0) {
            ADD_FAILURE() << "no leader";
            co_return co_await stop_all();
        }
        const int behind = l == 1 ? 2 : 1;
        auto behind_log = co_await stop(behind);
        for (int i = 3; i < 8; ++i) co_await replicate(make_batch(i));
        // Every replica that is up drops what is below the high watermark.
        const int now = leader();
        const auto hw = replicas[now]->log().high_watermark();
        for (auto& [id, r] : replicas) EXPECT_TRUE(co_await r->delete_records_before(hw));
        co_await start(behind, std::move(behind_log));
        EXPECT_TRUE(co_await eventually([&] {
            const int current = leader();
            return current != 0 && replicas[behind]->log().log_start_offset() == hw &&
                   replicas[behind]->log().log_end_offset() == replicas[current]->log().log_end_offset();
        }));
        EXPECT_EQ(co_await contents(behind), co_await contents(leader()));
        co_await stop_all();
    }());
}

TEST_F(replica_test, AVoterChangeIsKnownAgainAfterARestart) {
    run([this]() -> awaitable<void> {
        for (int id = 1; id <= 3; ++id) co_await start(id, nullptr);
        co_await replicate(make_batch(0));
        const int l = leader();
        if (l == 0) {
            ADD_FAILURE() << "no leader";
            co_return co_await stop_all();
        }
        const int removed = l == 3 ? 2 : 3;
        const int kept = 6 - l - removed;
        std::vector<node_id> two{node_id(std::min(l, kept)), node_id(std::max(l, kept))};
        EXPECT_TRUE(replicas[l]->change_voters(two));
        EXPECT_TRUE(co_await eventually([&] {
            return replicas[kept]->raft().voters() == two &&
                   replicas[kept]->log().high_watermark() == replicas[l]->log().log_end_offset();
        }));
        // Closed and opened again from its directory: the log, quorum-state and voters-checkpoint.
        auto log = co_await stop(kept);
        co_await log->close();
        co_await start(kept, nullptr);
        EXPECT_EQ(replicas[kept]->raft().voters(), two) << "read back from voters-checkpoint, before any fetch";
        co_await stop_all();
    }());
}

}  // namespace
}  // namespace tributary::raft
