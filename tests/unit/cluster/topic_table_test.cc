#include "cluster/topic_table.h"

#include <gtest/gtest.h>

#include "cluster_test_util.h"

namespace tributary::cluster {
namespace {

using namespace test;

protocol::topic_record topic_rec(std::string name, model::uuid id) {
    protocol::topic_record r;
    r.name = std::move(name);
    r.topic_id = id;
    return r;
}

TEST(TopicTable, UnchangedTopicsAreSharedBetweenSnapshots) {
    auto t1 = with_topics({spec("a", 1), spec("b", 1)});
    auto t2 = with_topics({spec("c", 1)}, t1);
    EXPECT_EQ(t1->find_shared("a"), t2->find_shared("a"));
    EXPECT_GT(t2->version(), t1->version());
    EXPECT_EQ(t1->find("c"), nullptr);  // the old snapshot never changes
    EXPECT_EQ(t2->size(), 3u);
    EXPECT_EQ(t2->partition_count(), 3u);
}

TEST(TopicTable, RecordsThatContradictTheTableAreRejected) {
    auto t = with_topics({spec("a", 1)});
    topic_table::builder b(*t);
    std::string error;
    EXPECT_FALSE(b.apply(topic_rec("a", model::uuid::random()), &error));
    EXPECT_FALSE(b.apply(topic_rec("x", t->find("a")->id), &error));
    EXPECT_FALSE(b.apply(topic_rec("x", model::uuid{}), &error));
    protocol::partition_record p;
    p.topic_id = model::uuid::random();
    p.partition_id = 0;
    EXPECT_FALSE(b.apply(p, &error));
    p.topic_id = t->find("a")->id;
    p.partition_id = 5;  // partitions are added in order
    EXPECT_FALSE(b.apply(p, &error));
    protocol::config_record c;
    c.resource_type = static_cast<std::int8_t>(config_resource_type::topic);
    c.resource_name = "nope";
    c.name = "retention.ms";
    c.value = "1";
    EXPECT_FALSE(b.apply(c, &error));
}

TEST(TopicTable, RemovingATopicDropsItsConfigs) {
    auto t = with_topics({spec("a", 1, 1, {{"retention.ms", "5"}})});
    protocol::remove_topic_record rm;
    rm.topic_id = t->find("a")->id;
    auto after = apply_all(*t, {rm});
    EXPECT_EQ(after->find("a"), nullptr);
    protocol::topic_record again = topic_rec("a", model::uuid::random());
    auto recreated = apply_all(*after, {again});
    EXPECT_TRUE(recreated->find("a")->overrides.empty());
}

TEST(TopicTable, OtherNodesBrokerConfigsAreIgnored) {
    auto t = empty_table();
    protocol::config_record c;
    c.resource_type = static_cast<std::int8_t>(config_resource_type::broker);
    c.resource_name = "7";
    c.name = "log.retention.ms";
    c.value = "1";
    auto after = apply_all(*t, {c});
    EXPECT_TRUE(after->broker_configs().dynamic_node.empty());
    EXPECT_TRUE(after->broker_configs().dynamic_default.empty());
}

TEST(TopicTable, CollidingNamesAreFound) {
    auto t = with_topics({spec("a.b", 1)});
    ASSERT_NE(t->find_collision("a_b"), nullptr);
    EXPECT_EQ(t->find_collision("a_b")->name, "a.b");
    EXPECT_EQ(t->find_collision("a-b"), nullptr);
}

}  // namespace
}  // namespace tributary::cluster
