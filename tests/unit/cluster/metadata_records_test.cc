#include "cluster/metadata_records.h"

#include <gtest/gtest.h>

namespace tributary::cluster {
namespace {

// Bytes written by Kafka 4.4's own MetadataRecordSerde (kafka-metadata jar) for the same records.
bytes::byte_vector hex(std::string_view h) {
    bytes::byte_vector out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<bytes::byte>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

model::uuid topic_id() {
    model::uuid id;
    EXPECT_TRUE(model::uuid::parse("ASNFZ4mrze8P7cuph2VDIQ", id));
    return id;
}

bytes::byte_vector encode(const metadata_record& r) {
    bytes::byte_vector out;
    encode_metadata_record(r, out);
    return out;
}

void expect_round_trip(const metadata_record& r, std::string_view kafka_bytes) {
    auto bytes = encode(r);
    EXPECT_EQ(bytes, hex(kafka_bytes)) << record_name(r);
    decoded_record d;
    std::string error;
    ASSERT_TRUE(decode_metadata_record(bytes, d, error)) << error;
    EXPECT_EQ(d.record, r);
    EXPECT_EQ(d.version, 0);
}

TEST(MetadataRecords, TopicRecordMatchesKafka) {
    protocol::topic_record r;
    r.name = "orders";
    r.topic_id = topic_id();
    expect_round_trip(r, "010200076f72646572730123456789abcdef0fedcba98765432100");
}

TEST(MetadataRecords, PartitionRecordMatchesKafka) {
    protocol::partition_record r;
    r.partition_id = 2;
    r.topic_id = topic_id();
    r.replicas = {model::node_id(1)};
    r.isr = {1};
    r.leader = model::node_id(1);
    r.leader_epoch = 0;
    r.partition_epoch = 0;
    expect_round_trip(r, "010300000000020123456789abcdef0fedcba98765432102000000010200000001010100000001000000000000000000");
}

TEST(MetadataRecords, ConfigRecordsMatchKafka) {
    protocol::config_record set;
    set.resource_type = 2;
    set.resource_name = "orders";
    set.name = "retention.ms";
    set.value = "1000";
    expect_round_trip(set, "01040002076f72646572730d726574656e74696f6e2e6d73053130303000");
    protocol::config_record removed;
    removed.resource_type = 4;
    removed.resource_name = "";
    removed.name = "log.retention.ms";
    removed.value = std::nullopt;
    expect_round_trip(removed, "0104000401116c6f672e726574656e74696f6e2e6d730000");
}

TEST(MetadataRecords, RemoveTopicProducerIdsAndFeatureMatchKafka) {
    protocol::remove_topic_record rm;
    rm.topic_id = topic_id();
    expect_round_trip(rm, "0109000123456789abcdef0fedcba98765432100");
    protocol::producer_ids_record p;
    p.broker_id = model::node_id(1);
    p.broker_epoch = -1;
    p.next_producer_id = 2000;
    expect_round_trip(p, "010f0000000001ffffffffffffffff00000000000007d000");
    protocol::feature_level_record f;
    f.name = std::string(metadata_format_feature);
    f.feature_level = metadata_format_level;
    expect_round_trip(f, "010c001a7472696275746172792e6d657461646174612e666f726d6174000100");
}

TEST(MetadataRecords, UnknownTypesFramesAndTrailingBytesAreRejected) {
    decoded_record d;
    std::string error;
    EXPECT_FALSE(decode_metadata_record(hex("011100"), d, error));  // type 17: RegisterBrokerRecord's slot... unknown to us
    EXPECT_NE(error.find("unknown metadata record type"), std::string::npos);
    EXPECT_FALSE(decode_metadata_record(hex("0009000123456789abcdef0fedcba98765432100"), d, error));
    EXPECT_NE(error.find("frame version"), std::string::npos);
    EXPECT_FALSE(decode_metadata_record(hex("0109000123456789abcdef0fedcba9876543210000ff"), d, error));
    EXPECT_NE(error.find("after"), std::string::npos);
    EXPECT_FALSE(decode_metadata_record(hex("010900012345"), d, error));
    EXPECT_FALSE(decode_metadata_record({}, d, error));
}

}  // namespace
}  // namespace tributary::cluster
