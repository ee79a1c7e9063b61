#include "groups/group_manager.h"

#include "group_fixture.h"

namespace tributary::groups {
namespace {

using model::error_code;

class group_manager_test : public test::group_fixture {};

TEST_F(group_manager_test, NoOffsetsTopicMeansCoordinatorNotAvailable) {
    auto route = on_shard(0, [this]() -> awaitable<group_route> { co_return coord->locate("g", 0); });
    EXPECT_EQ(route.error, error_code::coordinator_not_available);
}

TEST_F(group_manager_test, FindingACoordinatorCreatesTheInternalCompactedTopic) {
    auto route = ready("g");
    auto t = on_shard(0, [this]() -> awaitable<std::shared_ptr<const cluster::topic_table>> {
        co_return cache->topics(0);
    });
    const auto* topic = t->find(cluster::consumer_offsets_topic);
    ASSERT_NE(topic, nullptr);
    EXPECT_TRUE(topic->internal);
    EXPECT_EQ(topic->partition_count(), 4);
    EXPECT_EQ(topic->overrides.at("cleanup.policy"), "compact");
    EXPECT_EQ(route.partition, partition_for_group("g", 4));
    EXPECT_EQ(route.shard, cluster::owner_shard(cluster::consumer_offsets_topic, route.partition, 2));
}

TEST_F(group_manager_test, SimpleCommitsAreFetchedBackAndSurviveARestart) {
    auto route = ready("g");
    EXPECT_EQ(commit(route, simple_commit("g", "orders", 0, 10)), std::vector<error_code>{error_code::none});
    EXPECT_EQ(commit(route, simple_commit("g", "orders", 0, 12)), std::vector<error_code>{error_code::none});
    EXPECT_EQ(commit(route, simple_commit("g", "orders", 1, 3)), std::vector<error_code>{error_code::none});
    offset_fetch_args all;
    all.group_id = "g";
    auto before = fetch(route, all);
    ASSERT_EQ(before.error, error_code::none);
    ASSERT_EQ(before.offsets.size(), 2u);
    EXPECT_EQ(before.offsets[0].offset, 12);
    EXPECT_EQ(before.offsets[0].metadata, "m");

    reboot();
    route = ready("g");
    auto after = fetch(route, all);
    ASSERT_EQ(after.error, error_code::none);
    ASSERT_EQ(after.offsets.size(), 2u);
    EXPECT_EQ(after.offsets[0].tp, (model::topic_partition{"orders", 0}));
    EXPECT_EQ(after.offsets[0].offset, 12);
    EXPECT_EQ(after.offsets[1].offset, 3);
}

TEST_F(group_manager_test, UnknownPartitionsAndGroupsFetchMinusOne) {
    auto route = ready("nobody");
    offset_fetch_args args;
    args.group_id = "nobody";
    args.partitions = std::vector<model::topic_partition>{{"t", 0}};
    auto r = fetch(route, args);
    ASSERT_EQ(r.offsets.size(), 1u);
    EXPECT_EQ(r.offsets[0].offset, -1);
    EXPECT_EQ(r.offsets[0].error, error_code::none);
}

TEST_F(group_manager_test, CommitsWithAGenerationToAnUnknownGroupAreRefused) {
    auto route = ready("g");
    auto a = simple_commit("g", "t", 0, 1);
    a.generation_or_member_epoch = 3;
    a.member_id = "m";
    // Before OffsetCommit v9 Kafka answers ILLEGAL_GENERATION, from v9 GROUP_ID_NOT_FOUND.
    EXPECT_EQ(commit(route, a), std::vector<error_code>{error_code::illegal_generation});
}

TEST_F(group_manager_test, MetadataLongerThanTheLimitIsRefusedPerPartition) {
    auto route = ready("g");
    auto a = simple_commit("g", "t", 0, 1);
    a.entries[0].metadata = std::string(5000, 'x');
    EXPECT_EQ(commit(route, a), std::vector<error_code>{error_code::offset_metadata_too_large});
}

TEST_F(group_manager_test, DeletedOffsetsStayDeletedAfterARestart) {
    auto route = ready("g");
    ASSERT_EQ(commit(route, simple_commit("g", "t", 0, 1)), std::vector<error_code>{error_code::none});
    ASSERT_EQ(commit(route, simple_commit("g", "t", 1, 2)), std::vector<error_code>{error_code::none});
    auto e = on_shard(route.shard, [this, route]() -> awaitable<error_code> {
        auto* g = gms[route.shard]->find_group("g");
        std::vector<model::topic_partition> tps;
        tps.push_back(model::topic_partition{"t", 0});
        auto deleting = gms[route.shard]->delete_offsets(*g, std::move(tps));
        co_return co_await std::move(deleting);
    });
    EXPECT_EQ(e, error_code::none);
    reboot();
    route = ready("g");
    offset_fetch_args all;
    all.group_id = "g";
    auto r = fetch(route, all);
    ASSERT_EQ(r.offsets.size(), 1u);
    EXPECT_EQ(r.offsets[0].tp.partition, 1);
}

}  // namespace
}  // namespace tributary::groups
