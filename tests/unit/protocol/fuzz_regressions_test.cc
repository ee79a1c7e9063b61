// Replays every input kept in tests/fuzz/regressions/ (request-* and response-* files, named for the fuzz
// target that found them) through the fuzz targets' checks, in every build. A regression aborts the test
// binary, as it would abort the fuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/frame_round_trip.h"

namespace tributary::protocol {
namespace {

namespace fs = std::filesystem;

TEST(FuzzRegressions, EveryKeptInputPassesTheFuzzChecks) {
    const fs::path dir(TRIBUTARY_FUZZ_REGRESSIONS);
    ASSERT_TRUE(fs::exists(dir)) << dir;
    std::size_t replayed = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        std::ifstream in(entry.path(), std::ios::binary);
        const bytes::byte_vector input(std::istreambuf_iterator<char>(in), {});
        SCOPED_TRACE(name);
        if (name.starts_with("request-")) {
            fuzz::check_request_frame(input);
            ++replayed;
        } else if (name.starts_with("response-")) {
            fuzz::check_response_frame(input);
            ++replayed;
        }
    }
    std::cout << "replayed " << replayed << " fuzz regression inputs\n";
}

}  // namespace
}  // namespace tributary::protocol
