#include "cluster/effective_config.h"

#include <gtest/gtest.h>

namespace tributary::cluster {
namespace {

using model::error_code;

const described_config& entry(const std::vector<described_config>& all, std::string_view name) {
    for (const auto& e : all)
        if (e.name == name) return e;
    static described_config missing;
    ADD_FAILURE() << name << " not described";
    return missing;
}

described_config topic_entry(std::string_view name, const config_map& overrides, const broker_config_layers& b) {
    return describe_topic_config(*find_topic_config(name), overrides, b);
}

TEST(EffectiveConfig, RetentionFromTheHoursDefaultShowsNoSynonyms) {
    // Kafka drops synonyms before the first one named like the topic config's primary broker config, so
    // with only log.retention.hours' default there is none.
    broker_config_layers b;
    auto e = topic_entry("retention.ms", {}, b);
    EXPECT_EQ(e.value, "604800000");
    EXPECT_EQ(e.source, config_source::default_config);
    EXPECT_TRUE(e.synonyms.empty());
    EXPECT_EQ(e.type, config_type::int64);
}

TEST(EffectiveConfig, ADynamicDefaultBeatsStaticAndShowsAsItsSource) {
    broker_config_layers b;
    b.static_props["log.retention.hours"] = "24";
    b.dynamic_default["log.retention.ms"] = "100000";
    auto e = topic_entry("retention.ms", {}, b);
    EXPECT_EQ(e.value, "100000");
    EXPECT_EQ(e.source, config_source::dynamic_default_broker);
    ASSERT_EQ(e.synonyms.size(), 3u);
    EXPECT_EQ(e.synonyms[0], (described_synonym{"log.retention.ms", "100000", config_source::dynamic_default_broker}));
    EXPECT_EQ(e.synonyms[1], (described_synonym{"log.retention.hours", "24", config_source::static_broker}));
    EXPECT_EQ(e.synonyms[2], (described_synonym{"log.retention.hours", "168", config_source::default_config}));
}

TEST(EffectiveConfig, StaticHoursAndMinutesAreConvertedToMilliseconds) {
    broker_config_layers b;
    b.static_props["log.retention.hours"] = "2";
    EXPECT_EQ(effective_topic_value(*find_topic_config("retention.ms"), {}, b), "7200000");
    b.static_props["log.retention.minutes"] = "3";
    EXPECT_EQ(effective_topic_value(*find_topic_config("retention.ms"), {}, b), "180000");
    b.static_props["log.roll.hours"] = "1";
    EXPECT_EQ(effective_topic_value(*find_topic_config("segment.ms"), {}, b), "3600000");
}

TEST(EffectiveConfig, ATopicOverrideWinsAndLeadsTheSynonyms) {
    broker_config_layers b;
    b.dynamic_node["log.cleanup.policy"] = "delete,compact";
    auto e = topic_entry("cleanup.policy", {{"cleanup.policy", "compact , delete"}}, b);
    EXPECT_EQ(e.value, "compact,delete");
    EXPECT_EQ(e.source, config_source::dynamic_topic);
    ASSERT_EQ(e.synonyms.size(), 3u);
    EXPECT_EQ(e.synonyms[0].source, config_source::dynamic_topic);
    EXPECT_EQ(e.synonyms[1].source, config_source::dynamic_broker);
    EXPECT_EQ(e.synonyms[2], (described_synonym{"log.cleanup.policy", "delete", config_source::default_config}));
}

TEST(EffectiveConfig, DescribesEveryTopicConfigOrderedByName) {
    auto all = describe_topic_configs({}, {});
    ASSERT_EQ(all.size(), topic_config_definitions().size());
    for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
    EXPECT_EQ(entry(all, "max.message.bytes").value, "1048588");
    EXPECT_EQ(entry(all, "flush.ms").value, "9223372036854775807");
    EXPECT_EQ(entry(all, "min.cleanable.dirty.ratio").value, "0.5");
    EXPECT_FALSE(entry(all, "segment.bytes").read_only);
}

TEST(EffectiveConfig, BrokerResourceOfThisNodeShowsEveryLayer) {
    broker_config_layers b;
    b.static_props["num.partitions"] = "3";
    b.dynamic_node["log.retention.bytes"] = "1000";
    b.dynamic_default["foo.bar"] = "1";
    auto all = describe_broker_configs(b, true);
    auto np = entry(all, "num.partitions");
    EXPECT_EQ(np.value, "3");
    EXPECT_EQ(np.source, config_source::static_broker);
    EXPECT_TRUE(np.read_only);
    ASSERT_EQ(np.synonyms.size(), 2u);
    EXPECT_EQ(np.synonyms[1], (described_synonym{"num.partitions", "1", config_source::default_config}));
    auto rb = entry(all, "log.retention.bytes");
    EXPECT_EQ(rb.source, config_source::dynamic_broker);
    EXPECT_FALSE(rb.read_only);
    auto rms = entry(all, "log.retention.ms");
    EXPECT_EQ(rms.value, std::nullopt);  // no value anywhere: null, as Kafka shows it
    auto hours = entry(all, "log.retention.hours");
    ASSERT_EQ(hours.synonyms.size(), 1u);
    EXPECT_EQ(hours.synonyms[0].name, "log.retention.hours");
    auto unknown = entry(all, "foo.bar");  // unknown names are shown, typeless and hidden
    EXPECT_EQ(unknown.type, config_type::unknown);
    EXPECT_TRUE(unknown.sensitive);
    EXPECT_EQ(unknown.value, std::nullopt);
}

TEST(EffectiveConfig, ClusterDefaultResourceShowsOnlyDynamicDefaults) {
    broker_config_layers b;
    b.static_props["log.retention.ms"] = "5";
    b.dynamic_default["log.retention.ms"] = "100000";
    b.dynamic_node["log.retention.ms"] = "7";
    auto all = describe_broker_configs(b, false);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].value, "100000");
    EXPECT_EQ(all[0].source, config_source::dynamic_default_broker);
    ASSERT_EQ(all[0].synonyms.size(), 1u);
    EXPECT_EQ(all[0].synonyms[0].source, config_source::dynamic_default_broker);
}

TEST(EffectiveConfig, LogConfigFollowsTheLayers) {
    broker_config_layers b;
    auto c = effective_log_config({}, b);
    EXPECT_EQ(c.segment_bytes, 1073741824);
    EXPECT_EQ(c.retention_ms, 604800000);
    EXPECT_FALSE(c.flush_messages);  // Kafka's "never" is our fsync-before-ack default
    EXPECT_FALSE(c.flush_ms);
    EXPECT_EQ(c.message_timestamp_type, protocol::timestamp_type::create_time);
    b.dynamic_default["log.segment.bytes"] = "2097152";
    c = effective_log_config({{"flush.messages", "1"}, {"message.timestamp.type", "LogAppendTime"},
                              {"retention.ms", "-1"}},
                             b);
    EXPECT_EQ(c.segment_bytes, 2097152);
    EXPECT_EQ(c.flush_messages, 1);
    EXPECT_EQ(c.retention_ms, -1);
    EXPECT_EQ(c.message_timestamp_type, protocol::timestamp_type::log_append_time);
}

TEST(EffectiveConfig, CompactOnlyTopicsAreNotDeletedByTimeOrSize) {
    broker_config_layers b;
    auto c = effective_log_config({{"cleanup.policy", "compact"}, {"retention.bytes", "1000"}}, b);
    EXPECT_EQ(c.retention_ms, -1);
    EXPECT_EQ(c.retention_bytes, -1);
    c = effective_log_config({{"cleanup.policy", "compact,delete"}, {"retention.bytes", "1000"}}, b);
    EXPECT_EQ(c.retention_ms, 604800000);
    EXPECT_EQ(c.retention_bytes, 1000);
}

TEST(EffectiveConfig, TopicChecksAreKafkas) {
    broker_config_layers b;
    EXPECT_EQ(validate_topic_configs({{"foo.bar", "1"}}, b).message, "Unknown topic config name: foo.bar");
    EXPECT_EQ(validate_topic_configs({{"foo.bar", "1"}}, b).code, error_code::invalid_config);
    EXPECT_EQ(validate_topic_configs({{"min.compaction.lag.ms", "100"}, {"max.compaction.lag.ms", "10"}}, b).message,
              "conflict topic config setting min.compaction.lag.ms (100) > max.compaction.lag.ms (10)");
    EXPECT_EQ(validate_topic_configs({{"remote.storage.enable", "true"}}, b).code, error_code::invalid_config);
    EXPECT_TRUE(validate_topic_configs({{"remote.storage.enable", "false"}, {"retention.ms", "1"}}, b).ok());
}

TEST(EffectiveConfig, DynamicBrokerChecksAreKafkas) {
    auto e = validate_dynamic_broker_configs({{"num.partitions", "3"}, {"log.retention.hours", "5"}});
    EXPECT_EQ(e.code, error_code::invalid_request);
    EXPECT_EQ(e.message, "Cannot update these configs dynamically: [log.retention.hours, num.partitions]");
    e = validate_dynamic_broker_configs({{"log.segment.bytes", "1000"}});
    EXPECT_EQ(e.message, "Invalid value 1000 for configuration log.segment.bytes: Value must be at least 1048576");
    EXPECT_TRUE(validate_dynamic_broker_configs({{"foo.bar", "3"}, {"log.retention.ms", "100"}}).ok());
}

}  // namespace
}  // namespace tributary::cluster
