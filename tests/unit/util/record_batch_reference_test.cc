// Batches written by real Kafka clients (tests/fixtures/batches, see its README): Apache Kafka's Java
// client, kafka-python, and librdkafka captured off the wire. Our reader must decode them, and our
// builder must produce the same header fields and record encoding (byte for byte when uncompressed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_control.h"
#include "protocol/record_batch_reader.h"
#include "test_data.h"

using namespace tributary;
using namespace tributary::protocol;
using util::compression_type;
namespace bf = protocol::batch_format;

namespace {

constexpr std::int64_t base_timestamp = 1700000000000;

// Record i of the reference batches (JavaBatches.java, python_batches.py, capture_librdkafka.py).
struct reference_record {
    std::int64_t timestamp;
    std::optional<std::string> key;
    std::optional<std::string> value;
    bool has_headers;
    std::string trace;

    reference_record(int i, int value_repeat) {
        timestamp = base_timestamp + (i % 4 == 2 ? -5 : 10 * i);
        if (i % 5 != 3) key = std::string("key-").append(std::to_string(i));
        if (i % 7 != 6) {
            std::string one = std::string("value-").append(std::to_string(i)).append(" ");
            value.emplace();
            for (int r = 0; r < value_repeat; ++r) value->append(one);
        }
        has_headers = i % 3 == 0;
        trace = std::string("t").append(std::to_string(i));
    }
};

struct reference_batch {
    std::string file;
    compression_type codec;
    int count;
    int value_repeat;
    std::int64_t base_offset;
    std::int64_t producer_id;
    std::int16_t producer_epoch;
    std::int32_t base_sequence;
    std::int32_t partition_leader_epoch;
    bool transactional;
};

const std::vector<reference_batch>& data_batches() {
    static const std::vector<reference_batch> batches = [] {
        std::vector<reference_batch> v;
        const std::pair<const char*, compression_type> codecs[] = {
            {"none", compression_type::none}, {"gzip", compression_type::gzip}, {"snappy", compression_type::snappy},
            {"lz4", compression_type::lz4}, {"zstd", compression_type::zstd}};
        auto file = [](const char* prefix, const char* codec) {
            return std::string("batches/").append(prefix).append(codec).append(".bin");
        };
        for (const auto& [name, codec] : codecs) {
            v.push_back({file("java-small-", name), codec, 10, 1, 0, -1, -1, -1, -1, false});
            v.push_back({file("java-large-", name), codec, 300, 20, 100, 1000, 5, 42, 7, false});
            v.push_back({file("python-large-", name), codec, 300, 20, 0, 1000, 5, 42, 0, false});
            v.push_back({file("librdkafka-", name), codec, 300, 20, 0, -1, -1, -1, 0, false});
        }
        v.push_back({"batches/java-transactional-zstd.bin", compression_type::zstd, 10, 1, 500, 2000, 3, 0, 9, true});
        return v;
    }();
    return batches;
}

record_batch_builder builder_for(const reference_batch& r) {
    record_batch_builder b(r.codec, model::offset(r.base_offset));
    b.producer(model::producer_id(r.producer_id), model::producer_epoch(r.producer_epoch), r.base_sequence)
        .partition_leader_epoch(model::leader_epoch(r.partition_leader_epoch))
        .transactional(r.transactional);
    for (int i = 0; i < r.count; ++i) {
        reference_record e(i, r.value_repeat);
        std::vector<record_header> headers;
        if (e.has_headers) headers = {{"trace", bytes::as_bytes(e.trace)}, {"empty", std::nullopt}};
        auto view = [](const std::optional<std::string>& s) -> std::optional<bytes::bytes_view> {
            if (!s) return std::nullopt;
            return bytes::as_bytes(*s);
        };
        b.add(e.timestamp, view(e.key), view(e.value), headers);
    }
    return b;
}

bytes::byte_vector records_of(bytes::bytes_view batch, compression_type codec) {
    bytes::byte_vector out;
    EXPECT_EQ(util::decompress(codec, batch.subspan(bf::records_at), out, 1 << 30), util::compression_error::none);
    return out;
}

}  // namespace

TEST(ReferenceBatches, EveryClientBatchValidatesWithTheExpectedHeader) {
    for (const auto& r : data_batches()) {
        SCOPED_TRACE(r.file);
        auto bytes = test::read_test_file(r.file);
        auto h = validate(bytes);
        ASSERT_TRUE(h.ok()) << to_string(h.error());
        EXPECT_EQ(h->size_bytes(), bytes.size());
        EXPECT_EQ(h->compression(), r.codec);
        EXPECT_EQ(h->record_count, r.count);
        EXPECT_EQ(h->last_offset_delta, r.count - 1);
        EXPECT_EQ(h->base_offset.value(), r.base_offset);
        EXPECT_EQ(h->producer_id.value(), r.producer_id);
        EXPECT_EQ(h->producer_epoch.value(), r.producer_epoch);
        EXPECT_EQ(h->base_sequence, r.base_sequence);
        EXPECT_EQ(h->partition_leader_epoch.value(), r.partition_leader_epoch);
        EXPECT_EQ(h->is_transactional(), r.transactional);
        EXPECT_FALSE(h->is_control());
        EXPECT_EQ(h->timestamp_type(), timestamp_type::create_time);
        EXPECT_EQ(h->base_timestamp, base_timestamp);
        EXPECT_EQ(h->max_timestamp, base_timestamp + 10 * (r.count - 1));
        EXPECT_EQ(check_produced_batch(*h), batch_error::none);
    }
}

TEST(ReferenceBatches, ReaderDecodesEveryRecordOfEveryClient) {
    record_reader reader;  // one reader across batches: its buffer is reused
    for (const auto& r : data_batches()) {
        SCOPED_TRACE(r.file);
        auto bytes = test::read_test_file(r.file);
        ASSERT_EQ(reader.open(bytes), batch_error::none);
        int i = 0;
        while (reader.next()) {
            const auto& got = reader.record();
            reference_record e(i, r.value_repeat);
            EXPECT_EQ(got.offset.value(), r.base_offset + i);
            EXPECT_EQ(got.timestamp, e.timestamp);
            EXPECT_EQ(got.sequence, r.base_sequence < 0 ? -1 : r.base_sequence + i);
            ASSERT_EQ(got.key.has_value(), e.key.has_value()) << i;
            if (e.key) {
                EXPECT_EQ(bytes::as_chars(*got.key), *e.key);
            }
            ASSERT_EQ(got.value.has_value(), e.value.has_value()) << i;
            if (e.value) {
                EXPECT_EQ(bytes::as_chars(*got.value), *e.value);
            }
            ASSERT_EQ(got.headers.size(), e.has_headers ? 2 : 0) << i;
            if (e.has_headers) {
                auto h = got.headers.begin();
                EXPECT_EQ(h->key, "trace");
                ASSERT_TRUE(h->value.has_value());
                EXPECT_EQ(bytes::as_chars(*h->value), e.trace);
                ++h;
                EXPECT_EQ(h->key, "empty");
                EXPECT_FALSE(h->value.has_value());
                ++h;
                EXPECT_TRUE(h == got.headers.end());
            }
            ++i;
        }
        EXPECT_EQ(reader.error(), batch_error::none);
        EXPECT_EQ(i, r.count);
    }
}

TEST(ReferenceBatches, OurBuilderMatchesEveryClientsHeaderAndRecordEncoding) {
    for (const auto& r : data_batches()) {
        SCOPED_TRACE(r.file);
        auto theirs = test::read_test_file(r.file);
        auto built = builder_for(r).build();
        ASSERT_TRUE(built.ok());
        const auto& ours = *built;
        if (r.codec == compression_type::none) {
            EXPECT_EQ(ours, theirs);  // byte for byte, CRC included
            continue;
        }
        // Compressed bytes depend on the codec library's version and settings; the records inside and
        // every header field other than the length and CRC must not.
        auto a = *validate(ours);
        auto b = *validate(theirs);
        a.batch_length = b.batch_length;
        a.crc = b.crc;
        EXPECT_EQ(a.attributes, b.attributes);
        EXPECT_EQ(a.base_timestamp, b.base_timestamp);
        EXPECT_EQ(a.max_timestamp, b.max_timestamp);
        EXPECT_EQ(a.last_offset_delta, b.last_offset_delta);
        EXPECT_EQ(a.record_count, b.record_count);
        EXPECT_EQ(records_of(ours, r.codec), records_of(theirs, r.codec));
    }
}

TEST(ReferenceBatches, LibrdkafkaSnappyIsARawBlockAndJavaSnappyIsXerialFramed) {
    auto raw = test::read_test_file("batches/librdkafka-snappy.bin");
    auto xerial = test::read_test_file("batches/java-large-snappy.bin");
    ASSERT_GT(raw.size(), bf::records_at + 8);
    ASSERT_GT(xerial.size(), bf::records_at + 8);
    EXPECT_NE(raw[bf::records_at], 0x82);
    EXPECT_EQ(xerial[bf::records_at], 0x82);
    EXPECT_EQ(bytes::as_chars(bytes::bytes_view(xerial).subspan(bf::records_at + 1, 6)), "SNAPPY");
}

TEST(ReferenceBatches, JavaEndTxnMarkersMatchOurs) {
    struct {
        const char* file;
        std::int64_t offset;
        std::int64_t timestamp;
        control_record_type type;
    } markers[] = {{"batches/java-commit-marker.bin", 510, base_timestamp + 1000, control_record_type::commit},
                   {"batches/java-abort-marker.bin", 511, base_timestamp + 2000, control_record_type::abort}};
    for (const auto& m : markers) {
        SCOPED_TRACE(m.file);
        auto theirs = test::read_test_file(m.file);
        auto h = validate(theirs);
        ASSERT_TRUE(h.ok()) << to_string(h.error());
        EXPECT_TRUE(h->is_control());
        EXPECT_TRUE(h->is_transactional());
        record_reader reader;
        ASSERT_EQ(reader.open(theirs), batch_error::none);
        ASSERT_TRUE(reader.next());
        auto key = parse_control_record_key(*reader.record().key);
        ASSERT_TRUE(key.ok());
        EXPECT_EQ(key->type, m.type);
        auto marker = parse_end_txn_marker(*reader.record().value);
        ASSERT_TRUE(marker.ok());
        EXPECT_EQ(marker->coordinator_epoch, 17);
        EXPECT_FALSE(reader.next());
        EXPECT_EQ(reader.error(), batch_error::none);

        auto ours = build_end_txn_marker_batch(model::offset(m.offset), m.timestamp, model::leader_epoch(9),
                                               model::producer_id(2000), model::producer_epoch(3), m.type, 17);
        EXPECT_EQ(ours, theirs);
    }
}

TEST(ReferenceBatches, JavaLogAppendTimeBatchMatchesOurs) {
    auto theirs = test::read_test_file("batches/java-log-append-time.bin");
    auto h = validate(theirs);
    ASSERT_TRUE(h.ok()) << to_string(h.error());
    EXPECT_EQ(h->timestamp_type(), timestamp_type::log_append_time);
    EXPECT_EQ(h->max_timestamp, base_timestamp + 99999);
    record_reader reader;
    ASSERT_EQ(reader.open(theirs), batch_error::none);
    int n = 0;
    while (reader.next()) {
        EXPECT_EQ(reader.record().timestamp, base_timestamp + 99999);
        ++n;
    }
    EXPECT_EQ(n, 3);

    reference_batch r{"", compression_type::none, 3, 1, 42, -1, -1, -1, -1, false};
    auto b = builder_for(r);
    b.log_append_time(base_timestamp + 99999);
    EXPECT_EQ(*b.build(), theirs);
}

TEST(ReferenceBatches, PatchingAClientBatchKeepsItValid) {
    auto batch = test::read_test_file("batches/librdkafka-zstd.bin");
    set_base_offset(batch, model::offset(123456));
    set_partition_leader_epoch(batch, model::leader_epoch(5));
    auto h = validate(batch);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->base_offset.value(), 123456);
    EXPECT_EQ(h->last_offset().value(), 123456 + 299);
}

TEST(ReferenceBatches, IteratorWalksAllReferenceBatchesConcatenated) {
    bytes::byte_vector log;
    std::vector<std::size_t> sizes;
    for (const auto& r : data_batches()) {
        auto b = test::read_test_file(r.file);
        sizes.push_back(b.size());
        log.insert(log.end(), b.begin(), b.end());
    }
    batch_iterator it(log);
    std::size_t n = 0;
    while (it.next()) {
        ASSERT_LT(n, sizes.size());
        EXPECT_EQ(it.batch().size(), sizes[n]);
        ++n;
    }
    EXPECT_EQ(it.error(), batch_error::none);
    EXPECT_EQ(n, sizes.size());
}
