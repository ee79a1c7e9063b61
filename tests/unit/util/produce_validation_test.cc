#include "protocol/produce_validation.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_reader.h"

using namespace tributary;
using namespace tributary::protocol;
using model::error_code;
namespace bf = protocol::batch_format;

namespace {

constexpr std::int64_t now = 1'700'000'000'000;

bytes::bytes_view as_bytes(const std::string& s) {
    return bytes::bytes_view(reinterpret_cast<const bytes::byte*>(s.data()), s.size());
}

bytes::byte_vector batch_of(int records, util::compression_type codec = util::compression_type::none,
                            std::int64_t timestamp = now) {
    record_batch_builder b(codec);
    const std::string value = "value";
    for (int i = 0; i < records; ++i) b.add(timestamp, std::nullopt, as_bytes(value));
    return *b.build();
}

void fix_crc(bytes::byte_vector& batch) { bytes::store_be32(batch.data() + bf::crc_at, compute_crc(batch)); }

produce_validation check(const bytes::byte_vector& data, produce_limits limits = {}, std::int16_t version = 9) {
    record_reader reader;
    return validate_produced_records(data, version, limits, now, reader);
}

TEST(ProduceValidation, AcceptsWellFormedBatchesOfEveryCodec) {
    for (auto codec : {util::compression_type::none, util::compression_type::gzip, util::compression_type::snappy,
                       util::compression_type::lz4, util::compression_type::zstd}) {
        auto r = check(batch_of(5, codec));
        EXPECT_TRUE(r.ok()) << static_cast<int>(codec) << ": " << r.message.value_or("");
    }
}

TEST(ProduceValidation, ABadCrcIsCorruptMessage) {
    auto b = batch_of(3);
    b.back() ^= 0x01;
    EXPECT_EQ(check(b).error, error_code::corrupt_message);
}

TEST(ProduceValidation, MagicOutsideEveryFormatIsCorruptAndOldMagicIsInvalidRecord) {
    auto b = batch_of(1);
    b[bf::magic_at] = static_cast<bytes::byte>(7);
    EXPECT_EQ(check(b).error, error_code::corrupt_message);
    b[bf::magic_at] = static_cast<bytes::byte>(1);
    EXPECT_EQ(check(b).error, error_code::invalid_record);
}

TEST(ProduceValidation, ATruncatedBatchIsNoBatchAtAll) {
    auto b = batch_of(3);
    b.resize(b.size() - 1);
    auto r = check(b);
    EXPECT_EQ(r.error, error_code::invalid_record);
    EXPECT_NE(r.message->find("at least one record batch"), std::string::npos);
}

TEST(ProduceValidation, ASizeBelowAnyHeaderIsCorrupt) {
    auto b = batch_of(1);
    bytes::store_be32(b.data() + bf::batch_length_at, 5);
    EXPECT_EQ(check(b).error, error_code::corrupt_message);
}

TEST(ProduceValidation, TwoBatchesAreRefused) {
    auto b = batch_of(1);
    auto second = batch_of(1);
    b.insert(b.end(), second.begin(), second.end());
    EXPECT_EQ(check(b).error, error_code::invalid_record);
}

TEST(ProduceValidation, ANonZeroBaseOffsetIsInvalidRecord) {
    auto b = batch_of(2);
    bytes::store_be64(b.data() + bf::base_offset_at, 7);
    EXPECT_EQ(check(b).error, error_code::invalid_record);
}

TEST(ProduceValidation, ABatchAboveMaxMessageBytesIsMessageTooLarge) {
    auto b = batch_of(10);
    produce_limits limits;
    limits.max_message_bytes = static_cast<std::int32_t>(b.size() - 1);
    EXPECT_EQ(check(b, limits).error, error_code::message_too_large);
    limits.max_message_bytes = static_cast<std::int32_t>(b.size());
    EXPECT_TRUE(check(b, limits).ok());
}

TEST(ProduceValidation, ZstdNeedsProduceV7) {
    auto b = batch_of(1, util::compression_type::zstd);
    EXPECT_EQ(check(b, {}, 6).error, error_code::unsupported_compression_type);
    EXPECT_TRUE(check(b, {}, 7).ok());
}

TEST(ProduceValidation, ACountThatDisagreesWithTheOffsetRangeIsInvalidRecord) {
    auto b = batch_of(3);
    bytes::store_be32(b.data() + bf::records_count_at, 2);
    fix_crc(b);
    EXPECT_EQ(check(b).error, error_code::invalid_record);
    bytes::store_be32(b.data() + bf::records_count_at, 0);
    bytes::store_be32(b.data() + bf::last_offset_delta_at, static_cast<std::uint32_t>(-1));
    fix_crc(b);
    EXPECT_EQ(check(b).error, error_code::invalid_record);
}

TEST(ProduceValidation, FewerRecordsThanTheHeaderClaimsIsInvalidRecord) {
    // The header says 4 records over offsets 0-3, the bytes hold 3.
    auto b = batch_of(3);
    bytes::store_be32(b.data() + bf::records_count_at, 4);
    bytes::store_be32(b.data() + bf::last_offset_delta_at, 3);
    fix_crc(b);
    EXPECT_EQ(check(b).error, error_code::invalid_record);
}

TEST(ProduceValidation, RecordOffsetDeltasOutOfOrderAreInvalidRecord) {
    for (auto codec : {util::compression_type::none, util::compression_type::lz4}) {
        record_batch_builder builder(codec);
        const std::string v = "v";
        builder.add_at(0, now, std::nullopt, as_bytes(v));
        builder.add_at(2, now, std::nullopt, as_bytes(v));
        auto b = *builder.build();
        bytes::store_be32(b.data() + bf::last_offset_delta_at, 1);  // count 2 over offsets 0-1, deltas 0 and 2
        fix_crc(b);
        auto r = check(b);
        EXPECT_EQ(r.error, error_code::invalid_record) << static_cast<int>(codec);
    }
}

TEST(ProduceValidation, ControlBatchesAndProducerIdsWithoutSequenceAreInvalidRecord) {
    record_batch_builder control;
    const std::string v = "v";
    control.control().add(now, std::nullopt, as_bytes(v));
    EXPECT_EQ(check(*control.build()).error, error_code::invalid_record);
    record_batch_builder idempotent;
    idempotent.producer(model::producer_id(5), model::producer_epoch(0), -1).add(now, std::nullopt, as_bytes(v));
    EXPECT_EQ(check(*idempotent.build()).error, error_code::invalid_record);
}

TEST(ProduceValidation, TimestampsOutsideTheTopicsBoundsAreInvalidTimestampPerRecord) {
    record_batch_builder builder;
    const std::string v = "v";
    builder.add(now, std::nullopt, as_bytes(v));
    builder.add(now - 10'000, std::nullopt, as_bytes(v));  // too old
    builder.add(now + 10'000, std::nullopt, as_bytes(v));  // too far ahead
    builder.add(now + 500, std::nullopt, as_bytes(v));
    auto b = *builder.build();
    produce_limits limits;
    limits.timestamp_before_max_ms = 5'000;
    limits.timestamp_after_max_ms = 1'000;
    auto r = check(b, limits);
    EXPECT_EQ(r.error, error_code::invalid_timestamp);
    ASSERT_EQ(r.record_errors.size(), 2u);
    EXPECT_EQ(r.record_errors[0].batch_index, 1);
    EXPECT_EQ(r.record_errors[1].batch_index, 2);
    EXPECT_NE(r.record_errors[0].message.find("out of range"), std::string::npos);

    limits.timestamp_type = timestamp_type::log_append_time;  // the broker stamps it: no bounds
    EXPECT_TRUE(check(b, limits).ok());
}

TEST(ProduceValidation, ACompactedTopicRefusesRecordsWithoutAKey) {
    record_batch_builder builder;
    const std::string k = "k";
    const std::string v = "v";
    builder.add(now, as_bytes(k), as_bytes(v));
    builder.add(now, std::nullopt, as_bytes(v));  // no key
    builder.add(now, as_bytes(k), std::nullopt);  // a tombstone is fine
    auto b = *builder.build();
    produce_limits limits;
    EXPECT_TRUE(check(b, limits).ok());
    limits.compacted = true;
    auto r = check(b, limits);
    EXPECT_EQ(r.error, error_code::invalid_record);
    ASSERT_EQ(r.record_errors.size(), 1u);
    EXPECT_EQ(r.record_errors[0].batch_index, 1);
    EXPECT_NE(r.record_errors[0].message.find("without key"), std::string::npos);
}

TEST(ProduceValidation, TheDefaultBoundsAllowAnyPastButOnlyAnHourAhead) {
    EXPECT_TRUE(check(batch_of(1, util::compression_type::none, 0)).ok());
    EXPECT_TRUE(check(batch_of(1, util::compression_type::none, now + 3'600'000)).ok());
    EXPECT_EQ(check(batch_of(1, util::compression_type::none, now + 3'600'001)).error, error_code::invalid_timestamp);
}

}  // namespace
