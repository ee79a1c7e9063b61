// Byte-exact checks of the worked examples in docs/formats/segment.md and producer-state.md. The
// expected bytes were computed independently of this code (a separate CRC32C), so these tests pin
// the formats: a change here is a format change and needs a new version.
#include <gtest/gtest.h>

#include "storage/checkpoints.h"
#include "storage/producer_snapshot.h"

namespace tributary::storage {
namespace {

bytes::byte_vector hex(std::string_view s) {
    bytes::byte_vector out;
    int nibble = -1;
    for (char c : s) {
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) continue;
        if (nibble < 0) {
            nibble = v;
        } else {
            out.push_back(static_cast<bytes::byte>(nibble * 16 + v));
            nibble = -1;
        }
    }
    return out;
}

TEST(format_examples, PartitionCheckpointMatchesTheDocumentedBytes) {
    const auto expected =
        hex("54 50 43 50 00 01 00 01 00 00 00 10 35 ee 3c 72"
            "00 00 00 00 00 00 04 b0 00 00 00 00 00 00 10 00");
    EXPECT_EQ(encode_partition_checkpoint({model::offset(1200), model::offset(4096)}), expected);
    auto back = decode_partition_checkpoint(expected);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->recovery_point, model::offset(4096));
}

TEST(format_examples, CleanShutdownMarkerMatchesTheDocumentedBytes) {
    const auto expected =
        hex("54 43 53 4d 00 01 00 01 00 00 00 30 8f d5 49 14"
            "00 00 00 00 00 00 10 68 00 00 00 00 00 00 10 00"
            "00 00 00 00 00 00 30 39 00 00 01 8b cf e5 68 7b"
            "00 00 00 00 00 00 10 5b 00 00 00 02 00 00 00 03");
    clean_shutdown_marker m;
    m.log_end_offset = model::offset(4200);
    m.active_base_offset = model::offset(4096);
    m.active_size = 12345;
    m.active_max_timestamp = 1'700'000'000'123;
    m.active_offset_of_max_timestamp = model::offset(4187);
    m.offset_index_entries = 2;
    m.time_index_entries = 3;
    EXPECT_EQ(encode_clean_shutdown_marker(m), expected);
    auto back = decode_clean_shutdown_marker(expected);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, m);
}

TEST(format_examples, ProducerSnapshotMatchesTheDocumentedBytes) {
    const auto expected =
        hex("54 50 53 4e 00 01 00 01 00 00 00 6b 73 14 e7 1a"
            "00 00 00 00 00 00 10 68 00 00 00 01 00 00 00 00"
            "00 00 03 e8 00 00 ff ff ff ff 00 00 01 8b cf e5"
            "68 7b ff ff ff ff ff ff ff ff 02 00 00 00 00 00"
            "00 00 04 00 00 00 00 00 00 10 04 00 00 00 00 00"
            "00 10 08 00 00 01 8b cf e5 68 64 00 00 00 05 00"
            "00 00 09 00 00 00 00 00 00 10 5e 00 00 00 00 00"
            "00 10 62 00 00 01 8b cf e5 68 7b");
    producer_state s;
    producer_entry e;
    e.epoch = model::producer_epoch(0);
    e.last_timestamp = 1'700'000'000'123;
    e.batches = {{0, 4, model::offset(4100), model::offset(4104), 1'700'000'000'100},
                 {5, 9, model::offset(4190), model::offset(4194), 1'700'000'000'123}};
    s.set(model::producer_id(1000), e);
    EXPECT_EQ(encode_producer_snapshot(model::offset(4200), s), expected);
    auto back = decode_producer_snapshot(expected);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->state, s);
}

TEST(format_examples, AFileFromANewerIncompatibleVersionIsRefused) {
    auto data = encode_partition_checkpoint({model::offset(1), model::offset(2)});
    data[7] = 2;  // compat_version 2: a reader that knows version 1 must not guess
    // The CRC covers the version fields, so recompute it as a newer writer would have.
    auto body = bytes::bytes_view(data).subspan(16);
    auto again = encode_envelope(0x54504350, 2, 2, body);
    EXPECT_EQ(decode_partition_checkpoint(again).error(), envelope_error::unsupported_version);
}

}  // namespace
}  // namespace tributary::storage
