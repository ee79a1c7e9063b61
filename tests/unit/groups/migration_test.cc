// KIP-848 online migration over real group managers and their __consumer_offsets log: a classic group
// with a member is upgraded by a consumer-protocol join, keeps its committed offsets, comes back from a
// restart as a consumer group with a classic member, and is downgraded (and rebalanced) when the
// consumer-protocol member leaves; the downgrade survives a restart too. An upgrade that cannot be
// written is undone. The policy can forbid both.
#include <cerrno>

#include "bytes/writer.h"
#include "cluster/topic_commands.h"
#include "group_fixture.h"
#include "groups/consumer_protocol.h"
#include "groups/embedded_protocol.h"
#include "protocol/messages/consumer_protocol_subscription.h"

namespace tributary::groups {
namespace {

using model::error_code;
using hb_request = protocol::consumer_group_heartbeat_request;
using hb_response = protocol::consumer_group_heartbeat_response;

class migration_test : public test::group_fixture {
protected:
    explicit migration_test(std::string policy = "bidirectional")
        : group_fixture({{"offsets.topic.num.partitions", "4"},
                         {"group.initial.rebalance.delay.ms", "0"},
                         {"group.min.session.timeout.ms", "10"},
                         {"group.consumer.migration.policy", std::move(policy)}}) {
        create_topic("t", 4);
        route = ready(group_id);
    }

    void create_topic(const std::string& name, std::int32_t partitions) {
        cluster::topic_spec spec;
        spec.name = name;
        spec.num_partitions = partitions;
        auto created = on_shard(0, [this, spec]() { return ctl->create_topics({spec}, false); });
        ASSERT_EQ(created.size(), 1u);
        for (int i = 0; i < 500; ++i) {
            bool everywhere = true;
            for (unsigned s = 0; s < shards.size(); ++s) {
                everywhere &= on_shard(s, [this, s, name]() -> awaitable<bool> {
                    co_return cache->topics(s)->find(name) != nullptr;
                });
            }
            if (everywhere) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        FAIL() << "topic " << name << " never reached every shard";
    }

    static bytes::byte_vector subscription() {
        protocol::consumer_protocol_subscription s;
        s.topics = {"t"};
        bytes::writer w;
        w.write_int16(3);
        s.encode(w, 3);
        return w.to_vector();
    }

    join_result classic_join(std::string member_id = {}) {
        join_args a;
        a.group_id = group_id;
        a.partition = route.partition;
        a.api_version = 3;
        a.session_timeout_ms = 30'000;
        a.rebalance_timeout_ms = 30'000;
        a.member_id = std::move(member_id);
        a.protocol_type = "consumer";
        a.protocols.emplace_back("range", subscription());
        a.client_id = "classic-client";
        a.client_host = "/127.0.0.1";
        return asio::co_spawn(shards.context(route.shard), [this, a]() { return gms[route.shard]->classic().join(a); },
                              asio::use_future)
            .get();
    }

    sync_result classic_sync(const join_result& j, bool leader) {
        sync_args a;
        a.group_id = group_id;
        a.partition = route.partition;
        a.generation = j.generation;
        a.member_id = j.member_id;
        if (leader) a.assignments.emplace_back(j.member_id, encode_embedded_assignment({{"t", {0, 1, 2, 3}}}, 3));
        return asio::co_spawn(shards.context(route.shard), [this, a]() { return gms[route.shard]->classic().sync(a); },
                              asio::use_future)
            .get();
    }

    error_code classic_heartbeat(const std::string& member, std::int32_t generation) {
        heartbeat_args a{group_id, route.partition, generation, member, std::nullopt};
        return on_shard(route.shard, [this, a]() -> awaitable<error_code> {
            co_return gms[route.shard]->classic().heartbeat(a);
        });
    }

    hb_response consumer_heartbeat(const std::string& member, std::int32_t epoch) {
        hb_request r;
        r.group_id = group_id;
        r.member_id = member;
        r.member_epoch = epoch;
        if (epoch == 0) {
            r.rebalance_timeout_ms = 30'000;
            r.subscribed_topic_names = std::vector<std::string>{"t"};
            r.topic_partitions.emplace();
        }
        return on_shard(route.shard, [this, r]() {
            return gms[route.shard]->consumer().heartbeat(r, 1, route.partition, "consumer-client", "127.0.0.1");
        });
    }

    struct snapshot {
        bool exists = false;
        group_type type = group_type::classic;
        classic_state state = classic_state::dead;
        std::int32_t generation = -1;
        std::size_t members = 0;
        std::size_t classic_members = 0;
        std::size_t offsets = 0;
    };
    snapshot state() {
        return on_shard(route.shard, [this]() -> awaitable<snapshot> {
            snapshot s;
            if (group* g = gms[route.shard]->find_group(group_id)) {
                s.exists = true;
                s.type = g->type();
                s.offsets = g->offsets.size();
                if (g->type() == group_type::classic) {
                    s.state = g->classic.state;
                    s.generation = g->classic.generation;
                    s.members = g->classic.members.size();
                    s.classic_members = s.members;
                } else {
                    auto d = gms[route.shard]->consumer().describe(group_id, route.partition);
                    s.generation = d.group_epoch;
                    s.members = d.members.size();
                    for (const auto& m : d.members) s.classic_members += m.member_type == 0;
                }
            }
            co_return s;
        });
    }

    // One classic member owning every partition, Stable at generation 1, with an offset committed.
    join_result stable_classic_group() {
        auto j = classic_join();
        EXPECT_EQ(j.error, error_code::none);
        EXPECT_EQ(classic_sync(j, true).error, error_code::none);
        auto c = simple_commit(group_id, "t", 0, 42);
        c.member_id = j.member_id;
        c.generation_or_member_epoch = j.generation;
        EXPECT_EQ(commit(route, c), std::vector<error_code>{error_code::none});
        return j;
    }

    std::string group_id = "migrating";
    group_route route;
};

TEST_F(migration_test, AConsumerJoinUpgradesTheClassicGroupAndTheLastConsumerLeavingDowngradesIt) {
    auto j = stable_classic_group();
    ASSERT_EQ(j.generation, 1);

    auto joined = consumer_heartbeat("c", 0);
    ASSERT_EQ(joined.error_code, 0) << joined.error_message.value_or("");
    EXPECT_EQ(joined.member_epoch, 2);
    auto s = state();
    EXPECT_EQ(s.type, group_type::consumer);
    EXPECT_EQ(s.generation, 2);
    EXPECT_EQ(s.members, 2u);
    EXPECT_EQ(s.classic_members, 1u);
    EXPECT_EQ(s.offsets, 1u);
    // The classic member is told to rejoin; it keeps committing with its generation meanwhile.
    EXPECT_EQ(classic_heartbeat(j.member_id, 1), error_code::rebalance_in_progress);
    auto c = simple_commit(group_id, "t", 1, 7);
    c.member_id = j.member_id;
    c.generation_or_member_epoch = 1;
    EXPECT_EQ(commit(route, c), std::vector<error_code>{error_code::none});

    // The upgrade (tombstone + consumer records) is what the log replays.
    reboot();
    route = ready(group_id);
    s = state();
    EXPECT_EQ(s.type, group_type::consumer);
    EXPECT_EQ(s.members, 2u);
    EXPECT_EQ(s.classic_members, 1u);
    EXPECT_EQ(s.offsets, 2u);

    // The classic member rejoins through JoinGroup to the consumer group and syncs its share.
    auto rejoined = classic_join(j.member_id);
    ASSERT_EQ(rejoined.error, error_code::none);
    EXPECT_EQ(rejoined.protocol_name, "range");
    EXPECT_TRUE(rejoined.leader.empty());
    auto synced = classic_sync(rejoined, false);
    ASSERT_EQ(synced.error, error_code::none);
    auto mine = decode_embedded_assignment(synced.assignment);
    ASSERT_TRUE(mine);
    EXPECT_EQ((*mine)["t"].size(), 2u);

    // The consumer-protocol member leaves: only a classic member remains, so the group is classic again
    // and rebalances at the consumer group's epoch.
    auto left = consumer_heartbeat("c", joined.member_epoch);
    left = consumer_heartbeat("c", -1);
    ASSERT_EQ(left.error_code, 0) << left.error_message.value_or("");
    s = state();
    EXPECT_EQ(s.type, group_type::classic);
    EXPECT_EQ(s.state, classic_state::preparing_rebalance);
    EXPECT_EQ(s.members, 1u);
    EXPECT_EQ(s.generation, 2);
    EXPECT_EQ(s.offsets, 2u);
    EXPECT_EQ(classic_heartbeat(j.member_id, 2), error_code::rebalance_in_progress);

    reboot();
    route = ready(group_id);
    s = state();
    EXPECT_EQ(s.type, group_type::classic);
    EXPECT_EQ(s.members, 1u);
    EXPECT_EQ(s.generation, 2);
    EXPECT_EQ(s.offsets, 2u);
    // A classic member that rejoins leads the classic group again.
    auto again = classic_join(j.member_id);
    ASSERT_EQ(again.error, error_code::none);
    EXPECT_EQ(again.generation, 3);
    EXPECT_EQ(again.leader, j.member_id);
}

TEST_F(migration_test, AnUpgradeThatCannotBeWrittenLeavesTheClassicGroup) {
    auto j = stable_classic_group();
    fs.fail_nth_write(1, storage::make_errno(EIO));
    auto joined = consumer_heartbeat("c", 0);
    EXPECT_EQ(joined.error_code, model::to_int(error_code::coordinator_not_available));
    auto s = state();
    EXPECT_EQ(s.type, group_type::classic);
    EXPECT_EQ(s.members, 1u);
    EXPECT_EQ(s.generation, 1);
    EXPECT_EQ(classic_heartbeat(j.member_id, 1), error_code::none);
    // Once the log has repaired itself the upgrade goes through.
    hb_response again;
    for (int i = 0; i < 500; ++i) {
        again = consumer_heartbeat("c", 0);
        if (again.error_code == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(again.error_code, 0);
    EXPECT_EQ(state().type, group_type::consumer);
}

class migration_disabled_test : public migration_test {
protected:
    migration_disabled_test() : migration_test("disabled") {}
};

TEST_F(migration_disabled_test, TheGroupStaysClassicAndTheConsumerIsRefused) {
    stable_classic_group();
    auto joined = consumer_heartbeat("c", 0);
    EXPECT_EQ(joined.error_code, model::to_int(error_code::group_id_not_found));
    EXPECT_EQ(state().type, group_type::classic);
    EXPECT_EQ(state().members, 1u);
}

}  // namespace
}  // namespace tributary::groups
