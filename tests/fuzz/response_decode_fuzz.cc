// libFuzzer target: api key + api version (two int16) followed by a response frame (response header +
// body) through the generated codecs; see frame_round_trip.h. Seeds: captured responses with their api
// key and version prepended (tests/fuzz/run.sh builds them) and tests/fuzz/regressions/response-*.
#include <cstddef>
#include <cstdint>

#include "fuzz/frame_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tributary::fuzz::check_response_frame(tributary::bytes::bytes_view(data, size));
    return 0;
}
