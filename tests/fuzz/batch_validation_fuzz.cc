// libFuzzer target: a produced record batch through the produce path's checks and the record decoder;
// see batch_validation_check.h for what is checked. Seeds: seed_corpus.py (real client batches).
#include <cstddef>
#include <cstdint>

#include "fuzz/batch_validation_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tributary::fuzz::check_produced_batch_input(
        tributary::bytes::bytes_view(reinterpret_cast<const tributary::bytes::byte*>(data), size));
    return 0;
}
