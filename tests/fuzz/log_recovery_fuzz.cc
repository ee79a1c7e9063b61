// libFuzzer target: log recovery over a fuzzed partition directory; see log_recovery_check.h for the
// input layout and what is checked. Seeds: seed_corpus.py (segments laid out from real client batches).
#include <cstddef>
#include <cstdint>

#include "fuzz/log_recovery_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tributary::fuzz::check_log_recovery_input(
        tributary::bytes::bytes_view(reinterpret_cast<const tributary::bytes::byte*>(data), size));
    return 0;
}
