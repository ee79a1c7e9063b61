// CRC32C throughput of the hardware (SSE4.2, three streams) and portable (slicing-by-8) paths, from a
// typical small record batch to a segment-sized buffer. Reported as bytes/second.
#include <benchmark/benchmark.h>

#include <random>

#include "util/crc32c.h"

using namespace tributary;

namespace {

bytes::byte_vector random_bytes(std::size_t n) {
    std::mt19937 rng(1);
    bytes::byte_vector v(n);
    for (auto& b : v) b = static_cast<bytes::byte>(rng());
    return v;
}

template <std::uint32_t (*crc)(bytes::bytes_view, std::uint32_t)>
void bm_crc32c(benchmark::State& state) {
    if (crc == &util::crc32c_hardware && !util::crc32c_hardware_available()) {
        state.SkipWithError("no SSE4.2");
        return;
    }
    auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(crc(data, 0));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

BENCHMARK(bm_crc32c<util::crc32c_hardware>)->Name("crc32c/hardware")->RangeMultiplier(4)->Range(64, 4 << 20);
BENCHMARK(bm_crc32c<util::crc32c_portable>)->Name("crc32c/portable")->RangeMultiplier(4)->Range(64, 4 << 20);
