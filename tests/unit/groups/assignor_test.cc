// The server-side assignors (src/groups/assignor.h): scenarios, and rapidcheck properties over random
// groups (every subscribed partition assigned exactly once to a subscriber, balance, stickiness,
// co-partitioned ranges).
#include "groups/assignor.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace tributary::groups {
namespace {

model::uuid topic_id(std::uint8_t n) {
    model::uuid u;
    u.bytes[15] = n;
    u.bytes[0] = 0x40;
    return u;
}

assignment_member member(std::string id, std::set<model::uuid> topics, topic_partitions current = {}) {
    assignment_member m;
    m.member_id = std::move(id);
    m.subscribed_topics = std::move(topics);
    m.current = std::move(current);
    return m;
}

std::map<std::pair<model::uuid, std::int32_t>, std::vector<std::string>> owners(const group_assignment& a) {
    std::map<std::pair<model::uuid, std::int32_t>, std::vector<std::string>> out;
    for (const auto& [id, tps] : a) {
        for (const auto& [t, ps] : tps) {
            for (auto p : ps) out[{t, p}].push_back(id);
        }
    }
    return out;
}

// Every partition of a topic someone subscribes to has exactly one owner, who subscribes to it; no
// partition of another topic (or beyond the count) is handed out.
void expect_exactly_once(const assignment_spec& spec, const group_assignment& a) {
    auto own = owners(a);
    std::map<std::string, const assignment_member*> by_id;
    for (const auto& m : spec.members) by_id[m.member_id] = &m;
    ASSERT_EQ(a.size(), spec.members.size());
    for (const auto& [topic, count] : spec.partition_counts) {
        bool subscribed = std::any_of(spec.members.begin(), spec.members.end(),
                                      [&](const auto& m) { return m.subscribed_topics.contains(topic); });
        for (std::int32_t p = 0; p < count; ++p) {
            auto it = own.find({topic, p});
            if (!subscribed) {
                EXPECT_EQ(it, own.end());
                continue;
            }
            ASSERT_NE(it, own.end()) << "partition " << p << " unassigned";
            ASSERT_EQ(it->second.size(), 1u) << "partition " << p << " assigned twice";
            EXPECT_TRUE(by_id.at(it->second[0])->subscribed_topics.contains(topic));
        }
    }
    for (const auto& [tp, _] : own) {
        auto count = spec.partition_counts.find(tp.first);
        ASSERT_NE(count, spec.partition_counts.end());
        EXPECT_LT(tp.second, count->second);
    }
}

TEST(UniformAssignor, ThreeMembersShareTwelvePartitionsFourEach) {
    auto t = topic_id(1);
    assignment_spec spec{{member("a", {t}), member("b", {t}), member("c", {t})}, {{t, 12}}};
    auto a = uniform_assignor().assign(spec);
    expect_exactly_once(spec, a);
    for (const auto& [id, tps] : a) EXPECT_EQ(partition_count(tps), 4u) << id;
}

TEST(UniformAssignor, SurvivorsKeepTheirPartitionsWhenAMemberLeaves) {
    auto t = topic_id(1);
    assignment_spec spec{{member("a", {t}), member("b", {t}), member("c", {t})}, {{t, 12}}};
    auto first = uniform_assignor().assign(spec);
    assignment_spec after{{member("a", {t}, first["a"]), member("c", {t}, first["c"])}, {{t, 12}}};
    auto second = uniform_assignor().assign(after);
    expect_exactly_once(after, second);
    for (const char* id : {"a", "c"}) {
        EXPECT_EQ(partition_count(second[id]), 6u);
        for (auto p : first[id].at(t)) EXPECT_TRUE(second[id].at(t).contains(p)) << id << " lost " << p;
    }
}

TEST(UniformAssignor, AJoiningMemberTakesOnlyWhatBalanceNeeds) {
    auto t = topic_id(1);
    topic_partitions a_has{{t, {0, 1, 2, 3, 4, 5}}};
    topic_partitions c_has{{t, {6, 7, 8, 9, 10, 11}}};
    assignment_spec spec{{member("a", {t}, a_has), member("c", {t}, c_has), member("d", {t})}, {{t, 12}}};
    auto a = uniform_assignor().assign(spec);
    expect_exactly_once(spec, a);
    EXPECT_EQ(partition_count(a["d"]), 4u);
    EXPECT_EQ(partition_count(a["a"]), 4u);
    EXPECT_EQ(partition_count(a["c"]), 4u);
    for (auto p : a["a"].at(t)) EXPECT_TRUE(a_has.at(t).contains(p));
    for (auto p : a["c"].at(t)) EXPECT_TRUE(c_has.at(t).contains(p));
}

TEST(UniformAssignor, DifferentSubscriptionsGetOnlyTheirTopicsAndBalanceLocally) {
    auto t1 = topic_id(1);
    auto t2 = topic_id(2);
    assignment_spec spec{{member("a", {t1}), member("b", {t1, t2}), member("c", {t2})}, {{t1, 6}, {t2, 6}}};
    auto a = uniform_assignor().assign(spec);
    expect_exactly_once(spec, a);
    EXPECT_EQ(partition_count(a["a"]), 4u);
    EXPECT_EQ(partition_count(a["b"]), 4u);
    EXPECT_EQ(partition_count(a["c"]), 4u);
}

TEST(UniformAssignor, PartitionsOfUnsubscribedTopicsAreDropped) {
    auto t1 = topic_id(1);
    auto t2 = topic_id(2);
    assignment_spec spec{{member("a", {t1}, {{t2, {0, 1}}, {t1, {0}}})}, {{t1, 2}}};
    auto a = uniform_assignor().assign(spec);
    expect_exactly_once(spec, a);
    EXPECT_EQ(a["a"], (topic_partitions{{t1, {0, 1}}}));
}

TEST(RangeAssignor, CoPartitionedTopicsGetTheSameRanges) {
    auto t1 = topic_id(1);
    auto t2 = topic_id(2);
    assignment_spec spec{{member("b", {t1, t2}), member("a", {t1, t2}), member("c", {t1, t2})},
                         {{t1, 7}, {t2, 7}}};
    auto a = range_assignor().assign(spec);
    expect_exactly_once(spec, a);
    EXPECT_EQ(a["a"].at(t1), (std::set<std::int32_t>{0, 1, 2}));
    EXPECT_EQ(a["b"].at(t1), (std::set<std::int32_t>{3, 4}));
    EXPECT_EQ(a["c"].at(t1), (std::set<std::int32_t>{5, 6}));
    for (const char* id : {"a", "b", "c"}) EXPECT_EQ(a[id].at(t1), a[id].at(t2)) << id;
}

TEST(RangeAssignor, StaticMembersComeFirstInInstanceIdOrder) {
    auto t = topic_id(1);
    auto s1 = member("z", {t});
    s1.instance_id = "instance-2";
    auto s2 = member("y", {t});
    s2.instance_id = "instance-1";
    assignment_spec spec{{member("a", {t}), s1, s2}, {{t, 3}}};
    auto a = range_assignor().assign(spec);
    EXPECT_EQ(a["y"].at(t), (std::set<std::int32_t>{0}));
    EXPECT_EQ(a["z"].at(t), (std::set<std::int32_t>{1}));
    EXPECT_EQ(a["a"].at(t), (std::set<std::int32_t>{2}));
}

TEST(Assignors, AreFoundByKafkasNames) {
    EXPECT_EQ(find_assignor("uniform")->name(), "uniform");
    EXPECT_EQ(find_assignor("range")->name(), "range");
    EXPECT_EQ(find_assignor("sticky"), nullptr);
}

// A random group: up to 4 topics of 0-40 partitions, up to 9 members, each subscribed to a random
// non-empty subset (or all the same set), each with a random current assignment that may name
// partitions of other topics, out of range, or also held by others.
assignment_spec random_spec(bool same_subscriptions) {
    assignment_spec spec;
    const auto topics = *rc::gen::inRange(1, 5);
    for (int i = 0; i < topics; ++i)
        spec.partition_counts[topic_id(static_cast<std::uint8_t>(i))] = *rc::gen::inRange(0, 41);
    const auto members = *rc::gen::inRange(1, 10);
    std::set<model::uuid> common;
    for (const auto& [t, _] : spec.partition_counts) {
        if (common.empty() || *rc::gen::arbitrary<bool>()) common.insert(t);
    }
    for (int i = 0; i < members; ++i) {
        assignment_member m;
        m.member_id = "m" + std::to_string(*rc::gen::inRange(0, 1000)) + "-" + std::to_string(i);
        if (same_subscriptions) {
            m.subscribed_topics = common;
        } else {
            for (const auto& [t, _] : spec.partition_counts) {
                if (*rc::gen::arbitrary<bool>()) m.subscribed_topics.insert(t);
            }
        }
        const auto held = *rc::gen::inRange(0, 30);
        for (int j = 0; j < held; ++j) {
            auto t = topic_id(static_cast<std::uint8_t>(*rc::gen::inRange(0, topics + 1)));
            m.current[t].insert(*rc::gen::inRange(-1, 45));
        }
        spec.members.push_back(std::move(m));
    }
    return spec;
}

std::size_t total_subscribed_partitions(const assignment_spec& spec) {
    std::size_t total = 0;
    for (const auto& [t, count] : spec.partition_counts) {
        bool any = std::any_of(spec.members.begin(), spec.members.end(),
                               [&](const auto& m) { return m.subscribed_topics.contains(t); });
        if (any) total += static_cast<std::size_t>(count);
    }
    return total;
}

// The partitions of each member's current assignment that the assignor may keep: subscribed, in
// range, and not kept by a member earlier in member id order.
std::map<std::string, std::size_t> valid_current(const assignment_spec& spec) {
    std::vector<const assignment_member*> order;
    for (const auto& m : spec.members) order.push_back(&m);
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->member_id < b->member_id; });
    std::set<std::pair<model::uuid, std::int32_t>> taken;
    std::map<std::string, std::size_t> out;
    for (const auto* m : order) {
        auto& n = out[m->member_id];
        for (const auto& [t, ps] : m->current) {
            auto count = spec.partition_counts.find(t);
            if (count == spec.partition_counts.end() || !m->subscribed_topics.contains(t)) continue;
            for (auto p : ps) {
                if (p >= 0 && p < count->second && taken.insert({t, p}).second) ++n;
            }
        }
    }
    return out;
}

std::size_t kept(const assignment_member& m, const topic_partitions& now) {
    std::size_t n = 0;
    for (const auto& [t, ps] : m.current) {
        auto it = now.find(t);
        if (it == now.end()) continue;
        for (auto p : ps) n += it->second.contains(p) ? 1 : 0;
    }
    return n;
}

assignment_spec with_current(assignment_spec spec, const group_assignment& a) {
    for (auto& m : spec.members) m.current = a.at(m.member_id);
    return spec;
}

RC_GTEST_PROP(UniformAssignorProperty, SameSubscriptionsAreExactlyOnceBalancedAndSticky, ()) {
    auto spec = random_spec(true);
    auto a = uniform_assignor().assign(spec);
    expect_exactly_once(spec, a);
    std::size_t lo = SIZE_MAX, hi = 0;
    for (const auto& [_, tps] : a) {
        lo = std::min(lo, partition_count(tps));
        hi = std::max(hi, partition_count(tps));
    }
    RC_ASSERT(hi - lo <= 1);
    // Sticky: a member keeps every valid partition it held, up to the lower quota.
    const auto quota = total_subscribed_partitions(spec) / spec.members.size();
    auto valid = valid_current(spec);
    for (const auto& m : spec.members)
        RC_ASSERT(kept(m, a.at(m.member_id)) >= std::min(valid[m.member_id], quota));
    // Stable: assigning again from the result moves nothing.
    RC_ASSERT(uniform_assignor().assign(with_current(spec, a)) == a);
}

RC_GTEST_PROP(UniformAssignorProperty, DifferentSubscriptionsAreExactlyOnceAndLocallyBalanced, ()) {
    auto spec = random_spec(false);
    auto a = uniform_assignor().assign(spec);
    expect_exactly_once(spec, a);
    // No partition could move to another subscriber that has two or more fewer partitions.
    for (const auto& [id, tps] : a) {
        for (const auto& [t, ps] : tps) {
            if (ps.empty()) continue;
            for (const auto& other : spec.members) {
                if (other.member_id == id || !other.subscribed_topics.contains(t)) continue;
                RC_ASSERT(partition_count(a.at(other.member_id)) + 1 >= partition_count(tps));
            }
        }
    }
    RC_ASSERT(uniform_assignor().assign(with_current(spec, a)) == a);
}

RC_GTEST_PROP(RangeAssignorProperty, EachTopicIsSplitIntoRangesWithinOne, ()) {
    auto spec = random_spec(*rc::gen::arbitrary<bool>());
    auto a = range_assignor().assign(spec);
    expect_exactly_once(spec, a);
    for (const auto& [t, count] : spec.partition_counts) {
        std::size_t lo = SIZE_MAX, hi = 0;
        for (const auto& m : spec.members) {
            if (!m.subscribed_topics.contains(t)) continue;
            auto it = a.at(m.member_id).find(t);
            std::size_t n = it == a.at(m.member_id).end() ? 0 : it->second.size();
            if (n > 0)
                RC_ASSERT(static_cast<std::size_t>(*it->second.rbegin() - *it->second.begin() + 1) == n);
            lo = std::min(lo, n);
            hi = std::max(hi, n);
        }
        if (hi > 0) RC_ASSERT(hi - lo <= 1);
    }
}

}  // namespace
}  // namespace tributary::groups
