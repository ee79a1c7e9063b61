// The consumer group state machine (src/groups/consumer_group.h): joining, reconciliation through
// revocation, timeouts, static members, errors with Kafka's codes, topic changes, regex
// subscriptions, offset commit validation, and a randomized simulation of many clients checking
// that no partition ever has two owners and that the group converges; the group's records in
// __consumer_offsets (consumer_group_records.h): their bytes, and a group rebuilt from them (also at
// random points of the simulation, as a broker restart does).
#include "groups/consumer_group.h"
#include "groups/consumer_group_records.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <string>

namespace tributary::groups {
namespace {

using ec = model::error_code;
using request = protocol::consumer_group_heartbeat_request;
using response = protocol::consumer_group_heartbeat_response;

class fake_topics final : public topic_view {
public:
    std::int64_t version() const override { return version_; }
    std::optional<topic_info> find(std::string_view name) const override {
        auto it = topics_.find(std::string(name));
        if (it == topics_.end()) return std::nullopt;
        return it->second;
    }
    std::optional<std::string> name_of(const model::uuid& id) const override {
        for (const auto& [name, info] : topics_) {
            if (info.id == id) return name;
        }
        return std::nullopt;
    }
    void for_each(const std::function<void(const std::string&, const topic_info&)>& fn) const override {
        for (const auto& [name, info] : topics_) fn(name, info);
    }

    model::uuid create(const std::string& name, std::int32_t partitions) {
        topic_info info{model::uuid::random(), partitions};
        topics_[name] = info;
        ++version_;
        return info.id;
    }
    void set_partitions(const std::string& name, std::int32_t partitions) {
        topics_.at(name).partitions = partitions;
        ++version_;
    }
    void remove(const std::string& name) {
        topics_.erase(name);
        ++version_;
    }

private:
    std::map<std::string, topic_info> topics_;
    std::int64_t version_ = 0;
};

request join(std::string member_id, std::vector<std::string> topics) {
    request r;
    r.group_id = "g";
    r.member_id = std::move(member_id);
    r.member_epoch = 0;
    r.rebalance_timeout_ms = 30000;
    r.subscribed_topic_names = std::move(topics);
    r.topic_partitions.emplace();
    return r;
}

request beat(const std::string& member_id, std::int32_t epoch, std::optional<topic_partitions> owned) {
    request r;
    r.group_id = "g";
    r.member_id = member_id;
    r.member_epoch = epoch;
    if (owned) {
        r.topic_partitions.emplace();
        for (const auto& [t, ps] : *owned) {
            request::topic_partitions_type tp;
            tp.topic_id = t;
            tp.partitions.assign(ps.begin(), ps.end());
            r.topic_partitions->push_back(tp);
        }
    }
    return r;
}

topic_partitions assignment_of(const response& r) {
    topic_partitions out;
    if (!r.assignment) return out;
    for (const auto& tp : r.assignment->topic_partitions)
        out[tp.topic_id].insert(tp.partitions.begin(), tp.partitions.end());
    return out;
}

class ConsumerGroup : public ::testing::Test {
protected:
    response send(const request& r, std::int16_t version = 1) {
        if (auto err = validate_heartbeat(r, version, config)) return heartbeat_error_response(*err);
        heartbeat_context ctx;
        ctx.api_version = version;
        ctx.client_id = "client";
        ctx.client_host = "/127.0.0.1";
        ctx.now_ms = now;
        auto resp = group.heartbeat(r, ctx, topics, config);
        check_single_owner();
        return resp;
    }

    // Invariant: no partition is in two members' assigned or pending-revocation sets.
    void check_single_owner() {
        std::set<std::pair<model::uuid, std::int32_t>> seen;
        for (const auto& [id, m] : group.members()) {
            for (const auto* set : {&m.assigned, &m.pending_revocation}) {
                for (const auto& [t, ps] : *set) {
                    for (auto p : ps)
                        ASSERT_TRUE(seen.insert({t, p}).second) << "partition " << p << " owned twice";
                }
            }
        }
    }

    fake_topics topics;
    consumer_group_config config;
    consumer_group group{"g"};
    std::int64_t now = 1000;
};

TEST_F(ConsumerGroup, FirstMemberJoinsAndGetsEveryPartitionAtEpochOne) {
    auto t = topics.create("orders", 4);
    auto r = send(join("m1", {"orders"}));
    ASSERT_EQ(r.error_code, 0);
    EXPECT_EQ(r.member_id, "m1");
    EXPECT_EQ(r.member_epoch, 1);
    EXPECT_EQ(r.heartbeat_interval_ms, 5000);
    EXPECT_EQ(assignment_of(r), (topic_partitions{{t, {0, 1, 2, 3}}}));
    EXPECT_EQ(group.group_epoch(), 1);
    EXPECT_EQ(group.assignment_epoch(), 1);
    EXPECT_EQ(group.state(), consumer_state::stable);
    // A plain heartbeat that changes nothing carries no assignment.
    auto again = send(beat("m1", 1, std::nullopt));
    EXPECT_EQ(again.member_epoch, 1);
    EXPECT_FALSE(again.assignment.has_value());
}

TEST_F(ConsumerGroup, ASecondMemberGetsPartitionsOnlyAfterTheFirstRevokesThem) {
    auto t = topics.create("orders", 4);
    auto r1 = send(join("m1", {"orders"}));
    auto owned1 = assignment_of(r1);

    auto r2 = send(join("m2", {"orders"}));
    EXPECT_EQ(group.group_epoch(), 2);
    EXPECT_EQ(r2.member_epoch, 2);
    EXPECT_TRUE(assignment_of(r2).empty());  // its target partitions are still m1's
    EXPECT_EQ(group.find_member("m2")->state, member_state::unreleased_partitions);
    EXPECT_EQ(group.state(), consumer_state::reconciling);

    // m1 learns it must give two partitions up; it stays at epoch 1 until it has.
    auto r1b = send(beat("m1", 1, owned1));
    EXPECT_EQ(r1b.member_epoch, 1);
    auto keep = assignment_of(r1b);
    EXPECT_EQ(partition_count(keep), 2u);
    EXPECT_EQ(group.find_member("m1")->state, member_state::unrevoked_partitions);

    // m2 still gets nothing while m1 reports the partitions.
    EXPECT_TRUE(assignment_of(send(beat("m2", 2, topic_partitions{}))).empty());

    // m1 reports that it revoked them: it moves to epoch 2; the partitions are free.
    auto r1c = send(beat("m1", 1, keep));
    EXPECT_EQ(r1c.member_epoch, 2);
    auto r2b = send(beat("m2", 2, topic_partitions{}));
    auto got = assignment_of(r2b);
    EXPECT_EQ(partition_count(got), 2u);
    for (auto p : got.at(t)) EXPECT_FALSE(keep.at(t).contains(p));
    EXPECT_EQ(group.state(), consumer_state::stable);
}

TEST_F(ConsumerGroup, AnExpiredSessionRemovesTheMemberAndFreesItsPartitions) {
    topics.create("orders", 4);
    auto r1 = send(join("m1", {"orders"}));
    send(join("m2", {"orders"}));
    send(beat("m1", 1, assignment_of(r1)));
    auto keep = group.find_member("m1")->assigned;
    send(beat("m1", 1, keep));
    send(beat("m2", 2, topic_partitions{}));
    ASSERT_EQ(group.state(), consumer_state::stable);

    now += 40000;
    send(beat("m1", 2, keep));  // m1 heartbeats, m2 does not
    EXPECT_TRUE(group.expire(now, topics).empty());
    now += 6000;  // m2's 45 s session has passed, m1's has not
    EXPECT_EQ(group.expire(now, topics), std::vector<std::string>{"m2"});
    EXPECT_EQ(group.group_epoch(), 3);
    auto r = send(beat("m1", 2, keep));
    EXPECT_EQ(r.member_epoch, 3);
    EXPECT_EQ(partition_count(assignment_of(r)), 4u);
}

TEST_F(ConsumerGroup, AMemberThatDoesNotRevokeWithinTheRebalanceTimeoutIsFenced) {
    topics.create("orders", 4);
    auto r1 = send(join("m1", {"orders"}));
    send(join("m2", {"orders"}));
    send(beat("m1", 1, assignment_of(r1)));  // told to revoke; never does
    ASSERT_TRUE(group.find_member("m1")->rebalance_deadline_ms.has_value());
    now += 29000;
    send(beat("m1", 1, assignment_of(r1)));
    send(beat("m2", 2, topic_partitions{}));
    EXPECT_TRUE(group.expire(now, topics).empty());
    now += 2000;
    send(beat("m2", 2, topic_partitions{}));
    EXPECT_EQ(group.expire(now, topics), std::vector<std::string>{"m1"});
    auto r = send(beat("m2", 2, topic_partitions{}));
    EXPECT_EQ(partition_count(assignment_of(r)), 4u);
    // The fenced member's next heartbeat is refused; it rejoins with epoch 0.
    EXPECT_EQ(send(beat("m1", 1, assignment_of(r1))).error_code,
              static_cast<std::int16_t>(ec::unknown_member_id));
}

TEST_F(ConsumerGroup, LeavingWithEpochMinusOneRemovesTheMember) {
    topics.create("orders", 2);
    send(join("m1", {"orders"}));
    auto r = send(beat("m1", -1, std::nullopt));
    EXPECT_EQ(r.error_code, 0);
    EXPECT_EQ(r.member_epoch, -1);
    EXPECT_TRUE(group.members().empty());
    EXPECT_EQ(group.state(), consumer_state::empty);
    EXPECT_EQ(group.group_epoch(), 2);
}

TEST_F(ConsumerGroup, ErrorsUseKafkasCodes) {
    topics.create("orders", 2);
    auto code = [](const response& r) { return static_cast<ec>(r.error_code); };
    EXPECT_EQ(code(send(beat("ghost", 3, std::nullopt))), ec::unknown_member_id);
    send(join("m1", {"orders"}));
    EXPECT_EQ(code(send(beat("m1", 7, std::nullopt))), ec::fenced_member_epoch);

    auto bad = join("m2", {"orders"});
    bad.server_assignor = "sticky";
    auto r = send(bad);
    EXPECT_EQ(code(r), ec::unsupported_assignor);
    EXPECT_EQ(*r.error_message,
              "ServerAssignor sticky is not supported. Supported assignors: uniform, range.");

    auto no_timeout = join("m2", {"orders"});
    no_timeout.rebalance_timeout_ms = -1;
    EXPECT_EQ(code(send(no_timeout)), ec::invalid_request);
    auto owned = join("m2", {"orders"});
    owned.topic_partitions = std::nullopt;
    EXPECT_EQ(code(send(owned)), ec::invalid_request);
    auto no_sub = join("m2", {});
    no_sub.subscribed_topic_names = std::nullopt;
    EXPECT_EQ(code(send(no_sub)), ec::invalid_request);
    EXPECT_EQ(code(send(join("", {"orders"}))), ec::invalid_request);  // v1: the client names itself
    EXPECT_EQ(code(send(join("", {"orders"}), 0)), ec::none);          // v0: the coordinator does
    auto epoch = beat("m1", -3, std::nullopt);
    EXPECT_EQ(code(send(epoch)), ec::invalid_request);
    auto regex = join("m3", {});
    regex.subscribed_topic_names = std::nullopt;
    regex.subscribed_topic_regex = "orders-(";
    EXPECT_EQ(code(send(regex)), ec::invalid_regular_expression);

    config.max_size = 2;
    EXPECT_EQ(code(send(join("m9", {"orders"}))), ec::group_max_size_reached);
}

TEST_F(ConsumerGroup, AMemberOneEpochBehindIsAcceptedWhenItOwnsASubsetOfItsAssignment) {
    topics.create("orders", 4);
    auto r1 = send(join("m1", {"orders"}));
    send(join("m2", {"orders"}));
    auto r1b = send(beat("m1", 1, assignment_of(r1)));
    auto keep = assignment_of(r1b);
    send(beat("m1", 1, keep));  // now at epoch 2; pretend the response was lost
    auto retry = send(beat("m1", 1, keep));
    EXPECT_EQ(retry.error_code, 0);
    EXPECT_EQ(retry.member_epoch, 2);
    // With a partition it should not have, the old epoch is fenced.
    EXPECT_EQ(static_cast<ec>(send(beat("m1", 1, assignment_of(r1))).error_code), ec::fenced_member_epoch);
}

TEST_F(ConsumerGroup, AFencedMemberRejoinsWithEpochZeroAndItsMemberId) {
    auto t = topics.create("orders", 2);
    send(join("m1", {"orders"}));
    auto r = send(join("m1", {"orders"}));  // e.g. after FENCED_MEMBER_EPOCH
    EXPECT_EQ(r.error_code, 0);
    EXPECT_EQ(r.member_epoch, 1);
    EXPECT_EQ(assignment_of(r), (topic_partitions{{t, {0, 1}}}));
}

TEST_F(ConsumerGroup, AStaticMemberLeavesTemporarilyAndComesBackWithoutARebalance) {
    topics.create("orders", 4);
    auto j1 = join("a1", {"orders"});
    j1.instance_id = "instance-a";
    send(j1);
    send(join("b1", {"orders"}));
    auto a_owned = group.find_member("a1")->assigned;
    send(beat("a1", 1, a_owned));
    send(beat("a1", 1, group.find_member("a1")->assigned));
    send(beat("b1", 2, topic_partitions{}));
    ASSERT_EQ(group.state(), consumer_state::stable);
    const auto epoch = group.group_epoch();
    const auto a_assigned = group.find_member("a1")->assigned;

    auto leave = beat("a1", -2, std::nullopt);
    leave.instance_id = "instance-a";
    auto lr = send(leave);
    EXPECT_EQ(lr.error_code, 0);
    EXPECT_EQ(lr.member_epoch, -2);
    EXPECT_EQ(group.group_epoch(), epoch);

    // Another process with the same instance id while the first is still in: refused.
    auto b2 = join("b2", {"orders"});
    b2.instance_id = "instance-b";
    send(b2);
    auto steal = join("b3", {"orders"});
    steal.instance_id = "instance-b";
    EXPECT_EQ(static_cast<ec>(send(steal).error_code), ec::unreleased_instance_id);

    // The restarted instance joins under a new member id and gets its partitions straight back.
    auto back = join("a2", {"orders"});
    back.instance_id = "instance-a";
    auto br = send(back);
    EXPECT_EQ(br.error_code, 0);
    EXPECT_EQ(assignment_of(br), a_assigned);
    EXPECT_EQ(group.find_member("a1"), nullptr);
    // The old member id is fenced by the new one.
    auto stale = beat("a1", 2, std::nullopt);
    stale.instance_id = "instance-a";
    EXPECT_EQ(static_cast<ec>(send(stale).error_code), ec::fenced_instance_id);
}

TEST_F(ConsumerGroup, NewPartitionsAndDeletedTopicsBumpTheGroupEpoch) {
    auto t1 = topics.create("orders", 2);
    auto t2 = topics.create("audit", 2);
    auto r = send(join("m1", {"orders", "audit"}));
    EXPECT_EQ(partition_count(assignment_of(r)), 4u);
    topics.set_partitions("orders", 3);
    auto r2 = send(beat("m1", 1, assignment_of(r)));
    EXPECT_EQ(r2.member_epoch, 2);
    EXPECT_EQ(assignment_of(r2).at(t1), (std::set<std::int32_t>{0, 1, 2}));
    topics.remove("audit");
    auto owned = assignment_of(r2);
    auto r3 = send(beat("m1", 2, owned));
    EXPECT_EQ(group.group_epoch(), 3);
    EXPECT_EQ(r3.member_epoch, 2);  // must first drop the deleted topic's partitions
    owned.erase(t2);
    auto r4 = send(beat("m1", 2, owned));
    EXPECT_EQ(r4.member_epoch, 3);
    EXPECT_EQ(group.find_member("m1")->assigned, (topic_partitions{{t1, {0, 1, 2}}}));
}

TEST_F(ConsumerGroup, ARegexSubscriptionFollowsTopicsAsTheyAreCreated) {
    auto t1 = topics.create("orders-eu", 1);
    topics.create("payments", 1);
    auto j = join("m1", {});
    j.subscribed_topic_names = std::nullopt;
    j.subscribed_topic_regex = "orders-.*";
    auto r = send(j);
    EXPECT_EQ(assignment_of(r), (topic_partitions{{t1, {0}}}));
    auto t2 = topics.create("orders-us", 2);
    auto r2 = send(beat("m1", 1, assignment_of(r)));
    EXPECT_EQ(r2.member_epoch, 2);
    EXPECT_EQ(assignment_of(r2), (topic_partitions{{t1, {0}}, {t2, {0, 1}}}));
    auto d = group.describe(topics, config);
    ASSERT_EQ(d.members.size(), 1u);
    EXPECT_EQ(*d.members[0].subscribed_topic_regex, "orders-.*");
}

TEST_F(ConsumerGroup, TheAssignorMostMembersAskForIsUsed) {
    topics.create("a", 3);
    topics.create("b", 3);
    auto j1 = join("m1", {"a", "b"});
    j1.server_assignor = "range";
    send(j1);
    EXPECT_EQ(group.preferred_assignor(config).name(), "range");
    EXPECT_EQ(group.describe(topics, config).assignor_name, "range");
    consumer_group other{"h"};
    EXPECT_EQ(other.preferred_assignor(config).name(), "uniform");
}

TEST_F(ConsumerGroup, OffsetCommitsAreValidatedAgainstTheMemberEpoch) {
    topics.create("orders", 2);
    EXPECT_EQ(group.validate_offset_commit("", -1, 9), ec::none);  // empty group: admin commits
    send(join("m1", {"orders"}));
    EXPECT_EQ(group.validate_offset_commit("m1", 1, 9), ec::none);
    EXPECT_EQ(group.validate_offset_commit("m1", 0, 9), ec::stale_member_epoch);
    EXPECT_EQ(group.validate_offset_commit("m1", 1, 8), ec::unsupported_version);
    EXPECT_EQ(group.validate_offset_commit("other", 1, 9), ec::unknown_member_id);
    EXPECT_EQ(group.validate_offset_commit("", -1, 9), ec::unknown_member_id);
    EXPECT_EQ(group.validate_offset_fetch(std::nullopt, -1), ec::none);
    EXPECT_EQ(group.validate_offset_fetch("m1", 1), ec::none);
    EXPECT_EQ(group.validate_offset_fetch("m1", 2), ec::stale_member_epoch);
    EXPECT_EQ(group.validate_offset_fetch("not-a-member", 7), ec::unknown_member_id);
}

TEST_F(ConsumerGroup, DescribeShowsEpochsStateAndAssignments) {
    topics.create("orders", 2);
    send(join("m1", {"orders"}));
    auto d = group.describe(topics, config);
    EXPECT_EQ(d.group_id, "g");
    EXPECT_EQ(d.group_state, "Stable");
    EXPECT_EQ(d.group_epoch, 1);
    EXPECT_EQ(d.assignment_epoch, 1);
    EXPECT_EQ(d.assignor_name, "uniform");
    ASSERT_EQ(d.members.size(), 1u);
    EXPECT_EQ(d.members[0].client_host, "/127.0.0.1");
    ASSERT_EQ(d.members[0].assignment.topic_partitions.size(), 1u);
    EXPECT_EQ(d.members[0].assignment.topic_partitions[0].topic_name, "orders");
    EXPECT_EQ(d.members[0].target_assignment.topic_partitions[0].partitions,
              (std::vector<std::int32_t>{0, 1}));
    EXPECT_EQ(d.members[0].member_type, 1);
}

// A simulated consumer: what it believes it owns and its epoch, as the Java client keeps them. It
// applies an assignment at once (revoking what is gone) and reports what it owns on every
// heartbeat, or (randomly) only when that changed, as the Java client does.
// The log of a group: records_since after every change, as the coordinator appends them.
struct record_log {
    std::vector<coordinator_record> records;
    void add(std::vector<coordinator_record> more) {
        for (auto& r : more) records.push_back(std::move(r));
    }
};

// A group rebuilt from its records, as a broker loads it after a restart: every record through
// Kafka's byte format, the group epoch tombstone dropping the group, timers restarted at `now`.
consumer_group replay_log(const record_log& log, std::int64_t now, std::int32_t session_timeout_ms) {
    consumer_group g{"g"};
    for (const auto& r : log.records) {
        std::optional<bytes::bytes_view> value;
        if (r.value) value = bytes::bytes_view(*r.value);
        std::string error;
        auto rec = decode_consumer_group_record(bytes::bytes_view(r.key), value, error);
        if (!rec) throw std::runtime_error("undecodable record: " + error);
        if (rec->group_id != "g") throw std::runtime_error("record of another group: " + rec->group_id);
        if (rec->type == consumer_group_metadata_type && rec->tombstone) {
            g = consumer_group{"g"};
            continue;
        }
        g.replay(*rec, now, session_timeout_ms);
    }
    g.restart_timers(now, session_timeout_ms);
    return g;
}

class ConsumerGroupRecords : public ConsumerGroup {
protected:
    response send_logged(const request& r) {
        auto before = group.persisted();
        auto resp = send(r);
        log.add(group.records_since(before));
        return resp;
    }
    consumer_group restarted() { return replay_log(log, now, config.session_timeout_ms); }

    record_log log;
};

bytes::byte_vector bytes_of(std::initializer_list<int> in) {
    bytes::byte_vector out;
    for (int b : in) out.push_back(static_cast<bytes::byte>(b));
    return out;
}

TEST(ConsumerGroupRecordBytes, GroupEpochIsKafkasLayout) {
    auto r = group_epoch_record("g", 7);
    // Key: version 3 (ConsumerGroupMetadataKey), then the group id as a non-flexible string.
    EXPECT_EQ(r.key, bytes_of({0, 3, 0, 1, 'g'}));
    // Value: version 0, Epoch int32, no tagged fields.
    ASSERT_TRUE(r.value);
    EXPECT_EQ(*r.value, bytes_of({0, 0, 0, 0, 0, 7, 0}));
    auto t = group_epoch_tombstone("g");
    EXPECT_EQ(t.key, r.key);
    EXPECT_FALSE(t.value);
}

TEST(ConsumerGroupRecordBytes, MemberMetadataOfAConsumerMemberHasNoClassicMetadata) {
    member_metadata m;
    m.client_id = "c";
    m.client_host = "/h";
    m.subscribed_topic_names = {"t"};
    m.rebalance_timeout_ms = 5;
    auto r = member_metadata_record("g", "m", m);
    EXPECT_EQ(r.key, bytes_of({0, 5, 0, 1, 'g', 0, 1, 'm'}));
    // v0, InstanceId null, RackId null, ClientId "c", ClientHost "/h", [ "t" ], regex null, 5,
    // ServerAssignor null, and no tagged field (ClassicMemberMetadata is null: left out).
    EXPECT_EQ(*r.value, bytes_of({0, 0, 0, 0, 2, 'c', 3, '/', 'h', 2, 2, 't', 0, 0, 0, 0, 5, 0, 0}));
    std::string error;
    auto back = decode_consumer_group_record(bytes::bytes_view(r.key), bytes::bytes_view(*r.value), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->type, consumer_group_member_metadata_type);
    EXPECT_EQ(back->group_id, "g");
    EXPECT_EQ(back->member_id, "m");
    EXPECT_EQ(back->metadata, m);
}

TEST(ConsumerGroupRecordBytes, EveryTypeRoundTrips) {
    const auto t1 = model::uuid::random();
    const auto t2 = model::uuid::random();
    member_assignment a;
    a.member_epoch = 9;
    a.previous_member_epoch = 8;
    a.state = member_state::unrevoked_partitions;
    a.assigned = {{t1, {0, 2}}};
    a.pending_revocation = {{t2, {1}}};
    member_metadata md;
    md.instance_id = "i";
    md.rack_id = "r";
    md.client_id = "c";
    md.client_host = "/h";
    md.subscribed_topic_names = {"a", "b"};
    md.subscribed_topic_regex = "x.*";
    md.rebalance_timeout_ms = 300000;
    md.server_assignor = "range";
    const std::map<std::string, topic_info> topics{{"a", {t1, 3}}, {"b", {t2, 2}}};
    std::string error;
    auto decode = [&](const coordinator_record& r) {
        std::optional<bytes::bytes_view> v;
        if (r.value) v = bytes::bytes_view(*r.value);
        auto out = decode_consumer_group_record(bytes::bytes_view(r.key), v, error);
        EXPECT_TRUE(out) << error;
        return out.value_or(consumer_group_record{});
    };
    EXPECT_EQ(decode(group_epoch_record("g", 4)).epoch, 4);
    EXPECT_EQ(decode(subscription_metadata_record("g", topics)).topics, topics);
    EXPECT_EQ(decode(member_metadata_record("g", "m", md)).metadata, md);
    EXPECT_EQ(decode(target_assignment_epoch_record("g", 6)).epoch, 6);
    EXPECT_EQ(decode(target_member_record("g", "m", a.assigned)).partitions, a.assigned);
    EXPECT_EQ(decode(current_assignment_record("g", "m", a)).assignment, a);
    for (const auto& t : {group_epoch_tombstone("g"), subscription_metadata_tombstone("g"),
                          member_metadata_tombstone("g", "m"), target_assignment_epoch_tombstone("g"),
                          target_member_tombstone("g", "m"), current_assignment_tombstone("g", "m")}) {
        auto d = decode(t);
        EXPECT_TRUE(d.tombstone);
        EXPECT_EQ(d.group_id, "g");
    }
    // Kafka's MemberState codes.
    EXPECT_EQ(to_record_state(member_state::stable), 0);
    EXPECT_EQ(to_record_state(member_state::unrevoked_partitions), 1);
    EXPECT_EQ(to_record_state(member_state::unreleased_partitions), 2);
}

TEST(ConsumerGroupRecordBytes, BadRecordsAreRejected) {
    std::string error;
    auto r = group_epoch_record("g", 1);
    auto longer = *r.value;
    longer.push_back(bytes::byte{0});
    EXPECT_FALSE(decode_consumer_group_record(bytes::bytes_view(r.key), bytes::bytes_view(longer), error));
    EXPECT_NE(error, "");
    auto other = bytes_of({0, 2, 0, 1, 'g'});  // GroupMetadataKey: not a consumer group record
    EXPECT_FALSE(decode_consumer_group_record(bytes::bytes_view(other), std::nullopt, error));
    auto state = current_assignment_record("g", "m", member_assignment{});
    (*state.value)[2 + 8] = bytes::byte{5};  // State after MemberEpoch and PreviousMemberEpoch
    EXPECT_FALSE(decode_consumer_group_record(bytes::bytes_view(state.key), bytes::bytes_view(*state.value), error));
}

TEST_F(ConsumerGroupRecords, ARestartedGroupHasTheSameMembersEpochsAndAssignments) {
    auto t = topics.create("orders", 4);
    send_logged(join("m1", {"orders"}));
    // m2 joins: m1 must revoke half of its partitions first (unrevoked_partitions, a rebalance timeout).
    send_logged(join("m2", {"orders"}));
    auto r1 = send_logged(beat("m1", 1, topic_partitions{{t, {0, 1, 2, 3}}}));
    ASSERT_EQ(group.find_member("m1")->state, member_state::unrevoked_partitions);
    ASSERT_EQ(group.state(), consumer_state::reconciling);

    now += 60000;  // the broker was down a minute: longer than the session timeout
    auto loaded = restarted();
    EXPECT_EQ(loaded.persisted(), group.persisted());
    EXPECT_EQ(loaded.state(), consumer_state::reconciling);
    EXPECT_EQ(loaded.group_epoch(), group.group_epoch());
    EXPECT_EQ(loaded.assignment_epoch(), group.assignment_epoch());
    for (std::int32_t p = 0; p < 4; ++p) EXPECT_EQ(loaded.partition_epoch(t, p), group.partition_epoch(t, p));
    // Timers restarted at load: nobody expires before its session (45 s) or, for m1 that still has
    // partitions to revoke, its rebalance timeout (30 s) has passed since.
    EXPECT_TRUE(loaded.expire(now + 30000 - 1, topics).empty());
    auto probe = loaded;
    EXPECT_EQ(probe.expire(now + 30000, topics), std::vector<std::string>{"m1"});

    // The members go on where they were: m1 revokes, m2 gets the freed partitions, no rejoin.
    group = std::move(loaded);
    const auto m1_epoch = group.find_member("m1")->member_epoch;
    auto remaining = group.find_member("m1")->assigned;
    auto after = send_logged(beat("m1", m1_epoch, remaining));
    ASSERT_EQ(after.error_code, 0);
    EXPECT_GT(after.member_epoch, m1_epoch);
    auto m2 = send_logged(beat("m2", group.find_member("m2")->member_epoch, topic_partitions{}));
    ASSERT_EQ(m2.error_code, 0);
    send_logged(beat("m2", m2.member_epoch, assignment_of(m2)));
    EXPECT_EQ(group.state(), consumer_state::stable);
    (void)r1;
}

TEST_F(ConsumerGroupRecords, LeavesAndStaticMembersAreReplayed) {
    topics.create("orders", 4);
    auto j = join("a1", {"orders"});
    j.instance_id = "instance-a";
    send_logged(j);
    send_logged(join("b1", {"orders"}));
    send_logged(join("c1", {"orders"}));
    send_logged(beat("c1", -1, std::nullopt));  // c1 leaves: its records become tombstones
    auto leave = beat("a1", -2, std::nullopt);  // a1 leaves temporarily, keeping its assignment
    leave.instance_id = "instance-a";
    send_logged(leave);

    auto loaded = restarted();
    EXPECT_EQ(loaded.persisted(), group.persisted());
    EXPECT_EQ(loaded.find_member("c1"), nullptr);
    ASSERT_NE(loaded.find_member("a1"), nullptr);
    EXPECT_EQ(loaded.find_member("a1")->member_epoch, -2);
    // The instance id is known again: its new process takes over without a rebalance.
    group = std::move(loaded);
    auto back = join("a2", {"orders"});
    back.instance_id = "instance-a";
    auto br = send_logged(back);
    EXPECT_EQ(br.error_code, 0);
    EXPECT_EQ(group.find_member("a1"), nullptr);
    EXPECT_EQ(restarted().persisted(), group.persisted());

    // Deleting the group (every member gone first) leaves nothing to load.
    for (const auto* id : {"a2", "b1"}) send_logged(beat(id, -1, std::nullopt));
    log.add(group.tombstones());
    auto empty = restarted();
    EXPECT_TRUE(empty.members().empty());
    EXPECT_EQ(empty.group_epoch(), 0);
}

TEST_F(ConsumerGroupRecords, ARestoredGroupIsTheGroupBeforeTheChange) {
    auto t = topics.create("orders", 4);
    auto a = send_logged(join("a1", {"orders"}));
    ASSERT_EQ(a.member_epoch, 1);
    const auto committed = group.persisted();

    // b1 joins: the group epoch and the target assignment move on, b1 waits for a1's partitions.
    auto b = send(join("b1", {"orders"}));
    ASSERT_EQ(b.error_code, 0);
    ASSERT_EQ(b.member_epoch, 2);
    ASSERT_FALSE(group.records_since(committed).empty());
    // Its records cannot be written: the change is undone, derived state included.
    group.restore(committed, now, config.session_timeout_ms);
    EXPECT_EQ(group.persisted(), committed);
    EXPECT_EQ(group.find_member("b1"), nullptr);
    EXPECT_EQ(group.group_epoch(), 1);
    EXPECT_EQ(group.target_assignment("a1"), (topic_partitions{{t, {0, 1, 2, 3}}}));
    EXPECT_EQ(group.partition_epoch(t, 0), 1);
    EXPECT_EQ(group.state(), consumer_state::stable);

    // The same join once it can be written: as if the failed one had never been.
    auto again = send_logged(join("b1", {"orders"}));
    EXPECT_EQ(again.member_epoch, 2);
    EXPECT_EQ(restarted().persisted(), group.persisted());

    // A leave undone: the member is back with its assignment and a session.
    const auto before_leave = group.persisted();
    now += 60'000;
    ASSERT_EQ(send(beat("b1", leave_group_member_epoch, std::nullopt)).error_code, 0);
    ASSERT_EQ(group.find_member("b1"), nullptr);
    group.restore(before_leave, now, config.session_timeout_ms);
    EXPECT_EQ(group.persisted(), before_leave);
    ASSERT_NE(group.find_member("b1"), nullptr);
    EXPECT_EQ(group.find_member("b1")->session_deadline_ms, now + config.session_timeout_ms);
    EXPECT_EQ(restarted().persisted(), group.persisted());
}

TEST_F(ConsumerGroupRecords, NothingIsWrittenWhenNothingChanged) {
    auto t = topics.create("orders", 2);
    auto r = send_logged(join("m1", {"orders"}));
    const auto written = log.records.size();
    EXPECT_GE(written, 6u);  // member, topics, epoch, target member, target epoch, current assignment
    send_logged(beat("m1", r.member_epoch, topic_partitions{{t, {0, 1}}}));
    send_logged(beat("m1", r.member_epoch, std::nullopt));
    EXPECT_EQ(log.records.size(), written);
}

struct sim_client {
    std::string id;
    std::int32_t epoch = 0;
    topic_partitions owned;
    bool alive = true;
    bool report_changes_only = false;
    bool owned_changed = true;
    std::int64_t last_beat_ms = 0;
};

RC_GTEST_PROP(ConsumerGroupSimulation, NoPartitionHasTwoOwnersAndTheGroupConverges, ()) {
    fake_topics topics;
    consumer_group_config config;
    config.assignors = {find_assignor(*rc::gen::element<std::string>("uniform", "range"))};
    consumer_group group{"g"};
    std::int64_t now = 0;
    std::vector<std::string> names;
    const auto topic_count = *rc::gen::inRange(1, 4);
    for (int i = 0; i < topic_count; ++i) {
        names.push_back("t" + std::to_string(i));
        topics.create(names.back(), *rc::gen::inRange(1, 13));
    }
    std::vector<sim_client> clients;
    int next_id = 0;
    record_log log;
    bool writes_fail_sometimes = true;  // until the group quiesces at the end

    auto heartbeat = [&](sim_client& c) {
        request r;
        r.group_id = "g";
        r.member_id = c.id;
        r.member_epoch = c.epoch;
        if (c.epoch == 0) {
            r.rebalance_timeout_ms = 10000;
            r.subscribed_topic_names = names;
            r.topic_partitions.emplace();
            c.owned.clear();
        } else if (!c.report_changes_only || c.owned_changed) {
            r.topic_partitions.emplace();
            for (const auto& [t, ps] : c.owned)
                r.topic_partitions->push_back({t, {ps.begin(), ps.end()}, {}});
        }
        c.owned_changed = false;
        c.last_beat_ms = now;
        RC_ASSERT(!validate_heartbeat(r, 1, config).has_value());
        heartbeat_context ctx;
        ctx.now_ms = now;
        auto before = group.persisted();
        auto resp = group.heartbeat(r, ctx, topics, config);
        auto records = group.records_since(before);
        if (writes_fail_sometimes && !records.empty() && *rc::gen::inRange(0, 8) == 0) {
            // The records cannot be written: the coordinator undoes the change and answers
            // COORDINATOR_NOT_AVAILABLE; the client keeps what it has and heartbeats again later.
            group.restore(before, now, config.session_timeout_ms);
            RC_ASSERT(group.persisted() == before);
            RC_ASSERT(group.records_since(before).empty());
            c.owned_changed = true;  // after an error the client sends a full heartbeat
            return;
        }
        log.add(std::move(records));
        if (resp.error_code != 0) {
            // Fenced or unknown: lose everything and rejoin.
            RC_ASSERT(resp.error_code == static_cast<std::int16_t>(ec::fenced_member_epoch) ||
                      resp.error_code == static_cast<std::int16_t>(ec::unknown_member_id));
            c.epoch = 0;
            c.owned.clear();
            return;
        }
        c.epoch = resp.member_epoch;
        if (resp.assignment) {
            c.owned = assignment_of(resp);
            c.owned_changed = true;
        }
    };
    auto no_double_ownership = [&] {
        std::set<std::pair<model::uuid, std::int32_t>> seen;
        for (const auto& c : clients) {
            if (!c.alive) continue;
            for (const auto& [t, ps] : c.owned) {
                for (auto p : ps) RC_ASSERT(seen.insert({t, p}).second);
            }
        }
    };
    // Time passes: live clients heartbeat at least every 5 s (well inside the 45 s session and the
    // 10 s rebalance timeout); dead ones expire.
    auto tick = [&](std::int64_t ms) {
        now += ms;
        for (auto& c : clients) {
            if (c.alive && now - c.last_beat_ms >= 5000) heartbeat(c);
        }
        auto before = group.persisted();
        group.expire(now, topics);
        log.add(group.records_since(before));
        no_double_ownership();
    };

    const auto steps = *rc::gen::inRange(10, 120);
    for (int s = 0; s < steps; ++s) {
        const auto action = *rc::gen::inRange(0, 10);
        if (action == 0 || clients.empty()) {
            sim_client c;
            c.id = "m" + std::to_string(next_id++);
            c.report_changes_only = *rc::gen::arbitrary<bool>();
            clients.push_back(c);
            heartbeat(clients.back());
        } else if (action == 1) {
            // A client dies: it stops heartbeating; its session expires later.
            clients[*rc::gen::inRange<std::size_t>(0, clients.size())].alive = false;
        } else if (action == 2) {
            auto& c = clients[*rc::gen::inRange<std::size_t>(0, clients.size())];
            if (c.alive && c.epoch > 0) {
                auto before = group.persisted();
                group.heartbeat(beat(c.id, -1, std::nullopt), heartbeat_context{1, "", "", now}, topics,
                                config);
                log.add(group.records_since(before));
                c.alive = false;
            }
        } else if (action == 4) {
            // The broker restarts: the group is rebuilt from its records and must be the same.
            auto loaded = replay_log(log, now, config.session_timeout_ms);
            RC_ASSERT(loaded.persisted() == group.persisted());
            RC_ASSERT(loaded.state() == group.state());
            group = std::move(loaded);
        } else if (action == 3) {
            topics.set_partitions(names[0], topics.find(names[0])->partitions + 1);
        } else {
            auto& c = clients[*rc::gen::inRange<std::size_t>(0, clients.size())];
            if (c.alive) heartbeat(c);
        }
        no_double_ownership();
        tick(*rc::gen::inRange(0, 3000));
    }

    // Quiesce: a minute passes (dead members expire), then every live client heartbeats a few rounds.
    writes_fail_sometimes = false;
    for (int i = 0; i < 12; ++i) tick(5000);
    bool any_alive = false;
    for (const auto& c : clients) any_alive |= c.alive;
    for (int round = 0; round < 8; ++round) {
        for (auto& c : clients) {
            if (c.alive) heartbeat(c);
            no_double_ownership();
        }
    }
    if (!any_alive) {
        RC_ASSERT(group.state() == consumer_state::empty);
        return;
    }
    RC_ASSERT(group.state() == consumer_state::stable);
    std::size_t owned = 0, total = 0;
    for (const auto& c : clients) {
        if (c.alive) owned += partition_count(c.owned);
    }
    topics.for_each([&](const std::string&, const topic_info& info) {
        total += static_cast<std::size_t>(info.partitions);
    });
    RC_ASSERT(owned == total);
}

}  // namespace
}  // namespace tributary::groups
