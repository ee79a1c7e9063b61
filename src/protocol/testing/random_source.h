// Random values for property tests of the generated codecs (library tributary_protocol_testing, linked
// only by tests). The generated fill() functions (protocol/testing/random_messages.h) draw every value
// from a random_source, so a property-testing framework can implement it with its own generators and
// shrink a failing message; seeded_random_source is a plain deterministic implementation.
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "bytes/bytes.h"
#include "model/fundamental.h"
#include "protocol/tagged_field.h"

namespace tributary::protocol::testing {

class random_source {
public:
    virtual ~random_source() = default;

    // A uniformly chosen integer in [lo, hi].
    virtual std::int64_t integer(std::int64_t lo, std::int64_t hi) = 0;
    virtual bool boolean() = 0;
    // Any finite double (never NaN: NaN != NaN would break equality checks).
    virtual double float64() = 0;
    // A short string (any bytes) and a short byte string.
    virtual std::string text() = 0;
    virtual ::tributary::bytes::byte_vector blob() = 0;
    // The length of an array: small, so that nested arrays stay small.
    virtual std::size_t count() = 0;
    // Whether a value that may be null should be null.
    virtual bool null() = 0;

    std::int8_t int8() { return static_cast<std::int8_t>(integer(INT8_MIN, INT8_MAX)); }
    std::int16_t int16() { return static_cast<std::int16_t>(integer(INT16_MIN, INT16_MAX)); }
    std::uint16_t uint16() { return static_cast<std::uint16_t>(integer(0, UINT16_MAX)); }
    std::int32_t int32() { return static_cast<std::int32_t>(integer(INT32_MIN, INT32_MAX)); }
    std::int64_t int64() { return integer(INT64_MIN, INT64_MAX); }
    model::uuid uuid() {
        model::uuid u;
        for (auto& b : u.bytes) b = static_cast<std::uint8_t>(integer(0, 255));
        return u;
    }
};

// Replaces `fields` with a few unknown tagged fields in ascending tag order, all at or above
// `first_tag` (the tags above every tag the schema knows), with random values.
void fill_unknown_tagged_fields(std::vector<tagged_field>& fields, std::uint32_t first_tag,
                                random_source& source);

// A random_source over std::mt19937_64: reproducible from its seed.
class seeded_random_source final : public random_source {
public:
    explicit seeded_random_source(std::uint64_t seed) : engine_(seed) {}

    std::int64_t integer(std::int64_t lo, std::int64_t hi) override {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine_);
    }
    bool boolean() override { return integer(0, 1) == 1; }
    double float64() override { return std::uniform_real_distribution<double>(-1e9, 1e9)(engine_); }
    std::string text() override {
        std::string s(static_cast<std::size_t>(integer(0, 12)), 'a');
        for (auto& c : s) c = static_cast<char>(integer(0x20, 0x7e));
        return s;
    }
    ::tributary::bytes::byte_vector blob() override {
        ::tributary::bytes::byte_vector b(static_cast<std::size_t>(integer(0, 12)));
        for (auto& c : b) c = static_cast<std::uint8_t>(integer(0, 255));
        return b;
    }
    std::size_t count() override { return static_cast<std::size_t>(integer(0, 3)); }
    bool null() override { return integer(0, 3) == 0; }

private:
    std::mt19937_64 engine_;
};

}  // namespace tributary::protocol::testing
