// The produce hot path (validate: header checks + CRC32C) and the codecs, over a batch of 1,000
// 100-byte records (~110 KiB), the size a busy producer sends. Bytes/second counts uncompressed bytes
// for the codecs.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_reader.h"

using namespace tributary;
using util::compression_type;

namespace {

// Records that look like JSON events: compressible, but not trivially.
bytes::byte_vector sample_batch(compression_type c) {
    std::mt19937 rng(3);
    protocol::record_batch_builder b(c);
    for (int i = 0; i < 1000; ++i) {
        std::string key = "user-" + std::to_string(rng() % 10000);
        std::string value = "{\"event\":\"click\",\"page\":\"/item/" + std::to_string(rng() % 100000) +
                            "\",\"ms\":" + std::to_string(rng() % 5000) + ",\"session\":\"" +
                            std::to_string(rng()) + std::to_string(rng()) + "\"}";
        value.resize(100, ' ');
        b.add(1700000000000 + i, bytes::as_bytes(key), bytes::as_bytes(value));
    }
    return *b.build();
}

void bm_validate(benchmark::State& state) {
    auto batch = sample_batch(compression_type::none);
    for (auto _ : state) benchmark::DoNotOptimize(protocol::validate(batch).ok());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
}

void bm_read_records(benchmark::State& state) {
    auto codec = static_cast<compression_type>(state.range(0));
    auto batch = sample_batch(codec);
    auto plain = sample_batch(compression_type::none);
    protocol::record_reader reader;
    for (auto _ : state) {
        reader.open(batch);
        std::size_t n = 0;
        while (reader.next()) n += reader.record().value->size();
        benchmark::DoNotOptimize(n);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plain.size()));
    state.counters["ratio"] = static_cast<double>(plain.size()) / static_cast<double>(batch.size());
    state.SetLabel(std::string(util::to_string(codec)));
}

void bm_compress(benchmark::State& state) {
    auto codec = static_cast<compression_type>(state.range(0));
    auto plain = sample_batch(compression_type::none);
    bytes::bytes_view records = bytes::bytes_view(plain).subspan(protocol::batch_format::records_at);
    bytes::byte_vector out;
    for (auto _ : state) {
        out.clear();
        util::compress(codec, records, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * records.size()));
    state.SetLabel(std::string(util::to_string(codec)));
}

}  // namespace

BENCHMARK(bm_validate)->Name("validate");
BENCHMARK(bm_read_records)->Name("read_records")->DenseRange(0, 4);
BENCHMARK(bm_compress)->Name("compress")->DenseRange(1, 4);
