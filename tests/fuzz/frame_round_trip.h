// The checks behind the protocol fuzz targets, shared with the unit test that replays
// tests/fuzz/regressions/ (so a fixed crash stays fixed in every build, not only under libFuzzer).
//
// check_request_frame(frame): frame = request header + body, as a client sends it after the size prefix.
// check_response_frame(input): input = api key (int16) + api version (int16) + response header + body; a
// response does not name its API, so the fuzzer supplies it in front.
//
// Any input is acceptable. When the header and body decode, encode -> decode must give an equal message
// (NaN-carrying float64 fields excepted: compared on bytes) and encode must be deterministic; otherwise
// the check aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "protocol/all_apis.h"
#include "protocol/testing/random_messages.h"

namespace tributary::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view message, std::int16_t version) {
    std::fprintf(stderr, "round trip failed: %s (%.*s v%d)\n", what, static_cast<int>(message.size()),
                 message.data(), version);
    std::abort();
}

template <typename T>
void require_round_trip(const T& message, std::int16_t version) {
    bytes::writer first;
    message.encode(first, version);
    const bytes::byte_vector encoded = first.to_vector();

    bytes::reader r(encoded);
    T decoded;
    decoded.decode(r, version);
    if (!r.ok()) fail("re-encoded message does not decode", T::message_name, version);
    if (!r.at_end()) fail("re-encoded message has trailing bytes", T::message_name, version);

    bytes::writer second;
    decoded.encode(second, version);
    const bool same_bytes = second.to_vector() == encoded;
    if (!same_bytes) fail("encoding is not stable", T::message_name, version);
    if (!(decoded == message) && !protocol::testing::has_float64_fields<T>) {
        fail("decoded message differs", T::message_name, version);
    }
}

inline void check_request_frame(bytes::bytes_view frame) {
    bytes::reader peek(frame);
    const std::int16_t key = peek.read_int16();
    const std::int16_t version = peek.read_int16();
    if (!peek.ok()) return;
    const std::int16_t header_version = protocol::request_header_version(key, version);
    if (header_version < 0) return;

    bytes::reader r(frame);
    protocol::request_header header;
    header.decode(r, header_version);
    if (!r.ok()) return;
    require_round_trip(header, header_version);

    protocol::visit_api(key, [&](auto api) {
        using request = typename decltype(api)::request;
        request message;
        message.decode(r, version);
        if (r.ok()) require_round_trip(message, version);
    });
}

inline void check_response_frame(bytes::bytes_view input) {
    bytes::reader r(input);
    const std::int16_t key = r.read_int16();
    const std::int16_t version = r.read_int16();
    if (!r.ok()) return;
    const std::int16_t header_version = protocol::response_header_version(key, version);
    if (header_version < 0) return;

    protocol::response_header header;
    header.decode(r, header_version);
    if (!r.ok()) return;
    require_round_trip(header, header_version);

    protocol::visit_api(key, [&](auto api) {
        using response = typename decltype(api)::response;
        response message;
        message.decode(r, version);
        if (r.ok()) require_round_trip(message, version);
    });
}

}  // namespace tributary::fuzz
