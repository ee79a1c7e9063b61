#include "cluster/config_commands.h"

#include <gtest/gtest.h>

#include "cluster_test_util.h"

namespace tributary::cluster {
namespace {

using model::error_code;
using namespace test;

constexpr auto topic_type = config_resource_type::topic;
constexpr auto broker_type = config_resource_type::broker;

incremental_config_change change(config_resource_type type, std::string name, std::vector<incremental_config_op> ops) {
    return {{type, std::move(name)}, std::move(ops)};
}

TEST(IncrementalAlterConfigs, SetAndDeleteChangeOnlyWhatDiffers) {
    auto t = with_topics({spec("a", 1, 1, {{"retention.ms", "1000"}})});
    auto p = plan_incremental_alter_configs(
        *t, {change(topic_type, "a",
                    {{"retention.ms", config_op::set, "1000"}, {"segment.ms", config_op::set, "5000"},
                     {"nope.not.set", config_op::remove, std::nullopt}})});
    ASSERT_TRUE(p.results[0].ok()) << p.results[0].message;
    ASSERT_EQ(p.records.size(), 1u);  // retention.ms is unchanged, the removed key never existed
    auto after = apply_all(*t, p.records);
    EXPECT_EQ(after->find("a")->overrides, (config_map{{"retention.ms", "1000"}, {"segment.ms", "5000"}}));
    EXPECT_EQ(after->find("a")->log_config.segment_ms, 5000);
    p = plan_incremental_alter_configs(*after, {change(topic_type, "a", {{"retention.ms", config_op::remove, {}}})});
    after = apply_all(*after, p.records);
    EXPECT_EQ(after->find("a")->overrides, (config_map{{"segment.ms", "5000"}}));
    EXPECT_EQ(after->find("a")->log_config.retention_ms, 604800000);
}

TEST(IncrementalAlterConfigs, AppendAndSubtractWorkOnListsFromTheDefault) {
    auto t = with_topics({spec("a", 1)});
    auto p = plan_incremental_alter_configs(*t, {change(topic_type, "a", {{"cleanup.policy", config_op::append, "compact"}})});
    auto after = apply_all(*t, p.records);
    EXPECT_EQ(after->find("a")->overrides.at("cleanup.policy"), "delete,compact");
    p = plan_incremental_alter_configs(*after, {change(topic_type, "a", {{"cleanup.policy", config_op::subtract, "delete"}})});
    after = apply_all(*after, p.records);
    EXPECT_EQ(after->find("a")->overrides.at("cleanup.policy"), "compact");
    p = plan_incremental_alter_configs(*after, {change(topic_type, "a", {{"retention.ms", config_op::append, "1"}})});
    EXPECT_EQ(p.results[0].code, error_code::invalid_config);
    EXPECT_EQ(p.results[0].message, "Can't APPEND to key retention.ms because its type is not LIST.");
    p = plan_incremental_alter_configs(*after, {change(topic_type, "a", {{"cleanup.policy", config_op::append, "zzz"}})});
    EXPECT_EQ(p.results[0].message, "Invalid value zzz for configuration cleanup.policy: String must be one of: compact, delete");
}

TEST(IncrementalAlterConfigs, TopicResourcesAreCheckedInKafkasOrder) {
    auto t = with_topics({spec("a", 1)});
    auto p = plan_incremental_alter_configs(
        *t, {change(topic_type, "nope", {{"retention.ms", config_op::set, "1"}}),
             change(topic_type, "nope", {{"retention.ms", config_op::set, "x"}}),
             change(topic_type, "", {{"retention.ms", config_op::set, "1"}}),
             change(topic_type, "bad name", {{"retention.ms", config_op::set, "1"}}),
             change(topic_type, "a", {{"foo", config_op::set, "1"}})});
    EXPECT_EQ(p.results[0].code, error_code::unknown_topic_or_partition);
    EXPECT_EQ(p.results[0].message, "The topic 'nope' does not exist.");
    EXPECT_EQ(p.results[1].code, error_code::invalid_config);  // values before existence, as Kafka
    EXPECT_EQ(p.results[2].message, "Default topic resources are not allowed.");
    EXPECT_EQ(p.results[3].code, error_code::invalid_topic_exception);
    EXPECT_EQ(p.results[4].message, "Unknown topic config name: foo");
    EXPECT_TRUE(p.records.empty());
}

TEST(IncrementalAlterConfigs, BrokerConfigsAreCheckedAndAlwaysWritten) {
    auto t = empty_table();
    auto p = plan_incremental_alter_configs(
        *t, {change(broker_type, "", {{"log.retention.ms", config_op::set, "100000"}}),
             change(broker_type, "1", {{"log.retention.bytes", config_op::set, "1000000"}}),
             change(broker_type, "2", {{"log.retention.bytes", config_op::set, "1"}}),
             change(broker_type, "x", {{"log.retention.bytes", config_op::set, "1"}}),
             change(broker_type, "", {{"num.partitions", config_op::set, "3"}}),
             change(broker_type, "", {{"foo.baz", config_op::append, "1"}}),
             change(broker_type, "", {{"log.retention.ms", config_op::append, "1"}}),
             change(broker_type, "", {{"foo.bar", config_op::set, "3"}})});
    EXPECT_TRUE(p.results[0].ok());
    EXPECT_TRUE(p.results[1].ok());
    EXPECT_EQ(p.results[2].message, "Unexpected broker id, expected 1, but received 2");
    EXPECT_EQ(p.results[3].message, "Node id must be an integer, but it is: x");
    EXPECT_EQ(p.results[4].code, error_code::invalid_request);
    EXPECT_EQ(p.results[4].message, "Cannot update these configs dynamically: [num.partitions]");
    EXPECT_EQ(p.results[5].message, "Unknown config name: foo.baz");
    EXPECT_EQ(p.results[6].message, "Config value append is not allowed for config key: log.retention.ms");
    EXPECT_TRUE(p.results[7].ok());  // Kafka accepts names it does not know
    auto after = apply_all(*t, p.records);
    EXPECT_EQ(after->broker_configs().dynamic_default.at("log.retention.ms"), "100000");
    EXPECT_EQ(after->broker_configs().dynamic_node.at("log.retention.bytes"), "1000000");
    // KAFKA-14136: setting a broker config to its current value still writes a record.
    p = plan_incremental_alter_configs(*after, {change(broker_type, "", {{"log.retention.ms", config_op::set, "100000"}})});
    EXPECT_EQ(p.records.size(), 1u);
}

TEST(IncrementalAlterConfigs, BrokerDefaultsReachEveryTopicsLogConfig) {
    auto t = with_topics({spec("a", 1), spec("b", 1, 1, {{"segment.bytes", "2097152"}})});
    auto p = plan_incremental_alter_configs(*t, {change(broker_type, "", {{"log.segment.bytes", config_op::set, "4194304"}})});
    auto after = apply_all(*t, p.records);
    EXPECT_EQ(after->find("a")->log_config.segment_bytes, 4194304);
    EXPECT_EQ(after->find("b")->log_config.segment_bytes, 2097152);
}

TEST(AlterConfigs, ReplacesEveryOverride) {
    auto t = with_topics({spec("a", 1, 1, {{"retention.ms", "1000"}, {"segment.ms", "5000"}})});
    auto p = plan_alter_configs(*t, {{{topic_type, "a"}, {{"segment.ms", "6000"}}}});
    ASSERT_TRUE(p.results[0].ok());
    auto after = apply_all(*t, p.records);
    EXPECT_EQ(after->find("a")->overrides, (config_map{{"segment.ms", "6000"}}));
    p = plan_alter_configs(*after, {{{topic_type, "a"}, {}}});
    after = apply_all(*after, p.records);
    EXPECT_TRUE(after->find("a")->overrides.empty());
    p = plan_alter_configs(*after, {{{topic_type, "a"}, {{"foo", "1"}}}, {{topic_type, "nope"}, {{"segment.ms", "1"}}},
                                    {{broker_type, "1"}, {{"num.partitions", "5"}}}});
    EXPECT_EQ(p.results[0].message, "Unknown topic config name: foo");
    EXPECT_EQ(p.results[1].code, error_code::unknown_topic_or_partition);
    EXPECT_EQ(p.results[2].message, "Cannot update these configs dynamically: [num.partitions]");
    EXPECT_TRUE(p.records.empty());
}

}  // namespace
}  // namespace tributary::cluster
