#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <limits>
#include <stdexcept>

#include "bytes/reader.h"
#include "bytes/writer.h"

using namespace tributary::bytes;

TEST(ReaderWriter, FixedWidthIntegersAreBigEndian) {
    writer w;
    w.write_int16(0x0102);
    w.write_int32(0x03040506);
    w.write_int64(0x0708090a0b0c0d0e);
    auto v = w.to_vector();
    byte_vector expected = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    EXPECT_EQ(v, expected);
    reader r(v);
    EXPECT_EQ(r.read_int16(), 0x0102);
    EXPECT_EQ(r.read_int32(), 0x03040506);
    EXPECT_EQ(r.read_int64(), 0x0708090a0b0c0d0e);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
}

TEST(ReaderWriter, VarintsMatchKafkaEncoding) {
    // Values and encodings from Kafka's ByteUtils: zig-zag then base-128, low group first.
    struct {
        std::int32_t value;
        byte_vector bytes;
    } cases[] = {{0, {0x00}}, {-1, {0x01}}, {1, {0x02}}, {63, {0x7e}}, {-64, {0x7f}}, {64, {0x80, 0x01}},
                 {300, {0xd8, 0x04}}, {std::numeric_limits<std::int32_t>::max(), {0xfe, 0xff, 0xff, 0xff, 0x0f}},
                 {std::numeric_limits<std::int32_t>::min(), {0xff, 0xff, 0xff, 0xff, 0x0f}}};
    for (const auto& c : cases) {
        writer w;
        w.write_varint(c.value);
        EXPECT_EQ(w.to_vector(), c.bytes) << c.value;
        EXPECT_EQ(varint_size(c.value), c.bytes.size());
        reader r(c.bytes);
        EXPECT_EQ(r.read_varint(), c.value);
        EXPECT_TRUE(r.ok());
    }
}

TEST(ReaderWriter, VarlongRoundTripsExtremes) {
    for (std::int64_t v : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}, std::int64_t{0},
                           std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max()}) {
        writer w;
        w.write_varlong(v);
        auto bytes = w.to_vector();
        EXPECT_EQ(bytes.size(), varlong_size(v));
        reader r(bytes);
        EXPECT_EQ(r.read_varlong(), v);
        EXPECT_TRUE(r.at_end());
    }
}

TEST(ReaderWriter, ShortBufferIsStickyErrorNotOverread) {
    byte_vector v = {0x00, 0x01, 0x02};
    reader r(v);
    EXPECT_EQ(r.read_int32(), 0);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), decode_error::short_buffer);
    EXPECT_EQ(r.read_int8(), 0);  // later reads fail too
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_TRUE(r.read_view(1).empty());
}

TEST(ReaderWriter, OverlongVarintIsRejected) {
    byte_vector v = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    reader r(v);
    r.read_uvarint();
    EXPECT_EQ(r.error(), decode_error::bad_varint);
}

TEST(ReaderWriter, HostileCountCannotExceedRemainingBytes) {
    byte_vector v(10, 0);
    reader r(v);
    EXPECT_TRUE(r.check_count(10));
    EXPECT_FALSE(r.check_count(11));
    EXPECT_EQ(r.error(), decode_error::length_too_large);
}

TEST(ReaderWriter, ExternalFragmentsAreNotCopiedAndPatchingWorks) {
    byte_vector big(4096, 0xab);
    writer w;
    auto slot = w.reserve_int32();
    w.write_int8(1);
    w.write_external(big);
    w.write_int8(2);
    w.patch_int32(slot, static_cast<std::int32_t>(w.size() - 4));
    auto frags = w.fragments();
    ASSERT_EQ(frags.size(), 3u);
    EXPECT_EQ(frags[1].data(), big.data());
    auto all = w.to_vector();
    ASSERT_EQ(all.size(), 4u + 1 + 4096 + 1);
    reader r(all);
    EXPECT_EQ(r.read_int32(), 1 + 4096 + 1);
}

TEST(UninitBuffer, HoldsItsSizeAndReadsAsASpan) {
    uninit_buffer b(300);
    ASSERT_EQ(b.size(), 300u);
    ASSERT_NE(b.data(), nullptr);
    mutable_bytes_view out(b);
    EXPECT_EQ(out.data(), b.data());
    EXPECT_EQ(out.size(), 300u);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<byte>(i);
    const uninit_buffer& cb = b;
    bytes_view in(cb);
    EXPECT_EQ(in.size(), 300u);
    EXPECT_EQ(in[299], static_cast<byte>(299));
    reader r(b);
    r.read_int16();
    EXPECT_EQ(r.remaining(), 298u);
    EXPECT_TRUE(uninit_buffer(0).empty());
}

TEST(ReaderWriter, FileRegionsArePiecesOfTheirOwnAndReadBackWhole) {
    char path[] = "/tmp/tributary-region-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::unlink(path);  // the descriptor keeps the file
    const std::string content = "0123456789abcdefghij";
    ASSERT_EQ(::pwrite(fd, content.data(), content.size(), 0), static_cast<ssize_t>(content.size()));
    auto file = std::make_shared<const shared_fd>(fd);

    writer w;
    auto slot = w.reserve_int32();
    w.write_file_region(file_region{file, 5, 10});
    w.write_file_region(file_region{file, 0, 0});  // empty: nothing is added
    w.write_int8(7);
    w.patch_int32(slot, static_cast<std::int32_t>(w.size() - 4));
    EXPECT_TRUE(w.has_file_regions());
    EXPECT_EQ(w.size(), 4u + 10 + 1);
    auto pieces = w.pieces();
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_EQ(pieces[0].file, nullptr);
    ASSERT_NE(pieces[1].file, nullptr);
    EXPECT_EQ(pieces[1].file->offset, 5u);
    EXPECT_EQ(pieces[1].size(), 10u);
    EXPECT_EQ(pieces[2].size(), 1u);
    auto all = w.to_vector();
    reader r(all);
    EXPECT_EQ(r.read_int32(), 11);
    EXPECT_EQ(as_chars(r.read_view(10)), "56789abcde");
    EXPECT_EQ(r.read_int8(), 7);

    writer past_end;
    past_end.write_file_region(file_region{file, 15, 10});  // the file has only 5 of those bytes
    EXPECT_THROW(past_end.to_vector(), std::runtime_error);
}
