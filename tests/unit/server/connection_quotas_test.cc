#include "server/connection_quotas.h"

#include <gtest/gtest.h>

namespace tributary::server {
namespace {

using admission = connection_quotas::admission;

connection_quotas::limits limits(std::int32_t total, std::int32_t per_ip,
                                 std::map<std::string, std::int32_t, std::less<>> overrides = {}) {
    return connection_quotas::limits{total, per_ip, std::move(overrides)};
}

TEST(ConnectionQuotas, AdmitsUpToThePerIpLimitThenRefusesThatAddressOnly) {
    connection_quotas q(limits(100, 2));
    EXPECT_EQ(q.try_admit("10.0.0.1"), admission::admitted);
    EXPECT_EQ(q.try_admit("10.0.0.1"), admission::admitted);
    EXPECT_EQ(q.try_admit("10.0.0.1"), admission::too_many_from_ip);
    EXPECT_EQ(q.try_admit("10.0.0.2"), admission::admitted);
    EXPECT_EQ(q.total(), 3);
}

TEST(ConnectionQuotas, ReleasingAConnectionLetsTheAddressConnectAgain) {
    connection_quotas q(limits(100, 1));
    ASSERT_EQ(q.try_admit("10.0.0.1"), admission::admitted);
    EXPECT_EQ(q.try_admit("10.0.0.1"), admission::too_many_from_ip);
    q.release("10.0.0.1");
    EXPECT_EQ(q.try_admit("10.0.0.1"), admission::admitted);
    EXPECT_EQ(q.total(), 1);
}

TEST(ConnectionQuotas, TheBrokerLimitMakesNewConnectionsWaitNotFail) {
    connection_quotas q(limits(2, 100));
    EXPECT_EQ(q.try_admit("a"), admission::admitted);
    EXPECT_EQ(q.try_admit("b"), admission::admitted);
    EXPECT_EQ(q.try_admit("c"), admission::too_many_connections);
    EXPECT_EQ(q.total(), 2);  // a refusal counts nothing
    q.release("a");
    EXPECT_EQ(q.try_admit("c"), admission::admitted);
}

TEST(ConnectionQuotas, PerIpRefusalWinsOverAFullBroker) {
    connection_quotas q(limits(1, 1));
    ASSERT_EQ(q.try_admit("a"), admission::admitted);
    EXPECT_EQ(q.try_admit("a"), admission::too_many_from_ip);
    EXPECT_EQ(q.try_admit("b"), admission::too_many_connections);
}

TEST(ConnectionQuotas, OverridesReplaceThePerIpLimitForTheirAddress) {
    connection_quotas q(limits(100, 0, {{"127.0.0.1", 3}}));
    EXPECT_EQ(q.try_admit("10.0.0.1"), admission::too_many_from_ip);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(q.try_admit("127.0.0.1"), admission::admitted);
    EXPECT_EQ(q.try_admit("127.0.0.1"), admission::too_many_from_ip);
    EXPECT_EQ(q.limit_for("127.0.0.1"), 3);
    EXPECT_EQ(q.limit_for("10.0.0.1"), 0);
}

TEST(ConnectionQuotas, ATicketReleasesExactlyOnce) {
    connection_quotas q(limits(100, 1));
    ASSERT_EQ(q.try_admit("a"), admission::admitted);
    {
        connection_ticket t(&q, "a");
        connection_ticket moved = std::move(t);
        moved.release();
        moved.release();
        EXPECT_EQ(q.total(), 0);
    }
    EXPECT_EQ(q.total(), 0);
    EXPECT_EQ(q.try_admit("a"), admission::admitted);
}

}  // namespace
}  // namespace tributary::server
