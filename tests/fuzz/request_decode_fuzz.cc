// libFuzzer target: a request frame (request header + body, without the size prefix) through the
// generated codecs; see frame_round_trip.h for what is checked. Seeds: tests/fixtures/captures/*/*-request.bin
// and tests/fuzz/regressions/request-*. Run: tests/fuzz/run.sh (docs/formats/protocol-codegen.md).
#include <cstddef>
#include <cstdint>

#include "fuzz/frame_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tributary::fuzz::check_request_frame(tributary::bytes::bytes_view(data, size));
    return 0;
}
