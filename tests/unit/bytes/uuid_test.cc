#include <gtest/gtest.h>

#include "model/fundamental.h"

using tributary::model::uuid;

TEST(Uuid, PrintsAsKafkaBase64AndParsesBack) {
    uuid u;
    for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::uint8_t>(i);
    // Kafka prints Uuid as URL-safe base64 without padding.
    EXPECT_EQ(u.to_string(), "AAECAwQFBgcICQoLDA0ODw");
    uuid back;
    ASSERT_TRUE(uuid::parse(u.to_string(), back));
    EXPECT_EQ(back, u);
}

TEST(Uuid, RandomIsNeverZeroNorDashFirst) {
    for (int i = 0; i < 1000; ++i) {
        auto u = uuid::random();
        EXPECT_FALSE(u.is_zero());
        EXPECT_NE(u.to_string()[0], '-');
    }
}
