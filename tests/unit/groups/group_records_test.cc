#include "groups/group_records.h"

#include <gtest/gtest.h>

#include "groups/coordinator_key.h"

namespace tributary::groups {
namespace {

bytes::byte_vector bytes_of(std::initializer_list<int> v) {
    bytes::byte_vector out;
    for (int b : v) out.push_back(static_cast<bytes::byte>(b));
    return out;
}

TEST(group_records, OffsetCommitKeyIsVersionOneThenGroupTopicPartition) {
    // Kafka's GroupMetadataManager.offsetCommitKey("g", new TopicPartition("t", 7)).
    EXPECT_EQ(encode_offset_commit_key("g", "t", 7),
              bytes_of({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 7}));
}

TEST(group_records, OffsetCommitValueIsVersionThreeWithoutExpiry) {
    offset_commit_value v;
    v.offset = 5;
    v.leader_epoch = 2;
    v.metadata = "m";
    v.commit_timestamp = 0x0102;
    EXPECT_EQ(encode_offset_commit_value(v),
              bytes_of({0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2, 0, 1, 'm', 0, 0, 0, 0, 0, 0, 1, 2}));
}

TEST(group_records, OffsetCommitValueWithAnExpiryIsVersionOne) {
    offset_commit_value v;
    v.offset = 1;
    v.metadata = "";
    v.commit_timestamp = 2;
    v.expire_timestamp = 3;
    EXPECT_EQ(encode_offset_commit_value(v),
              bytes_of({0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3}));
    std::string error;
    auto back = decode_offset_commit_value(encode_offset_commit_value(v), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->expire_timestamp, 3);
    EXPECT_EQ(back->leader_epoch, -1);  // not in v1
}

TEST(group_records, OffsetCommitValueRoundTrips) {
    offset_commit_value v{42, 7, "meta", 1234, -1};
    std::string error;
    auto back = decode_offset_commit_value(encode_offset_commit_value(v), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(*back, v);
}

TEST(group_records, GroupMetadataKeyIsVersionTwoThenGroup) {
    EXPECT_EQ(encode_group_metadata_key("ab"), bytes_of({0, 2, 0, 2, 'a', 'b'}));
}

TEST(group_records, GroupMetadataValueRoundTripsAtVersionThree) {
    group_metadata_value v;
    v.protocol_type = "consumer";
    v.generation = 3;
    v.protocol = "range";
    v.leader = "m-1";
    v.current_state_timestamp = 99;
    group_metadata_value::member_metadata m;
    m.member_id = "m-1";
    m.group_instance_id = "i-1";
    m.client_id = "c";
    m.client_host = "/127.0.0.1";
    m.rebalance_timeout = 300000;
    m.session_timeout = 45000;
    m.subscription = bytes_of({1, 2});
    m.assignment = bytes_of({3});
    v.members.push_back(m);
    auto encoded = encode_group_metadata_value(v);
    ASSERT_GE(encoded.size(), 2u);
    EXPECT_EQ(encoded[0], bytes::byte{0});
    EXPECT_EQ(encoded[1], bytes::byte{3});
    std::string error;
    auto back = decode_group_metadata_value(encoded, error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(*back, v);
}

TEST(group_records, KeysDecodeToTheirRecordType) {
    std::string error;
    auto k = decode_record_key(encode_offset_commit_key("g", "t", 7), error);
    ASSERT_TRUE(k) << error;
    EXPECT_TRUE(k->is_offset_commit());
    EXPECT_EQ(k->group, "g");
    EXPECT_EQ(k->topic, "t");
    EXPECT_EQ(k->partition, 7);
    auto g = decode_record_key(encode_group_metadata_key("grp"), error);
    ASSERT_TRUE(g) << error;
    EXPECT_TRUE(g->is_group_metadata());
    EXPECT_EQ(g->group, "grp");
    // A KIP-848 key (ConsumerGroupMetadataKey, type 3): the group id is found, the rest left alone.
    auto c = decode_record_key(bytes_of({0, 3, 0, 1, 'x'}), error);
    ASSERT_TRUE(c) << error;
    EXPECT_EQ(c->type, 3);
    EXPECT_EQ(c->group, "x");
}

TEST(group_records, TruncatedOrTrailingBytesAreRefused) {
    std::string error;
    EXPECT_FALSE(decode_record_key(bytes_of({0}), error));
    EXPECT_FALSE(decode_record_key(bytes_of({0, 1, 0, 1, 'g'}), error));
    auto key = encode_group_metadata_key("g");
    key.push_back(bytes::byte{0});
    EXPECT_FALSE(decode_record_key(key, error));
    EXPECT_FALSE(decode_offset_commit_value(bytes_of({0, 9, 0}), error));
}

TEST(coordinator_key, JavaStringHashMatchesJava) {
    EXPECT_EQ(java_string_hash(""), 0);
    EXPECT_EQ(java_string_hash("a"), 97);
    EXPECT_EQ(java_string_hash("hello"), 99162322);
    // U+00E9 is one UTF-16 unit; U+1F600 is the surrogate pair D83D DE00.
    EXPECT_EQ(java_string_hash("\xc3\xa9"), 0xe9);
    EXPECT_EQ(java_string_hash("\xf0\x9f\x98\x80"), 31 * 0xd83d + 0xde00);
}

TEST(coordinator_key, PartitionUsesKafkasAbsSoMinValueMapsToZero) {
    // "polygenelubricants".hashCode() is Integer.MIN_VALUE; Utils.abs makes it 0.
    EXPECT_EQ(java_string_hash("polygenelubricants"), INT32_MIN);
    EXPECT_EQ(partition_for_group("polygenelubricants", 50), 0);
    // Negative hashes are made positive before the modulo.
    const std::int32_t h = java_string_hash("console-consumer-12345");
    const std::int32_t expected = (h < 0 ? -h : h) % 50;
    EXPECT_EQ(partition_for_group("console-consumer-12345", 50), expected);
    EXPECT_EQ(partition_for_group("hello", 50), 99162322 % 50);
}

}  // namespace
}  // namespace tributary::groups
