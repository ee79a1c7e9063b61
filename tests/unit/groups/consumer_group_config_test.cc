// group.consumer.* broker configs: Kafka's defaults, its start-up checks, and assignor names.
#include "groups/consumer_group_config.h"

#include <gtest/gtest.h>

namespace tributary::groups {
namespace {

TEST(ConsumerGroupConfig, DefaultsAreKafkas) {
    consumer_group_config c;
    ASSERT_EQ(load_consumer_group_config({}, c), std::nullopt);
    EXPECT_EQ(c.heartbeat_interval_ms, 5000);
    EXPECT_EQ(c.session_timeout_ms, 45000);
    ASSERT_EQ(c.assignors.size(), 2u);
    EXPECT_EQ(c.assignors[0]->name(), "uniform");
    EXPECT_EQ(c.assignors[1]->name(), "range");
}

TEST(ConsumerGroupConfig, LowTimeoutsNeedLowerBounds) {
    consumer_group_config c;
    cluster::config_map props{{"group.consumer.session.timeout.ms", "6000"},
                              {"group.consumer.heartbeat.interval.ms", "500"}};
    EXPECT_EQ(load_consumer_group_config(props, c),
              "group.consumer.heartbeat.interval.ms must be greater than or equal to "
              "group.consumer.min.heartbeat.interval.ms");
    props["group.consumer.min.heartbeat.interval.ms"] = "500";
    EXPECT_EQ(load_consumer_group_config(props, c),
              "group.consumer.session.timeout.ms must be greater than or equal to "
              "group.consumer.min.session.timeout.ms");
    props["group.consumer.min.session.timeout.ms"] = "6000";
    ASSERT_EQ(load_consumer_group_config(props, c), std::nullopt);
    EXPECT_EQ(c.session_timeout_ms, 6000);
    EXPECT_EQ(c.heartbeat_interval_ms, 500);
    props["group.consumer.heartbeat.interval.ms"] = "6000";
    props["group.consumer.max.heartbeat.interval.ms"] = "7000";
    EXPECT_EQ(load_consumer_group_config(props, c),
              "group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms");
}

TEST(ConsumerGroupConfig, AssignorsByShortOrKafkaClassName) {
    consumer_group_config c;
    cluster::config_map props{
        {"group.consumer.assignors", "org.apache.kafka.coordinator.group.assignor.RangeAssignor"}};
    ASSERT_EQ(load_consumer_group_config(props, c), std::nullopt);
    ASSERT_EQ(c.assignors.size(), 1u);
    EXPECT_EQ(c.assignors[0]->name(), "range");
    props["group.consumer.assignors"] = "range, sticky";
    EXPECT_EQ(load_consumer_group_config(props, c),
              "group.consumer.assignors: unknown assignor sticky (known: uniform, range)");
}

}  // namespace
}  // namespace tributary::groups
