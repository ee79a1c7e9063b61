#include "cluster/config_registry.h"

#include <gtest/gtest.h>

namespace tributary::cluster {
namespace {

const config_definition& topic(std::string_view name) {
    auto* d = find_topic_config(name);
    EXPECT_NE(d, nullptr) << name;
    return *d;
}

std::string error_of(std::string_view name, std::string_view value) {
    return check_value(topic(name), value).value_or("");
}

TEST(ConfigRegistry, KnowsEveryTopicConfigOfKafka4) {
    // The 37 topic configs a Kafka 4.4 broker describes, and nothing else.
    EXPECT_EQ(topic_config_definitions().size(), 37u);
    for (auto name : {"cleanup.policy", "retention.ms", "retention.bytes", "segment.bytes", "segment.ms",
                      "segment.index.bytes", "segment.jitter.ms", "index.interval.bytes", "max.message.bytes",
                      "message.timestamp.type", "message.timestamp.before.max.ms", "message.timestamp.after.max.ms",
                      "min.insync.replicas", "flush.messages", "flush.ms", "compression.type", "delete.retention.ms",
                      "min.compaction.lag.ms", "max.compaction.lag.ms", "min.cleanable.dirty.ratio",
                      "file.delete.delay.ms", "preallocate", "unclean.leader.election.enable", "local.retention.ms",
                      "local.retention.bytes", "remote.storage.enable"})
        EXPECT_NE(find_topic_config(name), nullptr) << name;
    EXPECT_EQ(find_topic_config("message.downconversion.enable"), nullptr);  // removed in Kafka 4.0
    EXPECT_EQ(find_topic_config("message.format.version"), nullptr);
}

TEST(ConfigRegistry, EveryDefaultPassesItsOwnCheck) {
    for (const auto& d : topic_config_definitions())
        if (d.default_value) {
            EXPECT_EQ(check_value(d, *d.default_value), std::nullopt) << d.name;
        }
    for (const auto& d : broker_config_definitions())
        if (d.default_value) {
            EXPECT_EQ(check_value(d, *d.default_value), std::nullopt) << d.name;
        }
}

TEST(ConfigRegistry, EverySynonymIsARegisteredBrokerConfig) {
    for (const auto& d : topic_config_definitions())
        for (const auto& s : d.synonyms) EXPECT_NE(find_broker_config(s.name), nullptr) << d.name << " -> " << s.name;
    for (const auto& d : broker_config_definitions())
        for (const auto& s : d.synonyms) EXPECT_NE(find_broker_config(s.name), nullptr) << d.name << " -> " << s.name;
}

TEST(ConfigRegistry, RetentionMsFallsBackToMinutesThenHours) {
    const auto& syn = topic("retention.ms").synonyms;
    ASSERT_EQ(syn.size(), 3u);
    EXPECT_EQ(syn[0].name, "log.retention.ms");
    EXPECT_EQ(syn[1].name, "log.retention.minutes");
    EXPECT_EQ(syn[1].factor, 60'000);
    EXPECT_EQ(syn[2].name, "log.retention.hours");
    EXPECT_EQ(syn[2].factor, 3'600'000);
}

TEST(ConfigRegistry, RejectsValuesWithKafkasMessages) {
    EXPECT_EQ(error_of("retention.ms", "abc"), "Invalid value abc for configuration retention.ms: Not a number of type LONG");
    EXPECT_EQ(error_of("retention.ms", "-2"), "Invalid value -2 for configuration retention.ms: Value must be at least -1");
    EXPECT_EQ(error_of("segment.bytes", "1000"),
              "Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576");
    EXPECT_EQ(error_of("segment.bytes", "3000000000"),
              "Invalid value 3000000000 for configuration segment.bytes: Not a number of type INT");
    EXPECT_EQ(error_of("min.cleanable.dirty.ratio", "2"),
              "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1");
    EXPECT_EQ(error_of("preallocate", "yes"),
              "Invalid value yes for configuration preallocate: Expected value to be either true or false");
    EXPECT_EQ(error_of("message.timestamp.type", "Foo"),
              "Invalid value Foo for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime");
    EXPECT_EQ(error_of("cleanup.policy", "foo"),
              "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete");
    EXPECT_EQ(error_of("cleanup.policy", "compact,,delete"), "Configuration 'cleanup.policy' values must not be empty.");
    EXPECT_EQ(error_of("compression.type", "brotli"),
              "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, "
              "lz4, snappy, gzip, producer");
    EXPECT_EQ(error_of("compression.gzip.level", "10"),
              "Invalid value 10 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1");
    EXPECT_EQ(error_of("compression.zstd.level", "-200000"),
              "Invalid value -200000 for configuration compression.zstd.level: Value must be at least -131072");
    EXPECT_NE(error_of("leader.replication.throttled.replicas", "x"), "");
}

TEST(ConfigRegistry, AcceptsWhatKafkaAccepts) {
    EXPECT_EQ(error_of("retention.ms", " 1000 "), "");
    EXPECT_EQ(error_of("retention.bytes", "-5"), "");
    EXPECT_EQ(error_of("preallocate", " TRUE "), "");
    EXPECT_EQ(error_of("min.cleanable.dirty.ratio", "1e-1"), "");
    EXPECT_EQ(error_of("cleanup.policy", ""), "");
    EXPECT_EQ(error_of("cleanup.policy", "compact, delete"), "");
    EXPECT_EQ(error_of("leader.replication.throttled.replicas", "0:1,1:2"), "");
    EXPECT_EQ(error_of("leader.replication.throttled.replicas", "*"), "");
    EXPECT_EQ(error_of("retention.ms", "+5"), "");
}

TEST(ConfigRegistry, CanonicalValuesAreWhatKafkaPrints) {
    EXPECT_EQ(canonical_value(topic("preallocate"), " TRUE "), "true");
    EXPECT_EQ(canonical_value(topic("min.cleanable.dirty.ratio"), "1e-1"), "0.1");
    EXPECT_EQ(canonical_value(topic("cleanup.policy"), " compact , delete "), "compact,delete");
    EXPECT_EQ(canonical_value(topic("retention.ms"), " +1000 "), "1000");
}

TEST(ConfigRegistry, DoublesPrintAsJavaPrintsThem) {
    EXPECT_EQ(java_double_string(0.5), "0.5");
    EXPECT_EQ(java_double_string(2), "2.0");
    EXPECT_EQ(java_double_string(123.25), "123.25");
    EXPECT_EQ(java_double_string(0.001), "0.001");
    EXPECT_EQ(java_double_string(0.0001), "1.0E-4");
    EXPECT_EQ(java_double_string(1e7), "1.0E7");
    EXPECT_EQ(java_double_string(1.7976931348623157e308), "1.7976931348623157E308");
    EXPECT_EQ(java_double_string(-1.5), "-1.5");
}

}  // namespace
}  // namespace tributary::cluster
