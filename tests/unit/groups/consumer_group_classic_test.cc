// Members that use the classic protocol in a consumer group, and the conversions between a classic
// group and a consumer group (KIP-848 online migration; src/groups/consumer_group_classic.cc and
// embedded_protocol.h): a classic group adopted with its assignments, classic members rejoining
// through JoinGroup/SyncGroup/Heartbeat while a consumer-protocol member takes partitions from them
// (never two owners), Kafka's error codes, the classic timeouts, offset commits by generation, the
// ClassicMemberMetadata of their records, and what a downgrade hands to the classic group.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "groups/consumer_group.h"
#include "groups/consumer_group_records.h"
#include "groups/embedded_protocol.h"
#include "protocol/messages/consumer_protocol_assignment.h"
#include "protocol/messages/consumer_protocol_subscription.h"

namespace tributary::groups {
namespace {

using ec = model::error_code;
using hb_request = protocol::consumer_group_heartbeat_request;
using hb_response = protocol::consumer_group_heartbeat_response;

class fixed_topics final : public topic_view {
public:
    std::int64_t version() const override { return 1; }
    std::optional<topic_info> find(std::string_view name) const override {
        auto it = topics_.find(std::string(name));
        if (it == topics_.end()) return std::nullopt;
        return it->second;
    }
    std::optional<std::string> name_of(const model::uuid& id) const override {
        for (const auto& [name, info] : topics_)
            if (info.id == id) return name;
        return std::nullopt;
    }
    void for_each(const std::function<void(const std::string&, const topic_info&)>& fn) const override {
        for (const auto& [name, info] : topics_) fn(name, info);
    }
    model::uuid create(const std::string& name, std::int32_t partitions) {
        topic_info info{model::uuid::random(), partitions};
        topics_[name] = info;
        return info.id;
    }

private:
    std::map<std::string, topic_info> topics_;
};

// A Java consumer's JoinGroup metadata: ConsumerProtocolSubscription at `version`.
bytes::byte_vector subscription(std::vector<std::string> topics, const named_partitions& owned = {},
                                std::int16_t version = 3) {
    protocol::consumer_protocol_subscription s;
    s.topics = std::move(topics);
    for (const auto& [t, ps] : owned) {
        auto& tp = s.owned_partitions.emplace_back();
        tp.topic = t;
        tp.partitions.assign(ps.begin(), ps.end());
    }
    bytes::writer w;
    w.write_int16(version);
    s.encode(w, version);
    return w.to_vector();
}

named_partitions decode(const bytes::byte_vector& assignment) {
    auto a = decode_embedded_assignment(assignment);
    EXPECT_TRUE(a.has_value());
    return a.value_or(named_partitions{});
}

class ConsumerGroupClassic : public ::testing::Test {
protected:
    ConsumerGroupClassic() { topic = topics.create("t", 6); }

    heartbeat_context context() const {
        heartbeat_context ctx;
        ctx.client_id = "client";
        ctx.client_host = "/127.0.0.1";
        ctx.now_ms = now;
        return ctx;
    }

    // A classic group's member at `generation` owning `partitions` of t (range protocol).
    classic_member_snapshot classic_member(const std::string& id, std::set<std::int32_t> partitions,
                                           std::int32_t session_ms = 6000) {
        classic_member_snapshot m;
        m.member_id = id;
        m.client_id = id;
        m.client_host = "/127.0.0.1";
        m.rebalance_timeout_ms = 30000;
        m.session_timeout_ms = session_ms;
        m.protocols = {{"range", subscription({"t"})}, {"cooperative-sticky", subscription({"t"})}};
        m.subscription = subscription({"t"});
        m.assignment = encode_embedded_assignment({{"t", partitions}}, 3);
        return m;
    }

    classic_join_outcome join(const std::string& id, const named_partitions& owned,
                              std::string protocol = "range", std::int32_t session_ms = 6000) {
        classic_join_request r;
        r.member_id = id;
        r.session_timeout_ms = session_ms;
        r.rebalance_timeout_ms = 30000;
        r.protocol_type = "consumer";
        r.protocols = {{protocol, subscription({"t"}, owned)}};
        auto out = group.classic_join(r, context(), topics, config);
        check_single_owner();
        return out;
    }

    hb_response consumer_heartbeat(const std::string& id, std::int32_t epoch, std::optional<topic_partitions> owned) {
        hb_request r;
        r.group_id = "g";
        r.member_id = id;
        r.member_epoch = epoch;
        if (epoch == 0) {
            r.rebalance_timeout_ms = 30000;
            r.subscribed_topic_names = std::vector<std::string>{"t"};
        }
        if (owned) {
            r.topic_partitions.emplace();
            for (const auto& [t, ps] : *owned) {
                auto& tp = r.topic_partitions->emplace_back();
                tp.topic_id = t;
                tp.partitions.assign(ps.begin(), ps.end());
            }
        }
        auto resp = group.heartbeat(r, context(), topics, config);
        check_single_owner();
        return resp;
    }

    void check_single_owner() {
        std::set<std::pair<model::uuid, std::int32_t>> seen;
        for (const auto& [id, m] : group.members())
            for (const auto* set : {&m.assigned, &m.pending_revocation})
                for (const auto& [t, ps] : *set)
                    for (auto p : ps) ASSERT_TRUE(seen.insert({t, p}).second) << "partition " << p << " owned twice";
    }

    std::set<std::int32_t> assigned(const std::string& id) {
        const auto* m = group.find_member(id);
        if (!m || !m->assigned.contains(topic)) return {};
        return m->assigned.at(topic);
    }

    fixed_topics topics;
    model::uuid topic;
    consumer_group_config config;
    consumer_group group{"g"};
    std::int64_t now = 1000;
};

TEST(EmbeddedProtocol, SubscriptionsOfEveryVersionDecode) {
    for (std::int16_t v = 0; v <= 3; ++v) {
        auto s = decode_embedded_subscription(subscription({"a", "b"}, {{"a", {1, 2}}}, v));
        ASSERT_TRUE(s) << v;
        EXPECT_EQ(s->version, v);
        EXPECT_EQ(s->topics, (std::vector<std::string>{"a", "b"}));
        // Owned partitions exist from v1 on.
        const named_partitions owned = v >= 1 ? named_partitions{{"a", {1, 2}}} : named_partitions{};
        EXPECT_EQ(s->owned, owned) << v;
    }
    EXPECT_FALSE(decode_embedded_subscription(bytes::byte_vector{}));
    EXPECT_EQ(embedded_version(subscription({"a"}, {}, 2)), 2);
}

TEST(EmbeddedProtocol, AssignmentsRoundTripAndNothingIsAnEmptyAssignment) {
    named_partitions a{{"t", {0, 3}}, {"u", {1}}};
    auto encoded = encode_embedded_assignment(a, 3);
    EXPECT_EQ(decode(encoded), a);
    // After the int16 version: [topic, [partition]], then null user data.
    protocol::consumer_protocol_assignment wire;
    bytes::reader r(bytes::bytes_view(encoded).subspan(2));
    wire.decode(r, 3);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(wire.user_data.has_value());
    EXPECT_EQ(decode_embedded_assignment(bytes::byte_vector{}), named_partitions{});
    EXPECT_FALSE(decode_embedded_assignment(bytes::byte_vector{0, 0, 0}));
}

TEST_F(ConsumerGroupClassic, AClassicGroupIsAdoptedAtItsGenerationWithItsAssignments) {
    auto err = group.adopt_classic_members(5, {classic_member("a", {0, 1, 2}), classic_member("b", {3, 4, 5})},
                                           topics, now);
    ASSERT_FALSE(err) << *err;
    EXPECT_EQ(group.group_epoch(), 5);
    EXPECT_EQ(group.assignment_epoch(), 5);
    EXPECT_EQ(group.state(), consumer_state::stable);
    const auto* a = group.find_member("a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->member_epoch, 5);
    ASSERT_TRUE(a->classic);
    EXPECT_EQ(a->classic->session_timeout_ms, 6000);
    EXPECT_EQ(a->subscribed_topic_names, std::vector<std::string>{"t"});
    EXPECT_EQ(assigned("a"), (std::set<std::int32_t>{0, 1, 2}));
    EXPECT_EQ(group.target_assignment("b").at(topic), (std::set<std::int32_t>{3, 4, 5}));
    // Members of a classic group in its first join phase have no assignment yet.
    consumer_group fresh{"h"};
    auto m = classic_member("c", {});
    m.assignment.clear();
    EXPECT_FALSE(fresh.adopt_classic_members(0, {m}, topics, now));
    EXPECT_TRUE(fresh.find_member("c")->assigned.empty());
    // A subscription that is not the consumer protocol is refused.
    m.subscription = bytes::byte_vector{1};
    EXPECT_TRUE(consumer_group{"i"}.adopt_classic_members(1, {m}, topics, now));
    // Described as classic members (KIP-1099 member type 0).
    auto d = group.describe(topics, config);
    ASSERT_EQ(d.members.size(), 2u);
    EXPECT_EQ(d.members[0].member_type, 0);
}

TEST_F(ConsumerGroupClassic, ConsumerMemberJoiningMakesClassicMembersRejoinAndGiveUpPartitions) {
    ASSERT_FALSE(group.adopt_classic_members(
        5, {classic_member("a", {0, 1, 2}), classic_member("b", {3, 4, 5})}, topics, now));
    auto c = consumer_heartbeat("c", 0, topic_partitions{});
    ASSERT_EQ(c.error_code, 0);
    EXPECT_EQ(group.group_epoch(), 6);
    EXPECT_TRUE(assigned("c").empty());  // everything still owned by the classic members

    // The classic members hear of the rebalance through Heartbeat; the generation is their epoch.
    EXPECT_EQ(group.classic_heartbeat("a", std::nullopt, 5, now), ec::rebalance_in_progress);
    EXPECT_EQ(group.classic_heartbeat("a", std::nullopt, 4, now), ec::illegal_generation);

    // a (cooperative) rejoins still owning its partitions: it must revoke first, at generation 5...
    auto ja = join("a", {{"t", {0, 1, 2}}}, "range");
    ASSERT_EQ(ja.error.code, ec::none) << ja.error.message;
    EXPECT_EQ(ja.generation, 5);
    EXPECT_EQ(ja.protocol_name, "range");
    auto sa = group.classic_sync("a", std::nullopt, 5, std::string("consumer"), std::string("range"), now, topics);
    ASSERT_EQ(sa.error.code, ec::none);
    const auto kept = decode(sa.assignment)["t"];
    EXPECT_EQ(kept.size(), 2u);
    EXPECT_EQ(group.classic_heartbeat("a", std::nullopt, 5, now), ec::rebalance_in_progress);  // revoke, rejoin
    // ...then rejoins without the revoked partition and moves to epoch 6.
    ja = join("a", {{"t", kept}});
    EXPECT_EQ(ja.generation, 6);
    EXPECT_EQ(group.classic_sync("a", std::nullopt, 6, {}, {}, now, topics).error.code, ec::none);
    EXPECT_EQ(group.classic_heartbeat("a", std::nullopt, 6, now), ec::none);

    // b (eager) revoked everything before rejoining.
    auto jb = join("b", {});
    EXPECT_EQ(jb.generation, 6);
    EXPECT_EQ(decode(group.classic_sync("b", std::nullopt, 6, {}, {}, now, topics).assignment)["t"].size(), 2u);

    // The consumer member picks up the released partitions on its next heartbeat.
    c = consumer_heartbeat("c", 6, topic_partitions{});
    EXPECT_EQ(assigned("c").size(), 2u);
    EXPECT_EQ(group.state(), consumer_state::stable);
    std::set<std::int32_t> all;
    for (const auto& id : {"a", "b", "c"}) {
        auto s = assigned(id);
        all.insert(s.begin(), s.end());
    }
    EXPECT_EQ(all, (std::set<std::int32_t>{0, 1, 2, 3, 4, 5}));
}

TEST_F(ConsumerGroupClassic, ErrorsUseKafkasCodes) {
    ASSERT_FALSE(group.adopt_classic_members(5, {classic_member("a", {0, 1, 2, 3, 4, 5})}, topics, now));
    ASSERT_EQ(consumer_heartbeat("c", 0, topic_partitions{}).error_code, 0);
    // Unknown members, and consumer-protocol members using the classic APIs.
    EXPECT_EQ(group.classic_heartbeat("nobody", std::nullopt, 5, now), ec::unknown_member_id);
    EXPECT_EQ(group.classic_heartbeat("c", std::nullopt, 6, now), ec::unknown_member_id);
    EXPECT_EQ(group.classic_sync("nobody", std::nullopt, 5, {}, {}, now, topics).error.code, ec::unknown_member_id);
    EXPECT_EQ(group.classic_leave("c", std::nullopt, topics), ec::unknown_member_id);
    // A protocol no classic member supports, or another protocol type.
    classic_join_request r;
    r.member_id = "d";
    r.session_timeout_ms = 6000;
    r.protocol_type = "consumer";
    r.protocols = {{"roundrobin", subscription({"t"})}};
    EXPECT_EQ(group.classic_join(r, context(), topics, config).error.code, ec::inconsistent_group_protocol);
    r.protocol_type = "connect";
    r.protocols = {{"range", subscription({"t"})}};
    EXPECT_EQ(group.classic_join(r, context(), topics, config).error.code, ec::inconsistent_group_protocol);
    // SyncGroup with another protocol name, or while a newer rebalance is pending.
    EXPECT_EQ(group.classic_sync("a", std::nullopt, 5, std::string("consumer"), std::string("cooperative-sticky"),
                                 now, topics)
                  .error.code,
              ec::inconsistent_group_protocol);
    EXPECT_EQ(group.classic_sync("a", std::nullopt, 5, {}, {}, now, topics).error.code, ec::rebalance_in_progress);
    // The group is full.
    config.max_size = 2;
    r.protocol_type = "consumer";
    EXPECT_EQ(group.classic_join(r, context(), topics, config).error.code, ec::group_max_size_reached);
    // Offset commits of a classic member are checked against its generation, at any version.
    EXPECT_EQ(group.validate_offset_commit("a", 5, 2), ec::none);
    EXPECT_EQ(group.validate_offset_commit("a", 4, 8), ec::illegal_generation);
    EXPECT_EQ(group.validate_offset_commit("c", 6, 8), ec::unsupported_version);
}

TEST_F(ConsumerGroupClassic, ClassicMembersAreFencedByTheirSessionJoinAndSyncTimeouts) {
    ASSERT_FALSE(group.adopt_classic_members(
        5, {classic_member("a", {0, 1, 2}, 3000), classic_member("b", {3, 4, 5}, 60000)}, topics, now));
    // a's own session timeout (3 s), not the consumer protocol's.
    EXPECT_EQ(group.next_deadline(), now + 3000);
    EXPECT_EQ(group.due_members(now + 3000), std::vector<std::string>{"a"});
    group.classic_heartbeat("a", std::nullopt, 5, now + 2000);
    EXPECT_TRUE(group.due_members(now + 3000).empty());

    // A member told to rejoin must do so within its rebalance timeout.
    ASSERT_EQ(consumer_heartbeat("c", 0, topic_partitions{}).error_code, 0);
    now += 2500;
    EXPECT_EQ(group.classic_heartbeat("b", std::nullopt, 5, now), ec::rebalance_in_progress);
    group.classic_heartbeat("a", std::nullopt, 5, now);
    auto due = group.due_members(now + 30000);
    EXPECT_NE(std::find(due.begin(), due.end(), "b"), due.end());
    // After its JoinGroup it must send SyncGroup within the rebalance timeout.
    ASSERT_EQ(join("b", {}, "range", 60000).error.code, ec::none);
    EXPECT_EQ(group.find_member("b")->sync_deadline_ms, now + 30000);
    EXPECT_FALSE(group.find_member("b")->join_deadline_ms);
    ASSERT_EQ(group.classic_sync("b", std::nullopt, group.find_member("b")->member_epoch, {}, {}, now, topics)
                  .error.code,
              ec::none);
    EXPECT_FALSE(group.find_member("b")->sync_deadline_ms);
    // Expired members leave; the group epoch moves.
    const auto epoch = group.group_epoch();
    auto expired = group.expire(now + 3001, topics);
    EXPECT_EQ(expired, std::vector<std::string>{"a"});
    EXPECT_EQ(group.group_epoch(), epoch + 1);
}

TEST_F(ConsumerGroupClassic, ClassicMetadataIsWrittenAndReplayed) {
    ASSERT_FALSE(group.adopt_classic_members(5, {classic_member("a", {0, 1, 2, 3, 4, 5})}, topics, now));
    ASSERT_EQ(consumer_heartbeat("c", 0, topic_partitions{}).error_code, 0);
    auto records = group.records_since(consumer_group::persisted_state{});
    consumer_group replayed{"g"};
    int classic_records = 0;
    for (const auto& r : records) {
        std::optional<bytes::bytes_view> value;
        if (r.value) value = bytes::bytes_view(*r.value);
        std::string error;
        auto rec = decode_consumer_group_record(bytes::bytes_view(r.key), value, error);
        ASSERT_TRUE(rec) << error;
        if (rec->type == consumer_group_member_metadata_type) {
            // The consumer member's record leaves the tagged field out (null); the classic one has it.
            EXPECT_EQ(rec->metadata.classic.has_value(), rec->member_id == "a");
            classic_records += rec->metadata.classic.has_value();
        }
        replayed.replay(*rec, now, 45000);
    }
    EXPECT_EQ(classic_records, 1);
    replayed.restart_timers(now, 45000);
    const auto* a = replayed.find_member("a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->classic, group.find_member("a")->classic);
    EXPECT_EQ(a->session_deadline_ms, now + 6000);  // its classic session timeout
    EXPECT_EQ(replayed.persisted(), group.persisted());
    EXPECT_EQ(replayed.classic_heartbeat("a", std::nullopt, 5, now), ec::rebalance_in_progress);
}

TEST_F(ConsumerGroupClassic, TheLastConsumerMemberLeavingHandsTheTargetAssignmentToTheClassicMembers) {
    ASSERT_FALSE(group.adopt_classic_members(
        5, {classic_member("a", {0, 1, 2}), classic_member("b", {3, 4, 5})}, topics, now));
    ASSERT_EQ(consumer_heartbeat("c", 0, topic_partitions{}).error_code, 0);
    EXPECT_TRUE(group.all_classic_except("c"));
    EXPECT_FALSE(group.all_classic_except("a"));
    EXPECT_FALSE(group.all_classic_except("nobody"));
    auto members = group.classic_members_except("c", topics);
    ASSERT_EQ(members.size(), 2u);
    std::set<std::int32_t> targets;
    for (const auto& m : members) {
        EXPECT_EQ(m.session_timeout_ms, 6000);
        EXPECT_EQ(m.protocols.size(), 2u);
        for (auto p : m.target.at("t")) targets.insert(p);
    }
    // The classic members' targets: everything but what the target assignment gave c.
    for (auto p : group.target_assignment("c").at(topic)) EXPECT_FALSE(targets.contains(p));
    EXPECT_EQ(targets.size() + group.target_assignment("c").at(topic).size(), 6u);
}

TEST(MigrationPolicy, KafkasNamesCaseInsensitive) {
    EXPECT_EQ(parse_migration_policy("bidirectional"), migration_policy::bidirectional);
    EXPECT_EQ(parse_migration_policy("UPGRADE"), migration_policy::upgrade);
    EXPECT_EQ(parse_migration_policy("Downgrade"), migration_policy::downgrade);
    EXPECT_EQ(parse_migration_policy("disabled"), migration_policy::disabled);
    EXPECT_FALSE(parse_migration_policy("both"));
    EXPECT_TRUE(upgrade_enabled(migration_policy::bidirectional));
    EXPECT_FALSE(upgrade_enabled(migration_policy::downgrade));
    EXPECT_TRUE(downgrade_enabled(migration_policy::downgrade));
    EXPECT_FALSE(downgrade_enabled(migration_policy::disabled));
}

}  // namespace
}  // namespace tributary::groups
