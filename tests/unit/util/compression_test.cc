#include "util/compression.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "test_data.h"

using namespace tributary;
using util::compression_error;
using util::compression_type;

namespace {

constexpr compression_type all_codecs[] = {compression_type::none, compression_type::gzip,
                                           compression_type::snappy, compression_type::lz4,
                                           compression_type::zstd};
constexpr compression_type real_codecs[] = {compression_type::gzip, compression_type::snappy,
                                            compression_type::lz4, compression_type::zstd};
constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

bytes::byte_vector random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    bytes::byte_vector v(n);
    for (auto& b : v) b = static_cast<bytes::byte>(rng());
    return v;
}

// Text that compresses well but is not trivially repetitive.
bytes::byte_vector compressible_bytes(std::size_t n) {
    bytes::byte_vector v;
    std::mt19937 rng(7);
    static const char* words[] = {"kafka ", "record ", "batch ", "offset ", "partition ", "leader ", "epoch "};
    while (v.size() < n) {
        const char* w = words[rng() % 7];
        v.insert(v.end(), w, w + std::strlen(w));
    }
    v.resize(n);
    return v;
}

// The plaintext of every file in tests/fixtures/compression (see its README).
bytes::byte_vector reference_lines() {
    std::string s;
    char line[80];
    for (int i = 0; i < 1000; ++i) {
        std::snprintf(line, sizeof line, "line %05d: the quick brown fox jumps over the lazy dog\n", i);
        s += line;
    }
    return bytes::byte_vector(s.begin(), s.end());
}

bytes::byte_vector compressed(compression_type t, bytes::bytes_view input) {
    bytes::byte_vector out;
    EXPECT_EQ(util::compress(t, input, out), compression_error::none) << to_string(t);
    return out;
}

std::string name_of(compression_type t) { return std::string(to_string(t)); }

}  // namespace

TEST(Compression, EveryCodecRoundTripsEmptySmallLargeAndIncompressibleInputs) {
    const bytes::byte_vector inputs[] = {{}, {42}, compressible_bytes(100), compressible_bytes(1 << 20),
                                         random_bytes(1 << 20, 1), random_bytes(100000, 2)};
    for (auto t : all_codecs) {
        for (const auto& input : inputs) {
            auto c = compressed(t, input);
            bytes::byte_vector back;
            ASSERT_EQ(util::decompress(t, c, back, unlimited), compression_error::none)
                << name_of(t) << " size " << input.size();
            EXPECT_EQ(back, input) << name_of(t) << " size " << input.size();
        }
    }
}

TEST(Compression, CompressibleInputShrinks) {
    auto input = compressible_bytes(1 << 20);
    for (auto t : real_codecs) EXPECT_LT(compressed(t, input).size(), input.size() / 2) << name_of(t);
}

TEST(Compression, OutputIsAppendedAfterExistingBytes) {
    auto input = compressible_bytes(5000);
    for (auto t : all_codecs) {
        bytes::byte_vector out = {1, 2, 3};
        ASSERT_EQ(util::compress(t, input, out), compression_error::none);
        bytes::byte_vector c(out.begin() + 3, out.end());
        EXPECT_EQ(c, compressed(t, input)) << name_of(t);
        bytes::byte_vector back = {9};
        ASSERT_EQ(util::decompress(t, c, back, unlimited), compression_error::none);
        ASSERT_EQ(back.size(), input.size() + 1);
        EXPECT_EQ(back[0], 9);
        EXPECT_TRUE(std::equal(input.begin(), input.end(), back.begin() + 1)) << name_of(t);
    }
}

TEST(Compression, LevelsAreAcceptedInRangeAndRejectedOutside) {
    auto input = compressible_bytes(10000);
    struct {
        compression_type type;
        int good;
        int bad;
    } cases[] = {{compression_type::gzip, 9, 10}, {compression_type::lz4, 9, 13}, {compression_type::zstd, 19, 1000}};
    for (const auto& c : cases) {
        bytes::byte_vector out;
        ASSERT_EQ(util::compress(c.type, input, out, c.good), compression_error::none) << name_of(c.type);
        bytes::byte_vector back;
        ASSERT_EQ(util::decompress(c.type, out, back, unlimited), compression_error::none);
        EXPECT_EQ(back, input);
        bytes::byte_vector rejected;
        EXPECT_EQ(util::compress(c.type, input, rejected, c.bad), compression_error::invalid_level);
        EXPECT_TRUE(rejected.empty());
    }
    bytes::byte_vector out;
    EXPECT_EQ(util::compress(compression_type::snappy, input, out, 1), compression_error::invalid_level);
}

TEST(Compression, UnknownCodecIdsAreRejected) {
    EXPECT_FALSE(util::compression_type_from_id(5).has_value());
    EXPECT_FALSE(util::compression_type_from_id(-1).has_value());
    EXPECT_EQ(util::compression_type_from_id(4), compression_type::zstd);
    bytes::byte_vector out;
    auto bogus = static_cast<compression_type>(7);
    EXPECT_EQ(util::compress(bogus, bytes::as_bytes("x"), out), compression_error::unknown_codec);
    EXPECT_EQ(util::decompress(bogus, bytes::as_bytes("x"), out, unlimited), compression_error::unknown_codec);
}

TEST(Compression, EmptyInputIsCorruptForEveryRealCodec) {
    for (auto t : real_codecs) {
        bytes::byte_vector out;
        EXPECT_EQ(util::decompress(t, {}, out, unlimited), compression_error::corrupt_input) << name_of(t);
    }
}

TEST(Compression, TruncatedStreamsAreCorruptAndLeaveTheOutputUnchanged) {
    auto input = compressible_bytes(200000);
    for (auto t : real_codecs) {
        auto c = compressed(t, input);
        for (std::size_t keep : {std::size_t{1}, std::size_t{10}, c.size() / 2, c.size() - 1}) {
            bytes::byte_vector out = {7, 7};
            EXPECT_EQ(util::decompress(t, bytes::bytes_view(c.data(), keep), out, unlimited),
                      compression_error::corrupt_input)
                << name_of(t) << " keeping " << keep << " of " << c.size();
            EXPECT_EQ(out, (bytes::byte_vector{7, 7}));
        }
    }
}

TEST(Compression, DamagedStreamsAreRejected) {
    // Codecs without a content checksum may decode some damage into wrong bytes rather than an error
    // (the record batch CRC catches that); damage to headers and structure must be an error.
    auto input = compressible_bytes(200000);
    for (auto t : real_codecs) {
        auto c = compressed(t, input);
        auto header = c;
        header[0] ^= 0xff;
        bytes::byte_vector out;
        EXPECT_NE(util::decompress(t, header, out, unlimited), compression_error::none) << name_of(t);
        EXPECT_TRUE(out.empty());
    }
    auto garbage = random_bytes(5000, 9);
    for (auto t : real_codecs) {
        bytes::byte_vector out;
        EXPECT_NE(util::decompress(t, garbage, out, unlimited), compression_error::none) << name_of(t);
        EXPECT_TRUE(out.empty());
    }
}

TEST(Compression, TrailingGarbageAfterTheStreamIsCorrupt) {
    auto input = compressible_bytes(1000);
    for (auto t : {compression_type::gzip, compression_type::lz4, compression_type::zstd}) {
        auto c = compressed(t, input);
        c.push_back(0x00);
        c.push_back(0x01);
        bytes::byte_vector out;
        EXPECT_EQ(util::decompress(t, c, out, unlimited), compression_error::corrupt_input) << name_of(t);
    }
}

TEST(Compression, DecompressionBombIsBoundedByMaxSize) {
    bytes::byte_vector zeros(16 << 20, 0);
    for (auto t : all_codecs) {
        auto c = compressed(t, zeros);
        if (t != compression_type::none) {
            EXPECT_LT(c.size(), zeros.size() / 20) << name_of(t);  // snappy tops out near 21:1
        }
        bytes::byte_vector out = {5};
        EXPECT_EQ(util::decompress(t, c, out, 1 << 20), compression_error::too_large) << name_of(t);
        EXPECT_EQ(out, bytes::byte_vector{5});
        EXPECT_LE(out.capacity(), std::size_t{2 << 20}) << name_of(t) << ": allocated past the limit";

        bytes::byte_vector exact;
        EXPECT_EQ(util::decompress(t, c, exact, zeros.size()), compression_error::none) << name_of(t);
        EXPECT_EQ(exact.size(), zeros.size());
        bytes::byte_vector one_short;
        EXPECT_EQ(util::decompress(t, c, one_short, zeros.size() - 1), compression_error::too_large) << name_of(t);
    }
}

TEST(Compression, SnappyWritesTheXerialHeaderAndThirtyTwoKibBlocks) {
    auto input = compressible_bytes(100000);  // 4 blocks: 32 KiB, 32 KiB, 32 KiB, 1696 bytes
    auto c = compressed(compression_type::snappy, input);
    const bytes::byte header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    ASSERT_GE(c.size(), 16u);
    EXPECT_TRUE(std::equal(header, header + 16, c.begin()));
    std::size_t pos = 16, blocks = 0;
    while (pos < c.size()) {
        pos += 4 + bytes::load_be32(c.data() + pos);
        ++blocks;
    }
    EXPECT_EQ(pos, c.size());
    EXPECT_EQ(blocks, 4u);
}

TEST(Compression, Lz4WritesIndependentSixtyFourKibBlocksWithoutChecksums) {
    auto c = compressed(compression_type::lz4, compressible_bytes(1000));
    ASSERT_GE(c.size(), 7u);
    EXPECT_EQ(bytes::load_be32(c.data()), 0x04224D18u);  // magic 0x184D2204, little-endian
    EXPECT_EQ(c[4], 0x60);  // FLG: version 01, block independence, no checksums, no content size
    EXPECT_EQ(c[5], 0x40);  // BD: 64 KiB maximum block size
}

TEST(Compression, DecodesStreamsWrittenByTheGzipLz4AndZstdTools) {
    const auto plain = reference_lines();
    struct {
        const char* file;
        compression_type type;
    } files[] = {
        {"compression/lines.txt.gz", compression_type::gzip},
        {"compression/lines-2members.txt.gz", compression_type::gzip},
        {"compression/lines.txt.lz4", compression_type::lz4},
        {"compression/lines-linked-64k.txt.lz4", compression_type::lz4},
        {"compression/lines.txt.zst", compression_type::zstd},
        {"compression/lines-streamed.txt.zst", compression_type::zstd},
        {"compression/lines-19.txt.zst", compression_type::zstd},
        {"compression/lines.txt.xerial-snappy", compression_type::snappy},
        {"compression/lines.txt.raw-snappy", compression_type::snappy},
        {"compression/lines.txt.java-snappy", compression_type::snappy},
    };
    for (const auto& f : files) {
        auto c = test::read_test_file(f.file);
        ASSERT_FALSE(c.empty()) << f.file;
        bytes::byte_vector out;
        ASSERT_EQ(util::decompress(f.type, c, out, unlimited), compression_error::none) << f.file;
        EXPECT_EQ(out, plain) << f.file;
    }
}

TEST(Compression, OurStreamsMatchTheXerialFramingByteForByte) {
    // kafka-python's xerial encoder over libsnappy wrote lines.txt.xerial-snappy with 32 KiB blocks; the
    // same raw snappy library and block size must give the same bytes.
    auto reference = test::read_test_file("compression/lines.txt.xerial-snappy");
    EXPECT_EQ(compressed(compression_type::snappy, reference_lines()), reference);
}

TEST(Compression, SnappyRejectsAForgedUncompressedLengthBeforeAllocating) {
    // A raw block claiming 100 MiB (varint 0x80 0x80 0x80 0x32) with a few bytes of "data".
    const bytes::byte forged[] = {0x80, 0x80, 0x80, 0x32, 0x00, 0x61, 0x62, 0x63};
    bytes::byte_vector out;
    EXPECT_EQ(util::decompress(compression_type::snappy, forged, out, unlimited), compression_error::corrupt_input);
    EXPECT_EQ(out.capacity(), 0u);
}
