// Property: for every message schema (requests, responses, headers, data) and every valid version, a
// random message valid for that version survives encode -> decode unchanged, the decoder consumes every
// byte, and encoding the decoded message gives the same bytes.
//
// The random values come from the generated fill() functions through a random_source that draws each
// value with a rapidcheck generator, so a failing message is shrunk like any rapidcheck value.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "protocol/all_apis.h"
#include "protocol/testing/random_messages.h"

namespace tributary::protocol {
namespace {

class rapidcheck_source final : public testing::random_source {
public:
    std::int64_t integer(std::int64_t lo, std::int64_t hi) override {
        // Whole-type ranges use arbitrary<T>, which shrinks towards 0 and favours edge values.
        if (lo == INT8_MIN && hi == INT8_MAX) return *rc::gen::arbitrary<std::int8_t>();
        if (lo == INT16_MIN && hi == INT16_MAX) return *rc::gen::arbitrary<std::int16_t>();
        if (lo == 0 && hi == UINT16_MAX) return *rc::gen::arbitrary<std::uint16_t>();
        if (lo == INT32_MIN && hi == INT32_MAX) return *rc::gen::arbitrary<std::int32_t>();
        if (lo == INT64_MIN && hi == INT64_MAX) return *rc::gen::arbitrary<std::int64_t>();
        if (hi == INT64_MAX) return *rc::gen::inRange(lo, hi);  // hi itself is never drawn
        return *rc::gen::inRange(lo, hi + 1);
    }
    bool boolean() override { return *rc::gen::arbitrary<bool>(); }
    double float64() override {
        return *rc::gen::suchThat(rc::gen::arbitrary<double>(), [](double d) { return !std::isnan(d); });
    }
    std::string text() override {
        auto size = *rc::gen::inRange<std::size_t>(0, 17);
        return *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>());
    }
    bytes::byte_vector blob() override {
        auto size = *rc::gen::inRange<std::size_t>(0, 17);
        return *rc::gen::container<bytes::byte_vector>(size, rc::gen::arbitrary<std::uint8_t>());
    }
    std::size_t count() override { return *rc::gen::inRange<std::size_t>(0, 4); }
    bool null() override { return *rc::gen::inRange(0, 4) == 0; }
};

struct round_trip_outcome {
    bytes::decode_error error = bytes::decode_error::none;
    std::size_t left_over = 0;
    bool equal = false;
    bool same_bytes = false;
    std::size_t size = 0;
};

template <typename T>
round_trip_outcome round_trip(std::int16_t version, testing::random_source& source) {
    T original;
    testing::fill(original, version, source);
    bytes::writer w;
    original.encode(w, version);
    const bytes::byte_vector encoded = w.to_vector();

    round_trip_outcome out;
    out.size = encoded.size();
    bytes::reader r(encoded);
    T decoded;
    decoded.decode(r, version);
    out.error = r.error();
    out.left_over = r.remaining();
    out.equal = decoded == original;
    bytes::writer again;
    decoded.encode(again, version);
    out.same_bytes = again.to_vector() == encoded;
    return out;
}

struct message_case {
    std::string_view name;
    std::int16_t min_version;
    std::int16_t max_version;
    round_trip_outcome (*run)(std::int16_t, testing::random_source&);
};

std::vector<message_case> all_message_cases() {
    std::vector<message_case> cases;
    for_each_type(all_messages{}, [&](auto type) {
        using T = typename decltype(type)::type;
        cases.push_back({T::message_name, T::min_version, T::max_version, &round_trip<T>});
    });
    return cases;
}

void PrintTo(const message_case& c, std::ostream* os) { *os << c.name; }

class RoundTrip : public ::testing::TestWithParam<message_case> {};

TEST_P(RoundTrip, EveryVersionEncodesDecodesAndReencodesIdentically) {
    const message_case& c = GetParam();
    for (std::int16_t version = c.min_version; version <= c.max_version; ++version) {
        const std::string description = std::string(c.name) + " v" + std::to_string(version);
        const bool ok = rc::check(description, [&] {
            rapidcheck_source source;
            const round_trip_outcome out = c.run(version, source);
            RC_ASSERT(out.error == bytes::decode_error::none);
            RC_ASSERT(out.left_over == 0u);
            RC_ASSERT(out.equal);
            RC_ASSERT(out.same_bytes);
        });
        EXPECT_TRUE(ok) << description;
    }
}

INSTANTIATE_TEST_SUITE_P(AllMessages, RoundTrip, ::testing::ValuesIn(all_message_cases()),
                         [](const ::testing::TestParamInfo<message_case>& info) {
                             return std::string(info.param.name);
                         });

TEST(RoundTrip, CoversEveryMessageWithValidVersions) {
    // 203 schemas, of which 8 (the request/response pairs of api keys 4-7) have no valid versions.
    EXPECT_EQ(all_messages::size, 195u);
    EXPECT_EQ(all_apis::size, 91u);
}

}  // namespace
}  // namespace tributary::protocol
