#include "groups/classic_protocol.h"

#include "group_fixture.h"
#include "bytes/writer.h"
#include "groups/group_admin.h"

namespace tributary::groups {
namespace {

using model::error_code;

// The classic state machine over a real group manager: short timeouts so the ~100 ms tick drives the
// join phase and session expiry quickly.
class classic_protocol_test : public test::group_fixture {
protected:
    classic_protocol_test()
        : group_fixture({{"offsets.topic.num.partitions", "4"},
                         {"group.initial.rebalance.delay.ms", "0"},
                         {"group.min.session.timeout.ms", "10"}}) {
        route = ready(group_id);
    }

    static bytes::byte_vector bytes_of(std::string_view s) {
        return bytes::byte_vector(reinterpret_cast<const bytes::byte*>(s.data()),
                                  reinterpret_cast<const bytes::byte*>(s.data()) + s.size());
    }

    join_args join_request(std::string member_id = {}, std::int16_t version = 3, std::string protocol = "range",
                           std::int32_t session_ms = 10'000) {
        join_args a;
        a.group_id = group_id;
        a.partition = route.partition;
        a.api_version = version;
        a.session_timeout_ms = session_ms;
        a.rebalance_timeout_ms = 2'000;
        a.member_id = std::move(member_id);
        a.protocol_type = "consumer";
        a.protocols.emplace_back(protocol, bytes_of("meta-" + protocol));
        a.client_id = "client";
        a.client_host = "/127.0.0.1";
        return a;
    }

    std::future<join_result> join_async(join_args a) {
        return asio::co_spawn(shards.context(route.shard),
                              [this, a]() { return gms[route.shard]->classic().join(a); }, asio::use_future);
    }
    join_result join(join_args a) { return join_async(std::move(a)).get(); }

    std::future<sync_result> sync_async(const join_result& j, std::vector<std::pair<std::string, std::string>> assignment = {}) {
        sync_args a;
        a.group_id = group_id;
        a.partition = route.partition;
        a.generation = j.generation;
        a.member_id = j.member_id;
        for (auto& [m, v] : assignment) a.assignments.emplace_back(m, bytes_of(v));
        return asio::co_spawn(shards.context(route.shard),
                              [this, a]() { return gms[route.shard]->classic().sync(a); }, asio::use_future);
    }

    error_code heartbeat(const std::string& member, std::int32_t generation,
                         std::optional<std::string> instance = std::nullopt) {
        heartbeat_args a{group_id, route.partition, generation, member, std::move(instance)};
        return on_shard(route.shard, [this, a]() -> awaitable<error_code> {
            co_return gms[route.shard]->classic().heartbeat(a);
        });
    }

    struct snapshot {
        bool exists = false;
        classic_state state = classic_state::dead;
        std::int32_t generation = -1;
        std::size_t members = 0;
        std::optional<std::string> protocol;
        std::map<std::string, std::string> assignments;
    };
    snapshot state() {
        return on_shard(route.shard, [this]() -> awaitable<snapshot> {
            snapshot s;
            if (group* g = gms[route.shard]->find_group(group_id)) {
                s.exists = true;
                s.state = g->classic.state;
                s.generation = g->classic.generation;
                s.members = g->classic.members.size();
                s.protocol = g->classic.protocol_name;
                for (const auto& [id, m] : g->classic.members)
                    s.assignments[id] = std::string(bytes::as_chars(m.assignment));
            }
            co_return s;
        });
    }

    // Waits (up to 10 s) for `pred` on the group's state.
    template <typename P>
    snapshot wait_for(P pred) {
        for (int i = 0; i < 1000; ++i) {
            auto s = state();
            if (pred(s)) return s;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ADD_FAILURE() << "group state never matched";
        return state();
    }

    // One member joined and synced: the group is Stable in generation 1.
    join_result stable_single_member() {
        auto j = join(join_request());
        EXPECT_EQ(j.error, error_code::none);
        auto s = sync_async(j, {{j.member_id, "a1"}}).get();
        EXPECT_EQ(s.error, error_code::none);
        return j;
    }

    std::string group_id = "classic";
    group_route route;
};

TEST_F(classic_protocol_test, ANewV4MemberIsAskedToRejoinWithItsIdThenLeadsAndSyncs) {
    auto first = join(join_request({}, 4));
    EXPECT_EQ(first.error, error_code::member_id_required);
    ASSERT_TRUE(first.member_id.starts_with("client-")) << first.member_id;
    EXPECT_EQ(first.member_id.size(), std::string("client-").size() + 36);  // Java's UUID text

    auto j = join(join_request(first.member_id, 4));
    ASSERT_EQ(j.error, error_code::none);
    EXPECT_EQ(j.generation, 1);
    EXPECT_EQ(j.leader, first.member_id);
    EXPECT_EQ(j.protocol_name, "range");
    ASSERT_EQ(j.members.size(), 1u);
    EXPECT_EQ(std::string(bytes::as_chars(j.members[0].metadata)), "meta-range");
    EXPECT_EQ(state().state, classic_state::completing_rebalance);

    auto s = sync_async(j, {{j.member_id, "assigned"}}).get();
    ASSERT_EQ(s.error, error_code::none);
    EXPECT_EQ(std::string(bytes::as_chars(s.assignment)), "assigned");
    EXPECT_EQ(s.protocol_name, "range");
    EXPECT_EQ(state().state, classic_state::stable);
    EXPECT_EQ(heartbeat(j.member_id, 1), error_code::none);
}

TEST_F(classic_protocol_test, FollowersWaitForTheLeadersAssignment) {
    auto a = join_async(join_request());
    auto b = join_async(join_request());
    auto ja = a.get();
    auto jb = b.get();
    ASSERT_EQ(ja.error, error_code::none);
    ASSERT_EQ(jb.error, error_code::none);
    EXPECT_EQ(ja.generation, jb.generation);
    EXPECT_EQ(ja.leader, jb.leader);
    const auto& leader = ja.member_id == ja.leader ? ja : jb;
    const auto& follower = ja.member_id == ja.leader ? jb : ja;
    EXPECT_EQ(leader.members.size(), 2u);
    EXPECT_TRUE(follower.members.empty());

    auto follower_sync = sync_async(follower);
    EXPECT_EQ(follower_sync.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    auto leader_sync = sync_async(leader, {{leader.member_id, "L"}, {follower.member_id, "F"}}).get();
    EXPECT_EQ(std::string(bytes::as_chars(leader_sync.assignment)), "L");
    EXPECT_EQ(std::string(bytes::as_chars(follower_sync.get().assignment)), "F");
    auto s = state();
    EXPECT_EQ(s.state, classic_state::stable);
    EXPECT_EQ(s.assignments[follower.member_id], "F");
}

TEST_F(classic_protocol_test, WrongGenerationsAndUnknownMembersAreFenced) {
    auto j = stable_single_member();
    EXPECT_EQ(heartbeat(j.member_id, j.generation + 1), error_code::illegal_generation);
    EXPECT_EQ(heartbeat("nobody", j.generation), error_code::unknown_member_id);
    EXPECT_EQ(sync_async(join_result{.generation = j.generation, .member_id = "nobody"}).get().error,
              error_code::unknown_member_id);
    // Offset commits: the member at its generation may commit; a stale generation may not.
    offset_commit_args c;
    c.group_id = group_id;
    c.partition = route.partition;
    c.api_version = 8;
    c.member_id = j.member_id;
    c.generation_or_member_epoch = j.generation;
    c.entries.push_back({model::topic_partition{"t", 0}, 5, -1, ""});
    EXPECT_EQ(commit(route, c), std::vector<error_code>{error_code::none});
    c.generation_or_member_epoch = j.generation - 1;
    EXPECT_EQ(commit(route, c), std::vector<error_code>{error_code::illegal_generation});
    c.generation_or_member_epoch = -1;
    c.member_id = "";
    EXPECT_EQ(commit(route, c), std::vector<error_code>{error_code::unknown_member_id});  // not Empty
}

TEST_F(classic_protocol_test, AJoiningMemberStartsARebalanceTheOthersRejoin) {
    auto j1 = stable_single_member();
    auto j2_pending = join_async(join_request());
    wait_for([](const snapshot& s) { return s.state == classic_state::preparing_rebalance; });
    EXPECT_EQ(heartbeat(j1.member_id, 1), error_code::rebalance_in_progress);
    auto r1 = join(join_request(j1.member_id));
    auto j2 = j2_pending.get();
    ASSERT_EQ(r1.error, error_code::none);
    ASSERT_EQ(j2.error, error_code::none);
    EXPECT_EQ(r1.generation, 2);
    EXPECT_EQ(j2.generation, 2);
    EXPECT_EQ(r1.leader, j1.member_id);  // the leader stays when it rejoins
}

TEST_F(classic_protocol_test, AMemberThatStopsHeartbeatingIsRemovedAndTheGroupEmpties) {
    auto j = join(join_request({}, 3, "range", 300));
    ASSERT_EQ(j.error, error_code::none);
    ASSERT_EQ(sync_async(j, {{j.member_id, "a"}}).get().error, error_code::none);
    auto s = wait_for([](const snapshot& s) { return s.state == classic_state::empty; });
    EXPECT_EQ(s.generation, 2);
    EXPECT_EQ(s.members, 0u);
    EXPECT_EQ(heartbeat(j.member_id, 1), error_code::unknown_member_id);
}

TEST_F(classic_protocol_test, MembersMustShareAProtocolTypeAndAProtocol) {
    auto first = join_async(join_request());
    wait_for([](const snapshot& s) { return s.members == 1; });
    auto other = join_request({}, 3, "roundrobin");
    EXPECT_EQ(join(other).error, error_code::inconsistent_group_protocol);
    auto connect = join_request();
    connect.protocol_type = "connect";
    EXPECT_EQ(join(connect).error, error_code::inconsistent_group_protocol);
    EXPECT_EQ(first.get().error, error_code::none);
}

TEST_F(classic_protocol_test, SessionTimeoutsOutsideTheBrokerBoundsAreRefused) {
    EXPECT_EQ(join(join_request({}, 3, "range", 5)).error, error_code::invalid_session_timeout);
    EXPECT_EQ(join(join_request({}, 3, "range", 2'000'000)).error, error_code::invalid_session_timeout);
}

TEST_F(classic_protocol_test, ARestartedStaticMemberTakesOverWithoutARebalanceAndFencesItsOldId) {
    auto a = join_request();
    a.group_instance_id = "instance-1";
    auto j = join(a);
    ASSERT_EQ(j.error, error_code::none);
    ASSERT_TRUE(j.member_id.starts_with("instance-1-"));
    ASSERT_EQ(sync_async(j, {{j.member_id, "mine"}}).get().error, error_code::none);

    auto again = join(a);  // same instance id, no member id: the process restarted
    ASSERT_EQ(again.error, error_code::none);
    EXPECT_NE(again.member_id, j.member_id);
    EXPECT_EQ(again.generation, j.generation);  // no rebalance
    EXPECT_EQ(again.leader, j.member_id);       // the old id: a pre-v9 leader must not assign again
    EXPECT_EQ(state().state, classic_state::stable);
    EXPECT_EQ(state().assignments[again.member_id], "mine");
    EXPECT_EQ(heartbeat(j.member_id, j.generation, "instance-1"), error_code::fenced_instance_id);
    EXPECT_EQ(heartbeat(again.member_id, j.generation, "instance-1"), error_code::none);
}

TEST_F(classic_protocol_test, LeavingEmptiesTheGroupAndDeleteGroupsThenRemovesIt) {
    auto j = stable_single_member();
    auto remove = [this]() -> awaitable<error_code> {
        auto deleting = delete_group(*gms[route.shard], group_id, route.partition);
        co_return co_await std::move(deleting);
    };
    EXPECT_EQ(on_shard(route.shard, remove), error_code::non_empty_group);
    auto left = on_shard(route.shard, [this, j]() -> awaitable<leave_result> {
        auto leaving = gms[route.shard]->classic().leave(group_id, route.partition, {leaving_member{j.member_id, {}}});
        co_return co_await std::move(leaving);
    });
    ASSERT_EQ(left.members, std::vector<error_code>{error_code::none});
    auto s = wait_for([](const snapshot& s) { return s.state == classic_state::empty; });
    EXPECT_EQ(s.generation, 2);
    auto unknown = on_shard(route.shard, [this]() -> awaitable<leave_result> {
        auto leaving = gms[route.shard]->classic().leave(group_id, route.partition, {leaving_member{"nobody", {}}});
        co_return co_await std::move(leaving);
    });
    EXPECT_EQ(unknown.members, std::vector<error_code>{error_code::unknown_member_id});
    EXPECT_EQ(on_shard(route.shard, remove), error_code::none);
    EXPECT_FALSE(state().exists);
    EXPECT_EQ(on_shard(route.shard, remove), error_code::group_id_not_found);
    reboot();
    route = ready(group_id);
    EXPECT_FALSE(state().exists);  // the tombstone is replayed too
}

TEST_F(classic_protocol_test, AStableGroupComesBackAfterARestart) {
    auto a = join_async(join_request());
    auto b = join_async(join_request());
    auto ja = a.get();
    auto jb = b.get();
    const auto& leader = ja.member_id == ja.leader ? ja : jb;
    const auto& follower = ja.member_id == ja.leader ? jb : ja;
    auto fs_ = sync_async(follower);
    ASSERT_EQ(sync_async(leader, {{leader.member_id, "L"}, {follower.member_id, "F"}}).get().error, error_code::none);
    ASSERT_EQ(fs_.get().error, error_code::none);

    reboot();
    route = ready(group_id);
    auto s = state();
    ASSERT_TRUE(s.exists);
    EXPECT_EQ(s.state, classic_state::stable);
    EXPECT_EQ(s.generation, 1);
    EXPECT_EQ(s.protocol, "range");
    EXPECT_EQ(s.assignments[leader.member_id], "L");
    EXPECT_EQ(s.assignments[follower.member_id], "F");
    EXPECT_EQ(heartbeat(follower.member_id, 1), error_code::none);
}

TEST_F(classic_protocol_test, TheGroupMaxSizeIsEnforced) {
    reboot({{"offsets.topic.num.partitions", "4"}, {"group.initial.rebalance.delay.ms", "0"},
            {"group.min.session.timeout.ms", "10"}, {"group.max.size", "1"}});
    route = ready(group_id);
    auto j = stable_single_member();
    EXPECT_EQ(join(join_request()).error, error_code::group_max_size_reached);
    EXPECT_EQ(heartbeat(j.member_id, 1), error_code::none);
}

}  // namespace
}  // namespace tributary::groups

namespace tributary::groups {
namespace {

class generic_protocol_test : public classic_protocol_test {};

TEST_F(generic_protocol_test, NonConsumerProtocolsPassThroughUnchanged) {
    // Kafka Connect's workers use protocol type "connect" with their own metadata and assignments.
    auto a = join_request();
    a.protocol_type = "connect";
    a.protocols.clear();
    const bytes::byte_vector metadata{bytes::byte{0}, bytes::byte{1}, bytes::byte{0xff}, bytes::byte{7}};
    a.protocols.emplace_back("sessioned", metadata);
    a.protocols.emplace_back("compatible", bytes_of("older"));
    auto j = join(a);
    ASSERT_EQ(j.error, error_code::none);
    EXPECT_EQ(j.protocol_type, "connect");
    EXPECT_EQ(j.protocol_name, "sessioned");
    ASSERT_EQ(j.members.size(), 1u);
    EXPECT_EQ(j.members[0].metadata, metadata);
    auto s = sync_async(j, {{j.member_id, std::string("\x00\x01\x02", 3)}}).get();
    ASSERT_EQ(s.error, error_code::none);
    EXPECT_EQ(s.protocol_type, "connect");
    EXPECT_EQ(s.assignment, (bytes::byte_vector{bytes::byte{0}, bytes::byte{1}, bytes::byte{2}}));
}

TEST_F(generic_protocol_test, ExpiredOffsetsAndThenTheirEmptyGroupAreRemoved) {
    offset_commit_args c;
    c.group_id = "simple";
    c.retention_time_ms = 0;  // OffsetCommit v2-4: expires at once
    c.entries.push_back({model::topic_partition{"t", 0}, 5, -1, ""});
    auto r = ready("simple");
    ASSERT_EQ(commit(r, c), std::vector<error_code>{error_code::none});
    c.retention_time_ms = -1;  // by offsets.retention.minutes: stays
    c.entries[0].tp.partition = 1;
    ASSERT_EQ(commit(r, c), std::vector<error_code>{error_code::none});
    auto count = [this, r]() {
        return on_shard(r.shard, [this, r]() -> awaitable<int> {
            co_await gms[r.shard]->expire_offsets();
            group* g = gms[r.shard]->find_group("simple");
            co_return g ? static_cast<int>(g->offsets.size()) : -1;
        });
    };
    EXPECT_EQ(count(), 1);
    offset_fetch_args all;
    all.group_id = "simple";
    auto left = fetch(r, all);
    ASSERT_EQ(left.offsets.size(), 1u);
    EXPECT_EQ(left.offsets[0].tp.partition, 1);

    // A group whose every offset expired is removed too (a tombstone, so it stays gone after a restart).
    offset_commit_args once;
    once.group_id = "gone";
    once.retention_time_ms = 0;
    once.entries.push_back({model::topic_partition{"t", 0}, 1, -1, ""});
    auto g = ready("gone");
    ASSERT_EQ(commit(g, once), std::vector<error_code>{error_code::none});
    auto exists = [this, g]() {
        return on_shard(g.shard, [this, g]() -> awaitable<bool> {
            co_await gms[g.shard]->expire_offsets();
            co_return gms[g.shard]->find_group("gone") != nullptr;
        });
    };
    EXPECT_FALSE(exists());
    reboot();
    g = ready("gone");
    EXPECT_FALSE(exists());
}

}  // namespace
}  // namespace tributary::groups

namespace tributary::groups {
namespace {

// ConsumerProtocolSubscription v0 for `topics` (what a Java consumer puts in its JoinGroup metadata).
bytes::byte_vector subscription(std::vector<std::string> topics) {
    bytes::writer w;
    w.write_int16(0);
    w.write_int32(static_cast<std::int32_t>(topics.size()));
    for (const auto& t : topics) {
        w.write_int16(static_cast<std::int16_t>(t.size()));
        w.write_chars(t);
    }
    w.write_int32(-1);  // no user data
    return w.to_vector();
}

class offset_delete_test : public classic_protocol_test {
protected:
    offset_delete_result remove(std::vector<model::topic_partition> tps) {
        return on_shard(route.shard, [this, tps]() -> awaitable<offset_delete_result> {
            auto deleting = delete_group_offsets(*gms[route.shard], group_id, route.partition, tps);
            co_return co_await std::move(deleting);
        });
    }
};

TEST_F(offset_delete_test, ARunningConsumerGroupKeepsTheOffsetsOfTopicsItConsumes) {
    EXPECT_EQ(consumer_subscription_topics(subscription({"t", "v"})), (std::vector<std::string>{"t", "v"}));
    auto a = join_request();
    a.protocols = {{"range", subscription({"t"})}};
    auto j = join(a);
    ASSERT_EQ(j.error, error_code::none);
    ASSERT_EQ(sync_async(j, {{j.member_id, "x"}}).get().error, error_code::none);
    offset_commit_args c;
    c.group_id = group_id;
    c.member_id = j.member_id;
    c.generation_or_member_epoch = j.generation;
    c.entries.push_back({model::topic_partition{"t", 0}, 1, -1, ""});
    c.entries.push_back({model::topic_partition{"u", 0}, 2, -1, ""});
    ASSERT_EQ(commit(route, c), (std::vector<error_code>{error_code::none, error_code::none}));

    auto r = remove({{"t", 0}, {"u", 0}});
    EXPECT_EQ(r.error, error_code::none);
    EXPECT_EQ(r.partitions, (std::vector<error_code>{error_code::group_subscribed_to_topic, error_code::none}));
    offset_fetch_args all;
    all.group_id = group_id;
    auto left = fetch(route, all);
    ASSERT_EQ(left.offsets.size(), 1u);
    EXPECT_EQ(left.offsets[0].tp.topic, "t");
}

TEST_F(offset_delete_test, AStableConsumerGroupLosesTheExpiredOffsetsOfTopicsItNoLongerConsumes) {
    auto a = join_request();
    a.protocols = {{"range", subscription({"t"})}};
    auto j = join(a);
    ASSERT_EQ(j.error, error_code::none);
    ASSERT_EQ(sync_async(j, {{j.member_id, "x"}}).get().error, error_code::none);
    offset_commit_args c;
    c.group_id = group_id;
    c.member_id = j.member_id;
    c.generation_or_member_epoch = j.generation;
    c.retention_time_ms = 0;  // OffsetCommit v2-4: past its retention at once
    c.entries.push_back({model::topic_partition{"t", 0}, 1, -1, ""});
    c.entries.push_back({model::topic_partition{"u", 0}, 2, -1, ""});
    ASSERT_EQ(commit(route, c), (std::vector<error_code>{error_code::none, error_code::none}));

    // Kafka's ClassicGroup.offsetExpirationCondition: a Stable consumer group's offsets of topics no
    // member subscribes to expire; those of its topics stay while it consumes them.
    on_shard(route.shard, [this]() { return gms[route.shard]->expire_offsets(); });
    offset_fetch_args all;
    all.group_id = group_id;
    auto left = fetch(route, all);
    ASSERT_EQ(left.offsets.size(), 1u);
    EXPECT_EQ(left.offsets[0].tp.topic, "t");
    EXPECT_EQ(state().state, classic_state::stable);
}

TEST_F(offset_delete_test, AGroupOfAnotherProtocolWithMembersRefusesAndAnUnknownGroupIsNotFound) {
    EXPECT_EQ(remove({{"t", 0}}).error, error_code::group_id_not_found);
    auto a = join_request();
    a.protocol_type = "connect";
    auto j = join(a);
    ASSERT_EQ(j.error, error_code::none);
    EXPECT_EQ(remove({{"t", 0}}).error, error_code::non_empty_group);
}

}  // namespace
}  // namespace tributary::groups
