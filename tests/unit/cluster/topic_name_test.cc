#include "cluster/topic_name.h"

#include <gtest/gtest.h>

namespace tributary::cluster {
namespace {

TEST(TopicName, LegalNamesPass) {
    for (const std::string& n : std::vector<std::string>{"a", "orders", "Orders.v1_x-y", "__consumer_offsets", std::string(249, 'x')})
        EXPECT_EQ(check_topic_name(n), std::nullopt) << n;
}

TEST(TopicName, IllegalNamesAreRejectedWithKafkasReasons) {
    EXPECT_EQ(check_topic_name(""), "Topic name is invalid: the empty string is not allowed");
    EXPECT_EQ(check_topic_name("."), "Topic name is invalid: '.' is not allowed");
    EXPECT_EQ(check_topic_name(".."), "Topic name is invalid: '..' is not allowed");
    EXPECT_EQ(check_topic_name("bad name!"),
              "Topic name is invalid: 'bad name!' contains one or more characters other than ASCII alphanumerics, "
              "'.', '_' and '-'");
    EXPECT_NE(check_topic_name(std::string(250, 'x')), std::nullopt);
    EXPECT_NE(check_topic_name("caf\xc3\xa9"), std::nullopt);
}

TEST(TopicName, DotAndUnderscoreCollide) {
    EXPECT_TRUE(has_collision_chars("a.b"));
    EXPECT_TRUE(has_collision_chars("a_b"));
    EXPECT_FALSE(has_collision_chars("a-b"));
    EXPECT_EQ(unify_collision_chars("a.b_c"), "a_b_c");
}

TEST(TopicName, CoordinatorTopicsAreInternal) {
    EXPECT_TRUE(is_internal_topic("__consumer_offsets"));
    EXPECT_TRUE(is_internal_topic("__transaction_state"));
    EXPECT_FALSE(is_internal_topic("__other"));
}

}  // namespace
}  // namespace tributary::cluster
