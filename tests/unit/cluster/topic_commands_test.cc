#include "cluster/topic_commands.h"

#include <gtest/gtest.h>

#include "cluster_test_util.h"

namespace tributary::cluster {
namespace {

using model::error_code;
using namespace test;

api_error create_error(const topic_table& t, topic_spec s) {
    auto p = plan_create_topics(t, {std::move(s)}, node);
    EXPECT_EQ(p.results.size(), 1u);
    if (!p.results[0].error.ok()) {
            EXPECT_TRUE(p.records.empty());
        }
    return p.results[0].error;
}

TEST(CreateTopics, DefaultsComeFromTheBrokerAndEveryPartitionIsLedByThisNode) {
    auto base = empty_table({{"num.partitions", "3"}});
    auto p = plan_create_topics(*base, {spec("orders", -1, -1, {{"retention.ms", "1000"}})}, node);
    ASSERT_EQ(p.results.size(), 1u);
    const auto& r = p.results[0];
    ASSERT_TRUE(r.error.ok()) << r.error.message;
    EXPECT_EQ(r.num_partitions, 3);
    EXPECT_EQ(r.replication_factor, 1);
    EXPECT_FALSE(r.id.is_zero());
    EXPECT_EQ(r.configs.size(), topic_config_definitions().size());
    // TopicRecord, then its ConfigRecords, then PartitionRecords, as Kafka orders them.
    ASSERT_EQ(p.records.size(), 5u);
    EXPECT_TRUE(std::holds_alternative<protocol::topic_record>(p.records[0]));
    EXPECT_TRUE(std::holds_alternative<protocol::config_record>(p.records[1]));
    auto table = apply_all(*base, p.records);
    const topic_metadata* t = table->find("orders");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->id, r.id);
    EXPECT_EQ(table->find(r.id), t);
    ASSERT_EQ(t->partition_count(), 3);
    for (const auto& part : t->partitions) {
        EXPECT_EQ(part.leader, node);
        EXPECT_EQ(part.replicas, std::vector<model::node_id>{node});
        EXPECT_EQ(part.isr, std::vector<model::node_id>{node});
        EXPECT_EQ(part.leader_epoch, model::leader_epoch(0));
    }
    EXPECT_EQ(t->overrides, (config_map{{"retention.ms", "1000"}}));
    EXPECT_EQ(t->log_config.retention_ms, 1000);
}

TEST(CreateTopics, ReplicationFactorAboveOneCannotBeMetOnOneNode) {
    auto t = empty_table();
    auto e = create_error(*t, spec("t", 1, 3));
    EXPECT_EQ(e.code, error_code::invalid_replication_factor);
    EXPECT_EQ(e.message, "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be "
                         "reached because only 1 broker(s) are registered or some brokers have all their log "
                         "directories cordoned.");
    EXPECT_EQ(create_error(*empty_table({{"default.replication.factor", "2"}}), spec("t")).code,
              error_code::invalid_replication_factor);
    EXPECT_EQ(create_error(*t, spec("t", 1, 0)).message,
              "Replication factor must be larger than 0, or -1 to use the default value.");
    EXPECT_EQ(create_error(*t, spec("t", 1, -2)).code, error_code::invalid_replication_factor);
}

TEST(CreateTopics, PartitionCountMustBePositiveOrDefault) {
    auto t = empty_table();
    EXPECT_EQ(create_error(*t, spec("t", 0, 1)).message, "Number of partitions was set to an invalid non-positive value.");
    EXPECT_EQ(create_error(*t, spec("t", -5, 1)).code, error_code::invalid_partitions);
    EXPECT_EQ(create_error(*t, spec("t", max_partitions_per_topic + 1, 1)).code, error_code::invalid_partitions);
}

TEST(CreateTopics, NamesAreCheckedAsKafkaChecksThem) {
    auto t = with_topics({spec("a.b", 1)});
    EXPECT_EQ(create_error(*t, spec("bad name")).code, error_code::invalid_topic_exception);
    EXPECT_EQ(create_error(*t, spec("")).code, error_code::invalid_topic_exception);
    auto e = create_error(*t, spec("a_b"));
    EXPECT_EQ(e.code, error_code::invalid_topic_exception);
    EXPECT_EQ(e.message, "Topic 'a_b' collides with existing topic: a.b");
    e = create_error(*t, spec("a.b"));
    EXPECT_EQ(e.code, error_code::topic_already_exists);
    EXPECT_EQ(e.message, "Topic 'a.b' already exists.");
    e = create_error(*t, spec("__cluster_metadata"));
    EXPECT_EQ(e.code, error_code::invalid_request);
    EXPECT_EQ(e.message, "Creation of internal topic __cluster_metadata is prohibited.");
}

TEST(CreateTopics, ConfigsAreValidatedBeforeAnythingIsWritten) {
    auto t = empty_table();
    auto e = create_error(*t, spec("t", 1, 1, {{"retention.ms", "abc"}}));
    EXPECT_EQ(e.code, error_code::invalid_config);
    EXPECT_EQ(e.message, "Invalid value abc for configuration retention.ms: Not a number of type LONG");
    e = create_error(*t, spec("t", 1, 1, {{"retention.ms", std::nullopt}, {"segment.ms", std::nullopt}}));
    EXPECT_EQ(e.message, "Null value not supported for topic configs: retention.ms,segment.ms");
    EXPECT_EQ(create_error(*t, spec("t", 1, 1, {{"nope", "1"}})).message, "Unknown topic config name: nope");
}

TEST(CreateTopics, ManualAssignmentsFollowKafkasRules) {
    auto t = empty_table();
    auto with_assignments = [](std::vector<topic_spec::assignment> a, std::int32_t partitions = -1,
                               std::int16_t rf = -1) {
        auto s = spec("m", partitions, rf);
        s.assignments = std::move(a);
        return s;
    };
    auto ok = plan_create_topics(*t, {with_assignments({{0, {1}}, {1, {1}}})}, node);
    ASSERT_TRUE(ok.results[0].error.ok());
    EXPECT_EQ(ok.results[0].num_partitions, 2);
    EXPECT_EQ(create_error(*t, with_assignments({{0, {1}}}, -1, 1)).code, error_code::invalid_request);
    EXPECT_EQ(create_error(*t, with_assignments({{0, {1}}}, 1, -1)).code, error_code::invalid_request);
    EXPECT_EQ(create_error(*t, with_assignments({{0, {1}}, {0, {1}}})).message,
              "Found multiple manual partition assignments for partition 0");
    EXPECT_EQ(create_error(*t, with_assignments({{0, {}}})).message,
              "The manual partition assignment includes an empty replica list.");
    EXPECT_EQ(create_error(*t, with_assignments({{0, {2}}})).message,
              "The manual partition assignment includes broker 2, but no such broker is registered.");
    EXPECT_EQ(create_error(*t, with_assignments({{0, {1, 1}}})).message,
              "The manual partition assignment includes the broker 1 more than once.");
    EXPECT_EQ(create_error(*t, with_assignments({{1, {1}}})).message,
              "partitions should be a consecutive 0-based integer sequence");
}

TEST(CreateTopics, FailuresDoNotStopTheOtherTopics) {
    auto t = empty_table();
    auto p = plan_create_topics(*t, {spec("good", 2, 1), spec("bad name"), spec("good2", 1, 1), spec("good")}, node);
    ASSERT_EQ(p.results.size(), 4u);
    EXPECT_TRUE(p.results[0].error.ok());
    EXPECT_EQ(p.results[1].error.code, error_code::invalid_topic_exception);
    EXPECT_TRUE(p.results[2].error.ok());
    EXPECT_EQ(p.results[3].error.code, error_code::invalid_request);  // a duplicate in the same request
    auto table = apply_all(*t, p.records);
    EXPECT_EQ(table->size(), 2u);
    EXPECT_NE(table->find("good")->id, table->find("good2")->id);
}

TEST(CreateTopics, InternalTopicsGetTheirOwnSettings) {
    auto t = empty_table();
    auto s = auto_create_spec("__consumer_offsets", t->broker_configs());
    EXPECT_EQ(s.num_partitions, 50);
    EXPECT_EQ(s.replication_factor, 1);
    auto table = with_topics({s}, t);
    const auto* offsets = table->find("__consumer_offsets");
    ASSERT_NE(offsets, nullptr);
    EXPECT_TRUE(offsets->internal);
    EXPECT_EQ(offsets->overrides.at("cleanup.policy"), "compact");
    EXPECT_EQ(offsets->log_config.segment_bytes, 104857600);
    auto plain = auto_create_spec("events", t->broker_configs());
    EXPECT_EQ(plain.num_partitions, -1);
    EXPECT_TRUE(plain.configs.empty());
}

TEST(DeleteTopics, ByNameAndById) {
    auto t = with_topics({spec("a", 1), spec("b", 1)});
    const model::uuid b_id = t->find("b")->id;
    model::uuid unknown = model::uuid::random();
    auto p = plan_delete_topics(*t, {{"a", {}}, {std::nullopt, b_id}, {"zzz", {}}, {std::nullopt, unknown}});
    ASSERT_EQ(p.results.size(), 4u);
    EXPECT_TRUE(p.results[0].error.ok());
    EXPECT_FALSE(p.results[0].id.is_zero());
    EXPECT_TRUE(p.results[1].error.ok());
    EXPECT_EQ(p.results[1].name, "b");
    EXPECT_EQ(p.results[2].error.code, error_code::unknown_topic_or_partition);
    EXPECT_EQ(p.results[3].error.code, error_code::unknown_topic_id);
    auto after = apply_all(*t, p.records);
    EXPECT_EQ(after->size(), 0u);
    EXPECT_EQ(after->find(b_id), nullptr);
}

TEST(DeleteTopics, NameAndIdOfTheSameTopicDeleteItOnce) {
    auto t = with_topics({spec("a", 1)});
    auto p = plan_delete_topics(*t, {{"a", {}}, {std::nullopt, t->find("a")->id}});
    EXPECT_TRUE(p.results[0].error.ok());
    EXPECT_EQ(p.results[1].error.code, error_code::invalid_request);
    EXPECT_EQ(p.records.size(), 1u);
}

TEST(DeleteTopics, RefusedWhenDeletionIsDisabled) {
    auto t = with_topics({spec("a", 1)}, empty_table({{"delete.topic.enable", "false"}}));
    auto p = plan_delete_topics(*t, {{"a", {}}});
    EXPECT_EQ(p.results[0].error.code, error_code::topic_deletion_disabled);
    EXPECT_TRUE(p.records.empty());
}

TEST(CreatePartitions, OnlyIncreases) {
    auto t = with_topics({spec("a", 2)});
    auto p = plan_create_partitions(*t, {{"a", 2, std::nullopt}, {"zzz", 5, std::nullopt}}, node);
    EXPECT_EQ(p.results[0].code, error_code::invalid_partitions);
    EXPECT_EQ(p.results[0].message, "Topic already has 2 partition(s).");
    EXPECT_EQ(p.results[1].code, error_code::unknown_topic_or_partition);
    EXPECT_TRUE(p.results[1].message.empty());
    p = plan_create_partitions(*t, {{"a", 1, std::nullopt}}, node);
    EXPECT_EQ(p.results[0].message, "The topic a currently has 2 partition(s); 1 would not be an increase.");
    p = plan_create_partitions(*t, {{"a", 5, std::nullopt}}, node);
    ASSERT_TRUE(p.results[0].ok());
    auto after = apply_all(*t, p.records);
    EXPECT_EQ(after->find("a")->partition_count(), 5);
    EXPECT_EQ(after->find("a")->id, t->find("a")->id);
}

TEST(CreatePartitions, AssignmentsMustMatchTheNewPartitions) {
    auto t = with_topics({spec("a", 2)});
    using lists = std::vector<std::vector<std::int32_t>>;
    auto p = plan_create_partitions(*t, {{"a", 4, lists{{1}}}}, node);
    EXPECT_EQ(p.results[0].message, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.");
    p = plan_create_partitions(*t, {{"a", 4, lists{{1}, {1, 1}}}}, node);
    EXPECT_EQ(p.results[0].code, error_code::invalid_replica_assignment);
    p = plan_create_partitions(*t, {{"a", 4, lists{{1}, {1}}}}, node);
    EXPECT_TRUE(p.results[0].ok());
    EXPECT_EQ(p.records.size(), 2u);
}

}  // namespace
}  // namespace tributary::cluster
