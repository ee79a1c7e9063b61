#include "util/crc32c.h"

#include <gtest/gtest.h>

#include <random>

using namespace tributary;
using util::crc32c;
using util::crc32c_hardware;
using util::crc32c_portable;

namespace {

bytes::byte_vector random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    bytes::byte_vector v(n);
    for (auto& b : v) b = static_cast<bytes::byte>(rng());
    return v;
}

// Runs `check` with every implementation this machine has.
template <typename F>
void for_each_implementation(F check) {
    check("portable", &crc32c_portable);
    if (util::crc32c_hardware_available()) check("hardware", &crc32c_hardware);
    check("dispatch", [](bytes::bytes_view d, std::uint32_t c) { return crc32c(d, c); });
}

}  // namespace

TEST(Crc32c, MatchesRfc3720Vectors) {
    // RFC 3720 (iSCSI), appendix B.4.
    bytes::byte_vector zeros(32, 0x00), ones(32, 0xff), ascending(32), descending(32);
    for (int i = 0; i < 32; ++i) {
        ascending[i] = static_cast<bytes::byte>(i);
        descending[i] = static_cast<bytes::byte>(31 - i);
    }
    for_each_implementation([&](const char* name, auto fn) {
        EXPECT_EQ(fn(zeros, 0), 0x8A9136AAu) << name;
        EXPECT_EQ(fn(ones, 0), 0x62A8AB43u) << name;
        EXPECT_EQ(fn(ascending, 0), 0x46DD794Eu) << name;
        EXPECT_EQ(fn(descending, 0), 0x113FDB5Cu) << name;
    });
}

TEST(Crc32c, MatchesTheCheckValueOf123456789) {
    for_each_implementation([](const char* name, auto fn) {
        EXPECT_EQ(fn(bytes::as_bytes("123456789"), 0), 0xE3069283u) << name;
    });
}

TEST(Crc32c, EmptyInputLeavesTheValueUnchanged) {
    for_each_implementation([](const char* name, auto fn) {
        EXPECT_EQ(fn({}, 0), 0u) << name;
        EXPECT_EQ(fn({}, 0xdeadbeef), 0xdeadbeefu) << name;
    });
}

TEST(Crc32c, HardwareEqualsPortableOverLengthsAndAlignments) {
    if (!util::crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
    // Long enough to take the three-stream paths (3 x 8 KiB and 3 x 256 B) with every kind of remainder.
    auto data = random_bytes(3 * 3 * 8192 + 4096, 1);
    std::mt19937 rng(2);
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 1600; ++n) lengths.push_back(n);
    for (std::size_t n : {3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 2 * 3 * 8192 + 3 * 256 + 13}) lengths.push_back(n);
    for (int i = 0; i < 200; ++i) lengths.push_back(rng() % (data.size() - 8));
    for (std::size_t n : lengths) {
        for (std::size_t offset = 0; offset < 8; ++offset) {
            bytes::bytes_view v(data.data() + offset, n);
            std::uint32_t seed = static_cast<std::uint32_t>(rng());
            ASSERT_EQ(crc32c_hardware(v, seed), crc32c_portable(v, seed)) << "length " << n << " offset " << offset;
        }
    }
}

TEST(Crc32c, ExtendingWithASecondPartEqualsTheWhole) {
    auto data = random_bytes(60000, 3);
    for_each_implementation([&](const char* name, auto fn) {
        const std::uint32_t whole = fn(data, 0);
        for (std::size_t split : {0ul, 1ul, 7ul, 8ul, 255ul, 1000ul, 24575ul, 24576ul, 40000ul, 60000ul}) {
            bytes::bytes_view a(data.data(), split), b(data.data() + split, data.size() - split);
            EXPECT_EQ(fn(b, fn(a, 0)), whole) << name << " split at " << split;
        }
    });
}

TEST(Crc32c, DetectsEverySingleBitFlip) {
    auto data = random_bytes(64, 4);
    const std::uint32_t good = crc32c(data);
    for (std::size_t i = 0; i < data.size() * 8; ++i) {
        data[i / 8] ^= static_cast<bytes::byte>(1u << (i % 8));
        EXPECT_NE(crc32c(data), good) << "bit " << i;
        data[i / 8] ^= static_cast<bytes::byte>(1u << (i % 8));
    }
}
