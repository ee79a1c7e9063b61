#include "protocol/record_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_control.h"
#include "protocol/record_batch_reader.h"

using namespace tributary;
using namespace tributary::protocol;
using util::compression_type;
namespace bf = protocol::batch_format;

namespace {

constexpr compression_type all_codecs[] = {compression_type::none, compression_type::gzip,
                                           compression_type::snappy, compression_type::lz4,
                                           compression_type::zstd};

struct test_record {
    std::int64_t timestamp;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

std::optional<bytes::bytes_view> view(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    return bytes::as_bytes(*s);
}

std::vector<test_record> sample_records(int n) {
    std::vector<test_record> v;
    for (int i = 0; i < n; ++i) {
        test_record r;
        r.timestamp = 1'700'000'000'000 + (i % 3 == 1 ? -7 : 13 * i);
        if (i % 4 != 1) r.key = std::string("k").append(std::to_string(i));
        if (i % 5 != 2) r.value = std::string(static_cast<std::size_t>(i * 37 % 300), static_cast<char>('a' + i % 26));
        if (i % 2 == 0) r.headers = {{"h", std::string("x").append(std::to_string(i))}, {"", std::nullopt}};
        v.push_back(r);
    }
    return v;
}

void add_all(record_batch_builder& b, const std::vector<test_record>& records) {
    for (const auto& r : records) {
        std::vector<record_header> headers;
        for (const auto& [k, v] : r.headers) headers.push_back({k, view(v)});
        b.add(r.timestamp, view(r.key), view(r.value), headers);
    }
}

bytes::byte_vector build(record_batch_builder& b) {
    auto r = b.build();
    EXPECT_TRUE(r.ok());
    return std::move(r).value();
}

bytes::byte_vector sample_batch(compression_type c = compression_type::none, int n = 20) {
    record_batch_builder b(c, model::offset(1000));
    add_all(b, sample_records(n));
    return build(b);
}

// Re-stamps the CRC after a test edits covered bytes on purpose.
void fix_crc(bytes::byte_vector& batch) { bytes::store_be32(batch.data() + bf::crc_at, compute_crc(batch)); }

void expect_records_equal(bytes::bytes_view batch, const std::vector<test_record>& expected,
                          std::int64_t base_offset) {
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    std::size_t i = 0;
    while (reader.next()) {
        ASSERT_LT(i, expected.size());
        const auto& r = reader.record();
        const auto& e = expected[i];
        EXPECT_EQ(r.offset.value(), base_offset + static_cast<std::int64_t>(i));
        EXPECT_EQ(r.timestamp, e.timestamp);
        ASSERT_EQ(r.key.has_value(), e.key.has_value()) << i;
        if (e.key) {
            EXPECT_EQ(bytes::as_chars(*r.key), *e.key);
        }
        ASSERT_EQ(r.value.has_value(), e.value.has_value()) << i;
        if (e.value) {
            EXPECT_EQ(bytes::as_chars(*r.value), *e.value);
        }
        ASSERT_EQ(static_cast<std::size_t>(r.headers.size()), e.headers.size());
        std::size_t h = 0;
        for (const auto& header : r.headers) {
            EXPECT_EQ(header.key, e.headers[h].first);
            ASSERT_EQ(header.value.has_value(), e.headers[h].second.has_value());
            if (header.value) {
                EXPECT_EQ(bytes::as_chars(*header.value), *e.headers[h].second);
            }
            ++h;
        }
        EXPECT_EQ(h, e.headers.size());
        ++i;
    }
    EXPECT_EQ(reader.error(), batch_error::none);
    EXPECT_EQ(i, expected.size());
}

}  // namespace

// --- Building and reading ---------------------------------------------------------------------------

TEST(RecordBatch, BuilderOutputRoundTripsThroughTheReaderForEveryCodec) {
    const auto records = sample_records(50);
    for (auto c : all_codecs) {
        record_batch_builder b(c, model::offset(77));
        add_all(b, records);
        auto batch = build(b);
        auto h = validate(batch);
        ASSERT_TRUE(h.ok()) << to_string(c) << ": " << to_string(h.error());
        EXPECT_EQ(h->size_bytes(), batch.size());
        EXPECT_EQ(h->compression(), c);
        EXPECT_EQ(h->record_count, 50);
        EXPECT_EQ(h->last_offset_delta, 49);
        EXPECT_EQ(h->base_offset.value(), 77);
        EXPECT_EQ(h->next_offset().value(), 127);
        EXPECT_EQ(h->base_timestamp, records[0].timestamp);
        std::int64_t max_ts = 0;
        for (const auto& r : records) max_ts = std::max(max_ts, r.timestamp);
        EXPECT_EQ(h->max_timestamp, max_ts);
        expect_records_equal(batch, records, 77);
    }
}

TEST(RecordBatch, CompressedBatchesCarryTheSameRecordsAsUncompressedOnes) {
    auto plain = sample_batch(compression_type::none, 200);
    for (auto c : all_codecs) {
        auto batch = sample_batch(c, 200);
        if (c != compression_type::none) {
            EXPECT_LT(batch.size(), plain.size()) << to_string(c);
        }
        bytes::byte_vector records;
        ASSERT_EQ(util::decompress(c, bytes::bytes_view(batch).subspan(bf::records_at), records, 1 << 30),
                  util::compression_error::none);
        EXPECT_TRUE(std::equal(records.begin(), records.end(), plain.begin() + bf::records_at, plain.end()));
    }
}

TEST(RecordBatch, HeaderFieldsAndAttributeBitsRoundTrip) {
    record_batch_builder b(compression_type::lz4, model::offset(5));
    b.producer(model::producer_id(123456789012), model::producer_epoch(7), 1000)
        .transactional()
        .partition_leader_epoch(model::leader_epoch(42));
    b.add(10, bytes::as_bytes("k"), bytes::as_bytes("v"));
    b.add(20, std::nullopt, std::nullopt);
    auto batch = build(b);
    auto h = validate(batch);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->magic, 2);
    EXPECT_EQ(h->producer_id.value(), 123456789012);
    EXPECT_EQ(h->producer_epoch.value(), 7);
    EXPECT_EQ(h->base_sequence, 1000);
    EXPECT_EQ(h->last_sequence(), 1001);
    EXPECT_EQ(h->partition_leader_epoch.value(), 42);
    EXPECT_TRUE(h->is_transactional());
    EXPECT_FALSE(h->is_control());
    EXPECT_FALSE(h->has_delete_horizon());
    EXPECT_EQ(h->delete_horizon_ms(), -1);
    EXPECT_EQ(h->timestamp_type(), timestamp_type::create_time);
    EXPECT_EQ(h->compression(), compression_type::lz4);
    EXPECT_EQ(h->attributes, 0x13);
    EXPECT_TRUE(h->has_producer_id());
    EXPECT_EQ(check_produced_batch(*h), batch_error::none);

    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.record().sequence, 1000);
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.record().sequence, 1001);
    EXPECT_FALSE(reader.record().key.has_value());
    EXPECT_FALSE(reader.record().value.has_value());
    EXPECT_FALSE(reader.next());
    EXPECT_EQ(reader.error(), batch_error::none);
}

TEST(RecordBatch, EmptyKeysAndValuesAreNotNull) {
    record_batch_builder b;
    b.add(1, bytes::bytes_view{}, bytes::bytes_view{});
    auto batch = build(b);
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    ASSERT_TRUE(reader.next());
    ASSERT_TRUE(reader.record().key.has_value());
    EXPECT_TRUE(reader.record().key->empty());
    ASSERT_TRUE(reader.record().value.has_value());
    EXPECT_TRUE(reader.record().value->empty());
}

TEST(RecordBatch, SequencesWrapPastInt32Max) {
    record_batch_header h;
    h.base_sequence = std::numeric_limits<std::int32_t>::max() - 1;
    h.last_offset_delta = 3;
    EXPECT_EQ(h.last_sequence(), 1);
    h.base_sequence = -1;
    EXPECT_EQ(h.last_sequence(), -1);

    record_batch_builder b;
    b.producer(model::producer_id(1), model::producer_epoch(0), std::numeric_limits<std::int32_t>::max());
    b.add(1, std::nullopt, std::nullopt).add(2, std::nullopt, std::nullopt);
    auto batch = build(b);
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.record().sequence, std::numeric_limits<std::int32_t>::max());
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.record().sequence, 0);
}

TEST(RecordBatch, OffsetGapsFromCompactionAreKept) {
    record_batch_builder b(compression_type::none, model::offset(10));
    b.add_at(0, 1, bytes::as_bytes("a"), bytes::as_bytes("1"));
    b.add_at(5, 2, bytes::as_bytes("b"), bytes::as_bytes("2"));
    auto batch = build(b);
    auto h = validate(batch);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->record_count, 2);
    EXPECT_EQ(h->last_offset_delta, 5);
    EXPECT_EQ(h->last_offset().value(), 15);
    EXPECT_EQ(check_produced_batch(*h), batch_error::invalid_record_count);  // a producer may not send gaps
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.record().offset.value(), 10);
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.record().offset.value(), 15);
}

TEST(RecordBatch, EmptyBatchIsValidInALogButNotFromAProducer) {
    record_batch_builder b;
    auto batch = build(b);
    EXPECT_EQ(batch.size(), bf::header_size);
    auto h = validate(batch);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->record_count, 0);
    EXPECT_EQ(check_produced_batch(*h), batch_error::invalid_record_count);
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    EXPECT_FALSE(reader.next());
    EXPECT_EQ(reader.error(), batch_error::none);
}

TEST(RecordBatch, LogAppendTimeRecordsReportTheBatchTimestamp) {
    record_batch_builder b;
    b.log_append_time(5555);
    b.add(1, std::nullopt, bytes::as_bytes("x")).add(2, std::nullopt, bytes::as_bytes("y"));
    auto batch = build(b);
    auto h = validate(batch);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->timestamp_type(), timestamp_type::log_append_time);
    EXPECT_EQ(h->max_timestamp, 5555);
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    while (reader.next()) EXPECT_EQ(reader.record().timestamp, 5555);
}

TEST(RecordBatch, DeleteHorizonIsTheBaseTimestamp) {
    record_batch_builder b;
    b.delete_horizon(9000).add(9100, bytes::as_bytes("k"), std::nullopt);
    auto batch = build(b);
    auto h = validate(batch);
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(h->has_delete_horizon());
    EXPECT_EQ(h->delete_horizon_ms(), 9000);
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.record().timestamp, 9100);
}

TEST(RecordBatch, EndTxnMarkerBatchesCarryTheControlRecord) {
    for (auto type : {control_record_type::commit, control_record_type::abort}) {
        auto batch = build_end_txn_marker_batch(model::offset(99), 1234, model::leader_epoch(3), model::producer_id(55),
                                                model::producer_epoch(2), type, 17);
        auto h = validate(batch);
        ASSERT_TRUE(h.ok());
        EXPECT_TRUE(h->is_control());
        EXPECT_TRUE(h->is_transactional());
        EXPECT_EQ(h->base_sequence, -1);
        EXPECT_EQ(h->record_count, 1);
        record_reader reader;
        ASSERT_EQ(reader.open(batch), batch_error::none);
        ASSERT_TRUE(reader.next());
        auto key = parse_control_record_key(*reader.record().key);
        ASSERT_TRUE(key.ok());
        EXPECT_EQ(key->version, 0);
        EXPECT_EQ(key->type, type);
        auto marker = parse_end_txn_marker(*reader.record().value);
        ASSERT_TRUE(marker.ok());
        EXPECT_EQ(marker->coordinator_epoch, 17);
    }
    EXPECT_EQ(parse_control_record_key(bytes::as_bytes("ab")).error(), batch_error::invalid_record);
    const bytes::byte negative_version[] = {0xff, 0xff, 0, 1};
    EXPECT_EQ(parse_control_record_key(negative_version).error(), batch_error::invalid_record);
    EXPECT_EQ(parse_end_txn_marker(bytes::as_bytes("abcd")).error(), batch_error::invalid_record);
}

// --- Patching in place -------------------------------------------------------------------------------

TEST(RecordBatch, PatchingBaseOffsetAndLeaderEpochKeepsTheCrcValid) {
    for (auto c : all_codecs) {
        auto batch = sample_batch(c);
        const std::uint32_t crc = validate(batch)->crc;
        set_base_offset(batch, model::offset(0x0102030405060708));
        set_partition_leader_epoch(batch, model::leader_epoch(0x0a0b0c0d));
        auto h = validate(batch);
        ASSERT_TRUE(h.ok()) << to_string(h.error());
        EXPECT_EQ(h->crc, crc);
        EXPECT_EQ(h->base_offset.value(), 0x0102030405060708);
        EXPECT_EQ(h->partition_leader_epoch.value(), 0x0a0b0c0d);
        record_reader reader;
        ASSERT_EQ(reader.open(batch), batch_error::none);
        ASSERT_TRUE(reader.next());
        EXPECT_EQ(reader.record().offset.value(), 0x0102030405060708);
    }
}

TEST(RecordBatch, SetLogAppendTimeRecomputesTheCrc) {
    auto batch = sample_batch(compression_type::zstd);
    set_log_append_time(batch, 42424242);
    auto h = validate(batch);
    ASSERT_TRUE(h.ok()) << to_string(h.error());
    EXPECT_EQ(h->timestamp_type(), timestamp_type::log_append_time);
    EXPECT_EQ(h->max_timestamp, 42424242);
    EXPECT_EQ(h->compression(), compression_type::zstd);
}

// --- Walking concatenated batches -------------------------------------------------------------------

TEST(RecordBatch, IteratorYieldsEveryBatchOfAConcatenation) {
    bytes::byte_vector log;
    std::vector<std::size_t> starts;
    for (auto c : all_codecs) {
        auto b = sample_batch(c, 5);
        set_base_offset(b, model::offset(static_cast<std::int64_t>(starts.size() * 5)));
        starts.push_back(log.size());
        log.insert(log.end(), b.begin(), b.end());
    }
    batch_iterator it(log);
    std::size_t n = 0;
    while (it.next()) {
        ASSERT_LT(n, starts.size());
        EXPECT_EQ(it.position(), starts[n]);
        EXPECT_EQ(it.header().base_offset.value(), static_cast<std::int64_t>(n * 5));
        EXPECT_EQ(it.batch().size(), it.header().size_bytes());
        EXPECT_EQ(it.header().compression(), all_codecs[n]);
        ++n;
    }
    EXPECT_EQ(it.error(), batch_error::none);
    EXPECT_EQ(n, starts.size());
    EXPECT_EQ(it.position(), log.size());
    EXPECT_FALSE(it.next());
}

TEST(RecordBatch, IteratorOverNothingEndsCleanly) {
    batch_iterator it({});
    EXPECT_FALSE(it.next());
    EXPECT_EQ(it.error(), batch_error::none);
}

TEST(RecordBatch, IteratorReportsATornTailAfterTheLastWholeBatch) {
    auto a = sample_batch();
    auto b = sample_batch(compression_type::gzip);
    for (std::size_t keep : {std::size_t{1}, std::size_t{16}, std::size_t{60}, std::size_t{61}, b.size() - 1}) {
        bytes::byte_vector log = a;
        log.insert(log.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(keep));
        batch_iterator it(log);
        ASSERT_TRUE(it.next());
        EXPECT_FALSE(it.next());
        EXPECT_EQ(it.error(), batch_error::truncated) << "kept " << keep;
        EXPECT_EQ(it.position(), a.size());
    }
}

TEST(RecordBatch, IteratorStopsAtTheFirstCorruptBatch) {
    auto a = sample_batch();
    bytes::byte_vector log = a;
    log.insert(log.end(), a.begin(), a.end());
    log.insert(log.end(), a.begin(), a.end());
    log[a.size() + 100] ^= 0x40;
    batch_iterator it(log);
    ASSERT_TRUE(it.next());
    EXPECT_FALSE(it.next());
    EXPECT_EQ(it.error(), batch_error::crc_mismatch);
    EXPECT_EQ(it.position(), a.size());
    EXPECT_FALSE(it.next());
}

TEST(RecordBatch, IteratorEnforcesTheCallersSizeLimit) {
    auto a = sample_batch();
    batch_iterator it(a, a.size() - 1);
    EXPECT_FALSE(it.next());
    EXPECT_EQ(it.error(), batch_error::batch_length_too_large);
    batch_iterator exact(a, a.size());
    EXPECT_TRUE(exact.next());
}

// --- Corruption, one case each ------------------------------------------------------------------------

TEST(RecordBatchCorruption, BitFlipInPayloadIsACrcMismatch) {
    for (auto c : all_codecs) {
        auto batch = sample_batch(c);
        for (std::size_t at : {bf::attributes_at, bf::last_offset_delta_at + 3, bf::records_count_at + 3,
                               bf::records_at, batch.size() / 2, batch.size() - 1}) {
            auto damaged = batch;
            damaged[at] ^= 0x01;
            auto h = validate(damaged);
            // A flip may also break a field that is checked before the CRC.
            ASSERT_FALSE(h.ok()) << to_string(c) << " byte " << at;
            if (at >= bf::records_at) {
                EXPECT_EQ(h.error(), batch_error::crc_mismatch);
            }
        }
    }
}

TEST(RecordBatchCorruption, WrongCrcFieldIsACrcMismatch) {
    auto batch = sample_batch();
    batch[bf::crc_at] ^= 0x80;
    EXPECT_EQ(validate(batch).error(), batch_error::crc_mismatch);
    EXPECT_EQ(to_error_code(batch_error::crc_mismatch), model::error_code::corrupt_message);
}

TEST(RecordBatchCorruption, TruncatedTailIsTruncated) {
    auto batch = sample_batch();
    for (std::size_t keep : {std::size_t{0}, std::size_t{10}, std::size_t{17}, bf::header_size - 1, bf::header_size,
                             batch.size() - 1}) {
        EXPECT_EQ(validate(bytes::bytes_view(batch.data(), keep)).error(), batch_error::truncated) << keep;
    }
}

TEST(RecordBatchCorruption, BadMagicIsRejected) {
    auto batch = sample_batch();
    for (int magic : {0, 1}) {
        batch[bf::magic_at] = static_cast<bytes::byte>(magic);
        EXPECT_EQ(validate(batch).error(), batch_error::unsupported_magic);
    }
    EXPECT_EQ(to_error_code(batch_error::unsupported_magic), model::error_code::unsupported_for_message_format);
    for (int magic : {3, 0x7f, 0xff}) {
        batch[bf::magic_at] = static_cast<bytes::byte>(magic);
        EXPECT_EQ(validate(batch).error(), batch_error::invalid_magic);
    }
}

TEST(RecordBatchCorruption, BatchLengthLargerThanTheBytesIsTruncated) {
    auto batch = sample_batch();
    bytes::store_be32(batch.data() + bf::batch_length_at,
                      static_cast<std::uint32_t>(batch.size() - bf::log_overhead + 1));
    EXPECT_EQ(validate(batch).error(), batch_error::truncated);
    bytes::store_be32(batch.data() + bf::batch_length_at, 0x7fffffff);
    EXPECT_EQ(validate(batch).error(), batch_error::truncated);
    EXPECT_EQ(validate(batch, 1 << 20).error(), batch_error::batch_length_too_large);
    EXPECT_EQ(to_error_code(batch_error::batch_length_too_large), model::error_code::message_too_large);
}

TEST(RecordBatchCorruption, BatchLengthSmallerThanTheHeaderIsRejected) {
    auto batch = sample_batch();
    for (std::uint32_t length : {0u, 48u, 0x80000000u, 0xffffffffu}) {
        bytes::store_be32(batch.data() + bf::batch_length_at, length);
        EXPECT_EQ(validate(batch).error(), batch_error::batch_length_too_small) << length;
    }
}

TEST(RecordBatchCorruption, NegativeRecordCountIsInvalid) {
    auto batch = sample_batch();
    bytes::store_be32(batch.data() + bf::records_count_at, 0xffffffff);
    fix_crc(batch);
    EXPECT_EQ(validate(batch).error(), batch_error::invalid_record_count);
    EXPECT_EQ(to_error_code(batch_error::invalid_record_count), model::error_code::invalid_record);
}

TEST(RecordBatchCorruption, MoreRecordsThanOffsetsIsInvalid) {
    auto batch = sample_batch();  // 20 records, lastOffsetDelta 19
    bytes::store_be32(batch.data() + bf::records_count_at, 21);
    fix_crc(batch);
    EXPECT_EQ(validate(batch).error(), batch_error::invalid_record_count);
}

TEST(RecordBatchCorruption, NegativeLastOffsetDeltaIsInvalid) {
    auto batch = sample_batch();
    bytes::store_be32(batch.data() + bf::last_offset_delta_at, 0xfffffffe);
    fix_crc(batch);
    EXPECT_EQ(validate(batch).error(), batch_error::invalid_last_offset_delta);
}

TEST(RecordBatchCorruption, RecordCountTheBytesCannotHoldIsInvalid) {
    record_batch_builder b;
    b.add(1, std::nullopt, std::nullopt);  // one 7-byte record
    auto batch = build(b);
    bytes::store_be32(batch.data() + bf::records_count_at, 2);
    bytes::store_be32(batch.data() + bf::last_offset_delta_at, 1);
    fix_crc(batch);
    EXPECT_EQ(validate(batch).error(), batch_error::invalid_record_count);
}

TEST(RecordBatchCorruption, UnknownCompressionBitsAreInvalid) {
    auto batch = sample_batch();
    for (int codec = 5; codec <= 7; ++codec) {
        batch[bf::attributes_at + 1] = static_cast<bytes::byte>(codec);
        fix_crc(batch);
        EXPECT_EQ(validate(batch).error(), batch_error::invalid_compression);
    }
}

TEST(RecordBatchCorruption, RecordCountAboveTheRecordsPresentIsInvalidRecord) {
    record_batch_builder b;
    for (int i = 0; i < 3; ++i) b.add(i, bytes::as_bytes("key-key-key"), bytes::as_bytes("value"));
    auto batch = build(b);
    bytes::store_be32(batch.data() + bf::records_count_at, 4);
    bytes::store_be32(batch.data() + bf::last_offset_delta_at, 3);
    fix_crc(batch);
    ASSERT_TRUE(validate(batch).ok());  // validation does not decode records
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    int n = 0;
    while (reader.next()) ++n;
    EXPECT_EQ(n, 3);
    EXPECT_EQ(reader.error(), batch_error::invalid_record);
}

TEST(RecordBatchCorruption, BytesAfterTheLastRecordAreInvalidRecord) {
    auto batch = sample_batch(compression_type::none, 3);
    bytes::store_be32(batch.data() + bf::records_count_at, 2);
    fix_crc(batch);
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    EXPECT_TRUE(reader.next());
    EXPECT_TRUE(reader.next());
    EXPECT_FALSE(reader.next());
    EXPECT_EQ(reader.error(), batch_error::invalid_record);
}

TEST(RecordBatchCorruption, RecordLengthPastTheBatchIsInvalidRecord) {
    auto batch = sample_batch(compression_type::none, 1);
    batch[bf::records_at] = 0x7e;  // length varint 63, more than the record holds
    fix_crc(batch);
    record_reader reader;
    ASSERT_EQ(reader.open(batch), batch_error::none);
    EXPECT_FALSE(reader.next());
    EXPECT_EQ(reader.error(), batch_error::invalid_record);
}

TEST(RecordBatchCorruption, CorruptCompressedRecordsFailToDecompress) {
    for (auto c : {compression_type::gzip, compression_type::snappy, compression_type::lz4, compression_type::zstd}) {
        auto batch = sample_batch(c);
        batch[bf::records_at] ^= 0xff;  // the codec's magic or header
        fix_crc(batch);
        ASSERT_TRUE(validate(batch).ok());
        record_reader reader;
        EXPECT_EQ(reader.open(batch), batch_error::decompression_failed) << to_string(c);
        EXPECT_FALSE(reader.next());
    }
    EXPECT_EQ(to_error_code(batch_error::decompression_failed), model::error_code::corrupt_message);
}

TEST(RecordBatchCorruption, DecompressionBombIsStoppedByTheReaderLimit) {
    record_batch_builder b(compression_type::zstd);
    bytes::byte_vector zeros(4 << 20, 0);
    b.add(1, std::nullopt, bytes::bytes_view(zeros));
    auto batch = build(b);
    EXPECT_LT(batch.size(), 4096u);
    record_reader small(1 << 20);
    EXPECT_EQ(small.open(batch), batch_error::decompressed_too_large);
    record_reader enough(8 << 20);
    EXPECT_EQ(enough.open(batch), batch_error::none);
}

TEST(RecordBatchCorruption, HostileRecordBytesNeverOverread) {
    // Random damage to the records of an uncompressed batch, CRC re-stamped so validation passes:
    // the reader must end cleanly or with invalid_record (ASan catches any out-of-bounds read).
    const auto original = sample_batch(compression_type::none, 8);
    std::mt19937 rng(12345);
    int rejected = 0;
    for (int round = 0; round < 5000; ++round) {
        auto batch = original;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            std::size_t at = bf::records_at + rng() % (batch.size() - bf::records_at);
            batch[at] = static_cast<bytes::byte>(rng());
        }
        if (rng() % 3 == 0) {  // also cut the records short, keeping the framing consistent
            std::size_t keep = bf::records_at + rng() % (batch.size() - bf::records_at);
            batch.resize(keep);
            bytes::store_be32(batch.data() + bf::batch_length_at, static_cast<std::uint32_t>(keep - bf::log_overhead));
        }
        fix_crc(batch);
        if (!validate(batch).ok()) continue;
        record_reader reader;
        ASSERT_EQ(reader.open(batch), batch_error::none);
        std::size_t seen = 0;
        while (reader.next()) {
            const auto& r = reader.record();
            if (r.key) seen += r.key->size();
            if (r.value) seen += r.value->size();
            for (const auto& h : r.headers) seen += h.key.size() + (h.value ? h.value->size() : 0);
        }
        EXPECT_LE(seen, batch.size());
        if (reader.error() != batch_error::none) {
            EXPECT_EQ(reader.error(), batch_error::invalid_record);
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 1000);
}

TEST(RecordBatch, EveryErrorMapsToAKafkaErrorCode) {
    for (int e = 1; e <= static_cast<int>(batch_error::decompressed_too_large); ++e) {
        auto code = to_error_code(static_cast<batch_error>(e));
        EXPECT_NE(code, model::error_code::none) << e;
        EXPECT_NE(code, model::error_code::unknown_server_error) << e;
        EXPECT_NE(to_string(static_cast<batch_error>(e)), "unknown batch error");
    }
}

// --- The worked example of docs/formats/record-batch.md ------------------------------------------------

TEST(RecordBatchFormat, DocumentedExampleMatchesTheBuilder) {
    const bytes::byte_vector documented = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0xff, 0xff, 0xff, 0xff,
        0x02, 0x53, 0x93, 0xd5, 0xad, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf,
        0xe5, 0x68, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00, 0x00,
        0x00, 0x02, 0x6b, 0x0a, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x02, 0x02, 0x68, 0x02, 0x31};
    record_batch_builder b;
    const record_header header{"h", bytes::as_bytes("1")};
    b.add(1700000000000, bytes::as_bytes("k"), bytes::as_bytes("hello"), std::span(&header, 1));
    auto batch = build(b);
    EXPECT_EQ(batch, documented);

    set_base_offset(batch, model::offset(42));
    set_partition_leader_epoch(batch, model::leader_epoch(3));
    const bytes::byte patched[16] = {0, 0, 0, 0, 0, 0, 0, 0x2a, 0, 0, 0, 0x42, 0, 0, 0, 3};
    EXPECT_TRUE(std::equal(patched, patched + 16, batch.begin()));
    EXPECT_TRUE(std::equal(batch.begin() + 16, batch.end(), documented.begin() + 16));
    EXPECT_TRUE(validate(batch).ok());
}
