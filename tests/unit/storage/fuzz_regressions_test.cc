// Replays the inputs kept in tests/fuzz/regressions/ for the storage-side fuzz targets (batch-* for
// batch_validation_fuzz, recovery-* for log_recovery_fuzz) through the targets' own checks, in every
// build. A regression aborts the test binary, as it would abort the fuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/batch_validation_check.h"
#include "fuzz/log_recovery_check.h"

namespace tributary::storage::test {
namespace {

namespace fs = std::filesystem;

TEST(StorageFuzzRegressions, EveryKeptInputPassesTheFuzzChecks) {
    const fs::path dir(TRIBUTARY_FUZZ_REGRESSIONS);
    ASSERT_TRUE(fs::exists(dir)) << dir;
    std::size_t replayed = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        std::ifstream in(entry.path(), std::ios::binary);
        const bytes::byte_vector input(std::istreambuf_iterator<char>(in), {});
        SCOPED_TRACE(name);
        if (name.starts_with("batch-")) {
            fuzz::check_produced_batch_input(input);
            ++replayed;
        } else if (name.starts_with("recovery-")) {
            fuzz::check_log_recovery_input(input);
            ++replayed;
        }
    }
    std::cout << "replayed " << replayed << " storage fuzz regression inputs\n";
}

}  // namespace
}  // namespace tributary::storage::test
