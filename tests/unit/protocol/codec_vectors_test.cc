// Generated codecs against bytes worked out by hand from Kafka's protocol rules, and malformed input for
// every kind of field: each must give a typed decode_error, never a crash or an out-of-bounds read (the
// asan build checks the latter).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/messages/describe_topic_partitions_request.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/produce_request.h"
#include "protocol/messages/produce_response.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/sasl_authenticate_request.h"
#include "protocol/wire.h"

namespace tributary::protocol {
namespace {

using bytes::decode_error;

// "00 12 'ab'" -> {0x00, 0x12, 'a', 'b'}: hex bytes and quoted ASCII, separated by spaces.
bytes::byte_vector wire_bytes(std::string_view text) {
    bytes::byte_vector out;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == ' ') {
            ++i;
        } else if (text[i] == '\'') {
            std::size_t end = text.find('\'', i + 1);
            for (std::size_t j = i + 1; j < end; ++j) out.push_back(static_cast<std::uint8_t>(text[j]));
            i = end + 1;
        } else {
            out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
            i += 2;
        }
    }
    return out;
}

template <typename T>
bytes::byte_vector encode(const T& message, std::int16_t version) {
    bytes::writer w;
    message.encode(w, version);
    return w.to_vector();
}

// Decodes `input` completely, returning the reader's error (trailing_bytes if bytes are left over).
template <typename T>
decode_error decode(const bytes::byte_vector& input, std::int16_t version, T& out) {
    bytes::reader r(input);
    out.decode(r, version);
    if (r.ok() && !r.at_end()) return decode_error::trailing_bytes;
    return r.error();
}

template <typename T>
decode_error decode_error_of(std::string_view text, std::int16_t version) {
    T message;
    return decode(wire_bytes(text), version, message);
}

// ---- hand-checked encodings ----------------------------------------------------------------------------

TEST(CodecVectors, RequestHeaderV2KeepsAClassicNullableClientIdAndAddsTaggedFields) {
    request_header h;
    h.request_api_key = 18;
    h.request_api_version = 3;
    h.correlation_id = 1;
    h.client_id = "rdkafka";
    const auto expected = wire_bytes("00 12 00 03 00 00 00 01 00 07 'rdkafka' 00");
    EXPECT_EQ(encode(h, 2), expected);

    request_header decoded;
    ASSERT_EQ(decode(expected, 2, decoded), decode_error::none);
    EXPECT_EQ(decoded, h);
}

TEST(CodecVectors, RequestHeaderV1WithNullClientId) {
    request_header h;
    h.request_api_key = 3;
    h.request_api_version = 8;
    h.correlation_id = 0x01020304;
    h.client_id = std::nullopt;
    EXPECT_EQ(encode(h, 1), wire_bytes("00 03 00 08 01 02 03 04 ff ff"));
}

TEST(CodecVectors, ApiVersionsV3RequestUsesCompactStrings) {
    api_versions_request req;
    req.client_software_name = "librdkafka";
    req.client_software_version = "2.0.2";
    const auto expected = wire_bytes("0b 'librdkafka' 06 '2.0.2' 00");
    EXPECT_EQ(encode(req, 3), expected);
    api_versions_request decoded;
    ASSERT_EQ(decode(expected, 3, decoded), decode_error::none);
    EXPECT_EQ(decoded, req);
    // v0-2 have no fields at all.
    EXPECT_TRUE(encode(req, 2).empty());
}

TEST(CodecVectors, ApiVersionsV3ResponseWritesOnlyNonDefaultTaggedFields) {
    api_versions_response resp;
    resp.api_keys.push_back({.api_key = 0, .min_version = 0, .max_version = 13});
    resp.api_keys.push_back({.api_key = 18, .min_version = 0, .max_version = 4});
    resp.finalized_features_epoch = 5;
    const auto expected = wire_bytes(
        "00 00"                          // error_code
        " 03 00 00 00 00 00 0d 00"       // api_keys: 2 entries (compact 3), each with an empty tag section
        " 00 12 00 00 00 04 00"
        " 00 00 00 00"                   // throttle_time_ms
        " 01 01 08 00 00 00 00 00 00 00 05");  // one tagged field: tag 1, 8 bytes, epoch 5
    EXPECT_EQ(encode(resp, 3), expected);
    api_versions_response decoded;
    ASSERT_EQ(decode(expected, 3, decoded), decode_error::none);
    EXPECT_EQ(decoded, resp);

    // At the default epoch (-1) the tagged field is left out.
    resp.finalized_features_epoch = -1;
    EXPECT_EQ(encode(resp, 3), wire_bytes("00 00 03 00 00 00 00 00 0d 00 00 12 00 00 00 04 00 00 00 00 00 00"));
}

TEST(CodecVectors, MetadataV12RequestWithTopicIdAndName) {
    metadata_request req;
    req.topics.emplace();
    req.topics->push_back({.topic_id = {}, .name = "foo"});
    req.allow_auto_topic_creation = true;
    req.include_topic_authorized_operations = false;
    const auto expected = wire_bytes(
        "02"                                                 // topics: 1 entry
        " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"  // topic_id
        " 04 'foo' 00"                                      // name, empty tag section
        " 01 00 00");                                       // allow_auto, include_topic_ops, tags
    EXPECT_EQ(encode(req, 12), expected);
    metadata_request decoded;
    ASSERT_EQ(decode(expected, 12, decoded), decode_error::none);
    EXPECT_EQ(decoded, req);
}

TEST(CodecVectors, MetadataNullTopicsMeansAllTopics) {
    metadata_request all;
    all.topics = std::nullopt;
    EXPECT_EQ(encode(all, 12), wire_bytes("00 01 00 00"));
    EXPECT_EQ(encode(all, 1), wire_bytes("ff ff ff ff"));
    EXPECT_TRUE(metadata_request{}.allow_auto_topic_creation);  // schema default "true"
}

TEST(CodecVectors, ProduceV9RecordsPointIntoTheRequestBuffer) {
    const auto frame = wire_bytes(
        "00"             // transactional_id: null
        " ff ff"         // acks -1
        " 00 00 03 e8"   // timeout 1000
        " 02 04 'foo'"   // 1 topic "foo"
        " 02 00 00 00 07 04 'abc' 00"  // 1 partition: index 7, 3 bytes of records
        " 00 00");
    produce_request req;
    ASSERT_EQ(decode(frame, 9, req), decode_error::none);
    EXPECT_FALSE(req.transactional_id.has_value());
    EXPECT_EQ(req.acks, -1);
    ASSERT_EQ(req.topic_data.size(), 1u);
    const auto& partition = req.topic_data[0].partition_data.at(0);
    EXPECT_EQ(partition.index, 7);
    ASSERT_FALSE(partition.records.is_null());
    EXPECT_EQ(bytes::as_chars(partition.records.data()), "abc");
    EXPECT_GE(partition.records.data().data(), frame.data());
    EXPECT_LT(partition.records.data().data(), frame.data() + frame.size());
    EXPECT_EQ(encode(req, 9), frame);
}

TEST(CodecVectors, ProduceNullRecords) {
    produce_request req;
    req.topic_data.push_back({.name = "t", .topic_id = {}, .partition_data = {{.index = 0}}});
    // v3 (classic): records length -1.
    EXPECT_EQ(encode(req, 3), wire_bytes("ff ff 00 00 00 00 00 00 00 00 00 01 00 01 't' "
                                          "00 00 00 01 00 00 00 00 ff ff ff ff"));
}

TEST(CodecVectors, ProduceV13NamesTopicsById) {
    produce_request req;
    req.topic_data.push_back({.name = "ignored in v13", .topic_id = {}, .partition_data = {}});
    req.topic_data[0].topic_id.bytes[15] = 0x2a;
    EXPECT_EQ(encode(req, 13),
              wire_bytes("00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2a 01 00 00"));
}

TEST(CodecVectors, NullableStructUsesAnInt8Marker) {
    describe_topic_partitions_request req;
    req.response_partition_limit = 2000;
    EXPECT_EQ(encode(req, 0), wire_bytes("01 00 00 07 d0 ff 00"));
    req.cursor.emplace();
    req.cursor->topic_name = "a";
    req.cursor->partition_index = 3;
    const auto expected = wire_bytes("01 00 00 07 d0 01 02 'a' 00 00 00 03 00 00");
    EXPECT_EQ(encode(req, 0), expected);
    describe_topic_partitions_request decoded;
    ASSERT_EQ(decode(expected, 0, decoded), decode_error::none);
    EXPECT_EQ(decoded, req);
}

TEST(CodecVectors, UnknownTaggedFieldsSurviveARoundTrip) {
    const auto input = wire_bytes("02 'x' 02 'y' 02 07 02 'ab' 09 00");
    api_versions_request req;
    ASSERT_EQ(decode(input, 3, req), decode_error::none);
    ASSERT_EQ(req.unknown_tagged_fields.size(), 2u);
    EXPECT_EQ(req.unknown_tagged_fields[0].tag, 7u);
    EXPECT_EQ(req.unknown_tagged_fields[1].tag, 9u);
    EXPECT_TRUE(req.unknown_tagged_fields[1].data.empty());
    EXPECT_EQ(encode(req, 3), input);
}

TEST(CodecVectors, UnknownTagsInterleaveWithKnownOnesInTagOrder) {
    std::vector<tagged_field> unknown{{0, {0xa0}}, {2, {0xa2}}, {9, {0xa9}}};
    wire::tagged_fields_writer tags(unknown);
    tags.add(1).write_int8(1);
    tags.add(4).write_int8(4);
    bytes::writer w;
    tags.finish(w);
    EXPECT_EQ(w.to_vector(), wire_bytes("05 00 01 a0 01 01 01 02 01 a2 04 01 04 09 01 a9"));
}

TEST(CodecVectors, ApiVersionsV5AddsNullableClusterIdAndNodeId) {
    api_versions_request req;
    req.client_software_name = "n";
    req.client_software_version = "v";
    EXPECT_EQ(encode(req, 5), wire_bytes("02 'n' 02 'v' 00 ff ff ff ff 00"));
    req.cluster_id = "c";
    req.node_id = 3;
    EXPECT_EQ(encode(req, 5), wire_bytes("02 'n' 02 'v' 02 'c' 00 00 00 03 00"));
}

TEST(CodecVectors, ResponsesCanBeBuiltWithDesignatedInitializers) {
    // The shape used in docs/formats/protocol-codegen.md.
    produce_response resp;
    resp.responses.push_back({.name = "t", .partition_responses = {{.index = 0, .base_offset = 42}}});
    const auto bytes = encode(resp, 9);
    produce_response decoded;
    ASSERT_EQ(decode(bytes, 9, decoded), decode_error::none);
    EXPECT_EQ(decoded.responses.at(0).partition_responses.at(0).base_offset, 42);
    EXPECT_EQ(decoded.responses.at(0).partition_responses.at(0).log_append_time_ms, -1);  // default
    EXPECT_EQ(decoded, resp);
}

// ---- malformed input: one typed error per kind of field --------------------------------------------------

TEST(MalformedInput, UnsupportedVersion) {
    EXPECT_EQ(decode_error_of<produce_request>("", 2), decode_error::unsupported_version);
    EXPECT_EQ(decode_error_of<produce_request>("", 14), decode_error::unsupported_version);
    EXPECT_EQ(decode_error_of<request_header>("", 0), decode_error::unsupported_version);
}

TEST(MalformedInput, TruncatedFields) {
    const auto bytes = wire_bytes("00 12 00 03 00 00 00 01 00 07 'rdkafka' 00");
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        request_header h;
        bytes::byte_vector prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
        // Inside the string the length prefix promises more than remains.
        const bool in_string = n >= 10 && n < 17;
        EXPECT_EQ(decode(prefix, 2, h), in_string ? decode_error::length_too_large : decode_error::short_buffer)
            << n;
    }
}

TEST(MalformedInput, ClassicStringLengthBelowMinusOne) {
    EXPECT_EQ(decode_error_of<request_header>("00 12 00 03 00 00 00 01 ff fe", 1), decode_error::negative_length);
}

TEST(MalformedInput, NullWhereTheStringIsNotNullable) {
    EXPECT_EQ(decode_error_of<api_versions_request>("00 00 00", 3), decode_error::negative_length);
    EXPECT_EQ(decode_error_of<metadata_request>("00 00 00 01 ff ff", 0), decode_error::negative_length);
}

TEST(MalformedInput, StringLongerThanTheBuffer) {
    EXPECT_EQ(decode_error_of<request_header>("00 12 00 03 00 00 00 01 00 08 'rdkafka'", 1),
              decode_error::length_too_large);
    EXPECT_EQ(decode_error_of<api_versions_request>("10 'abc'", 3), decode_error::length_too_large);
}

TEST(MalformedInput, StringLongerThanKafkasLimit) {
    // 32768 bytes, compact length 32769 = uvarint 81 80 02.
    bytes::byte_vector input = wire_bytes("81 80 02");
    input.resize(input.size() + 32768, 'a');
    input.push_back(0x01);
    input.push_back('v');
    input.push_back(0x00);
    api_versions_request req;
    EXPECT_EQ(decode(input, 3, req), decode_error::length_too_large);
}

TEST(MalformedInput, HostileArrayCountDoesNotAllocate) {
    EXPECT_EQ(decode_error_of<metadata_request>("7f ff ff ff 00 01 'a'", 0), decode_error::length_too_large);
    EXPECT_EQ(decode_error_of<metadata_request>("ff ff ff ff 0f 00 00 00", 12), decode_error::length_too_large);
    // Each element needs at least 2 bytes in v0 (an empty string): 3 elements cannot fit in 5 bytes.
    EXPECT_EQ(decode_error_of<metadata_request>("00 00 00 03 00 00 00 00 00", 0), decode_error::length_too_large);
}

TEST(MalformedInput, ArrayLengthBelowMinusOne) {
    EXPECT_EQ(decode_error_of<metadata_request>("ff ff ff fe", 1), decode_error::negative_length);
}

TEST(MalformedInput, OverlongVarint) {
    EXPECT_EQ(decode_error_of<metadata_request>("ff ff ff ff ff ff", 12), decode_error::bad_varint);
}

TEST(MalformedInput, BytesFieldLengths) {
    EXPECT_EQ(decode_error_of<sasl_authenticate_request>("ff ff ff ff", 0), decode_error::negative_length);
    EXPECT_EQ(decode_error_of<sasl_authenticate_request>("00 00 00 05 'abc'", 0),
              decode_error::length_too_large);
    EXPECT_EQ(decode_error_of<sasl_authenticate_request>("00 00 00 03 'abc'", 0), decode_error::none);
}

TEST(MalformedInput, RecordsLengths) {
    const std::string prefix = "ff ff 00 01 00 00 00 00 00 00 00 01 00 01 't' 00 00 00 01 00 00 00 00 ";
    EXPECT_EQ(decode_error_of<produce_request>(prefix + "ff ff ff fe", 3), decode_error::negative_length);
    EXPECT_EQ(decode_error_of<produce_request>(prefix + "00 00 00 09 'abc'", 3), decode_error::length_too_large);
    EXPECT_EQ(decode_error_of<produce_request>(prefix + "ff ff ff ff", 3), decode_error::none);
}

TEST(MalformedInput, TruncatedUuid) {
    EXPECT_EQ(decode_error_of<metadata_request>("02 00 00 00 00", 12), decode_error::short_buffer);
}

TEST(MalformedInput, NullableStructMarkerOtherThanMinusOneOrOne) {
    EXPECT_EQ(decode_error_of<describe_topic_partitions_request>("01 00 00 07 d0 02 00", 0),
              decode_error::invalid_value);
    EXPECT_EQ(decode_error_of<describe_topic_partitions_request>("01 00 00 07 d0 00 00", 0),
              decode_error::invalid_value);
}

TEST(MalformedInput, TaggedFieldSizes) {
    const std::string head = "00 00 01 00 00 00 00";  // error, no api keys, throttle
    // A known tag whose value is shorter or longer than its size.
    EXPECT_EQ(decode_error_of<api_versions_response>(head + " 01 01 09 00 00 00 00 00 00 00 05 00", 3),
              decode_error::invalid_value);
    EXPECT_EQ(decode_error_of<api_versions_response>(head + " 01 01 07 00 00 00 00 00 00 05", 3),
              decode_error::short_buffer);
    // A size beyond the buffer, and a hostile tag count.
    EXPECT_EQ(decode_error_of<api_versions_response>(head + " 01 09 05 00", 3), decode_error::short_buffer);
    EXPECT_EQ(decode_error_of<api_versions_response>(head + " ff ff ff ff 0f 00", 3),
              decode_error::length_too_large);
}

TEST(MalformedInput, EveryPrefixOfAValidMessageFailsCleanly) {
    produce_request req;
    req.transactional_id = "txn";
    req.topic_data.push_back({.name = "topic", .topic_id = {}, .partition_data = {{.index = 1}}});
    req.topic_data[0].partition_data[0].records = records::owned(bytes::byte_vector(600, 0x5a));
    req.unknown_tagged_fields.push_back({3, {1, 2, 3}});
    for (std::int16_t version : {3, 8, 9, 12, 13}) {
        const auto full = encode(req, version);
        for (std::size_t n = 0; n < full.size(); ++n) {
            bytes::byte_vector prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
            produce_request decoded;
            EXPECT_NE(decode(prefix, version, decoded), decode_error::none) << version << " " << n;
        }
        produce_request decoded;
        EXPECT_EQ(decode(full, version, decoded), decode_error::none);
    }
}

TEST(Encoding, NullWhereTheVersionIsNotNullableIsWrittenAsEmpty) {
    metadata_request req;
    req.topics = std::nullopt;
    EXPECT_EQ(encode(req, 0), wire_bytes("00 00 00 00"));  // v0: topics not nullable
}

TEST(Encoding, LargeRecordsAreReferencedNotCopied) {
    auto payload = std::make_shared<bytes::byte_vector>(4096, 0x11);
    produce_request req;
    req.topic_data.push_back({.name = "t", .topic_id = {}, .partition_data = {{.index = 0}}});
    req.topic_data[0].partition_data[0].records = records::borrowed(*payload, payload);
    bytes::writer w;
    req.encode(w, 9);
    bool referenced = false;
    for (auto fragment : w.fragments()) referenced |= fragment.data() == payload->data();
    EXPECT_TRUE(referenced);
}

}  // namespace
}  // namespace tributary::protocol
