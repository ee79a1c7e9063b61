// The consumer group protocol (KIP-848) over a real group manager and an in-memory file system that
// fails writes on demand: a heartbeat whose records cannot be written leaves the group as it was
// before (Kafka reverts to its last committed state), and offsets retention of consumer groups
// (offsets of topics no member subscribes to expire; then the empty group goes, also after a restart).
#include "groups/consumer_protocol.h"

#include <cerrno>

#include "group_fixture.h"
#include "groups/group_admin.h"

namespace tributary::groups {
namespace {

using model::error_code;
using request = protocol::consumer_group_heartbeat_request;
using response = protocol::consumer_group_heartbeat_response;
using described = protocol::consumer_group_describe_response::described_group;

request join(std::string member_id, std::vector<std::string> topics) {
    request r;
    r.member_id = std::move(member_id);
    r.member_epoch = join_group_member_epoch;
    r.rebalance_timeout_ms = 30'000;
    r.subscribed_topic_names = std::move(topics);
    r.topic_partitions.emplace();
    return r;
}

request leave(std::string member_id) {
    request r;
    r.member_id = std::move(member_id);
    r.member_epoch = leave_group_member_epoch;
    return r;
}

class consumer_protocol_test : public test::group_fixture {
protected:
    // Offsets retention 0: every committed offset is past it, so expiry depends on subscriptions and
    // membership only. The timer's own check waits offsets.retention.check.interval.ms (10 min).
    consumer_protocol_test()
        : group_fixture({{"offsets.topic.num.partitions", "4"}, {"tributary.test.offsets.retention.ms", "0"}}) {
        create_topic("orders", 4);
        create_topic("audit", 1);
        route = ready(group_id);
    }

    void create_topic(const std::string& name, std::int32_t partitions) {
        cluster::topic_spec spec;
        spec.name = name;
        spec.num_partitions = partitions;
        spec.replication_factor = 1;
        auto results = on_shard(0, [this, spec]() { return ctl->create_topics({spec}, false); });
        ASSERT_EQ(results.size(), 1u);
        ASSERT_TRUE(results[0].error.ok()) << results[0].error.message;
    }

    awaitable<response> send(request r) {
        auto beating = gms[route.shard]->consumer().heartbeat(r, 1, route.partition, "client", "127.0.0.1");
        co_return co_await std::move(beating);
    }
    response heartbeat(request r) {
        r.group_id = group_id;
        return on_shard(route.shard, [this, r]() { return send(r); });
    }

    described describe() {
        return on_shard(route.shard, [this]() -> awaitable<described> {
            co_return gms[route.shard]->consumer().describe(group_id, route.partition);
        });
    }

    std::vector<error_code> member_commit(const std::string& member_id, std::int32_t epoch,
                                          std::vector<model::topic_partition> tps) {
        offset_commit_args a;
        a.group_id = group_id;
        a.partition = route.partition;
        a.member_id = member_id;
        a.generation_or_member_epoch = epoch;
        a.api_version = 9;
        for (auto& tp : tps) a.entries.push_back({std::move(tp), 5, -1, ""});
        return on_shard(route.shard, [this, a]() { return gms[route.shard]->commit_offsets(a); });
    }

    std::vector<model::topic_partition> committed() {
        offset_fetch_args all;
        all.group_id = group_id;
        std::vector<model::topic_partition> out;
        for (const auto& o : fetch(route, all).offsets) out.push_back(o.tp);
        return out;
    }

    void expire() {
        on_shard(route.shard, [this]() { return gms[route.shard]->expire_offsets(); });
    }

    bool listed() {
        return on_shard(route.shard, [this]() -> awaitable<bool> {
            for (const auto& g : list_groups(*gms[route.shard], {}, {}).groups)
                if (g.group_id == group_id) co_return true;
            co_return false;
        });
    }

    std::string group_id = "kip848";
    group_route route;
};

TEST_F(consumer_protocol_test, AHeartbeatWhoseRecordsCannotBeWrittenLeavesTheGroupAsItWas) {
    auto a = heartbeat(join("a1", {"orders"}));
    ASSERT_EQ(a.error_code, 0);
    ASSERT_EQ(a.member_epoch, 1);

    fs.fail_nth_write(1, storage::make_errno(EIO));
    auto b = heartbeat(join("b1", {"orders"}));
    EXPECT_EQ(b.error_code, model::to_int(error_code::coordinator_not_available));
    // The join is undone: one member, the epoch and the assignment of before.
    auto d = describe();
    ASSERT_EQ(d.error_code, 0);
    EXPECT_EQ(d.group_epoch, 1);
    EXPECT_EQ(d.assignment_epoch, 1);
    ASSERT_EQ(d.members.size(), 1u);
    EXPECT_EQ(d.members[0].member_id, "a1");
    ASSERT_EQ(d.members[0].target_assignment.topic_partitions.size(), 1u);
    EXPECT_EQ(d.members[0].target_assignment.topic_partitions[0].partitions.size(), 4u);
    EXPECT_EQ(d.group_state, "Stable");

    // Once the log has repaired itself the join goes through, at the epoch the failed one would
    // have had, and what is in memory is what a restart reads back.
    response again;
    for (int i = 0; i < 500; ++i) {
        again = heartbeat(join("b1", {"orders"}));
        if (again.error_code == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(again.error_code, 0);
    EXPECT_EQ(again.member_epoch, 2);
    EXPECT_EQ(describe().group_epoch, 2);
    reboot();
    route = ready(group_id);
    auto after = describe();
    ASSERT_EQ(after.error_code, 0);
    EXPECT_EQ(after.group_epoch, 2);
    EXPECT_EQ(after.members.size(), 2u);
}

TEST_F(consumer_protocol_test, AFirstJoinThatCannotBeWrittenLeavesNoGroup) {
    fs.fail_nth_write(1, storage::make_errno(EIO));
    auto a = heartbeat(join("a1", {"orders"}));
    EXPECT_EQ(a.error_code, model::to_int(error_code::coordinator_not_available));
    EXPECT_EQ(describe().error_code, model::to_int(error_code::group_id_not_found));
    EXPECT_FALSE(listed());
}

TEST_F(consumer_protocol_test, OffsetsOfTopicsNoMemberConsumesExpireThenTheEmptyGroupGoes) {
    auto a = heartbeat(join("a1", {"orders"}));
    ASSERT_EQ(a.error_code, 0);
    ASSERT_EQ(member_commit("a1", a.member_epoch, {{"orders", 0}, {"audit", 0}}),
              (std::vector<error_code>{error_code::none, error_code::none}));

    // a1 consumes orders, not audit: only audit's offset expires, and the group stays.
    expire();
    EXPECT_EQ(committed(), (std::vector<model::topic_partition>{{"orders", 0}}));
    EXPECT_TRUE(listed());

    // a1 leaves: the empty group's last offset expires by its commit time, and the group goes.
    ASSERT_EQ(heartbeat(leave("a1")).error_code, 0);
    EXPECT_TRUE(listed());
    expire();
    EXPECT_TRUE(committed().empty());
    EXPECT_FALSE(listed());
    EXPECT_EQ(describe().error_code, model::to_int(error_code::group_id_not_found));

    // The tombstones are in __consumer_offsets: it stays gone after a restart.
    reboot();
    route = ready(group_id);
    EXPECT_TRUE(committed().empty());
    EXPECT_FALSE(listed());
    EXPECT_EQ(describe().error_code, model::to_int(error_code::group_id_not_found));
}

TEST_F(consumer_protocol_test, AnEmptyGroupWithoutOffsetsGoesAtTheNextCheck) {
    ASSERT_EQ(heartbeat(join("a1", {"orders"})).error_code, 0);
    expire();
    EXPECT_TRUE(listed());  // a member: it stays
    ASSERT_EQ(heartbeat(leave("a1")).error_code, 0);
    expire();
    EXPECT_FALSE(listed());
    reboot();
    route = ready(group_id);
    EXPECT_FALSE(listed());
}

}  // namespace
}  // namespace tributary::groups
