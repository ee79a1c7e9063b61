// Decoding a Produce request as the broker receives it: the request header, the generated
// ProduceRequest codec (v11, flexible), then the batch checks of the produce path (header + CRC32C) for
// every partition. The frame holds real record batches of 100-byte records built by the project's
// batch builder, one batch per partition, as a producer with a 16 KiB batch.size sends them.
// Bytes/second counts the whole frame.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "protocol/api_keys.h"
#include "protocol/messages/produce_request.h"
#include "protocol/messages/request_header.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"

using namespace tributary;

namespace {

constexpr std::int16_t produce_version = 11;

bytes::byte_vector batch_of(std::size_t records, std::size_t value_size, std::uint32_t seed) {
    std::mt19937 rng(seed);
    protocol::record_batch_builder b;
    std::string value(value_size, 'x');
    for (std::size_t i = 0; i < records; ++i) {
        for (auto& c : value) c = static_cast<char>('A' + rng() % 26);
        b.add(1'700'000'000'000 + static_cast<std::int64_t>(i), std::nullopt, bytes::as_bytes(value));
    }
    return *b.build();
}

// A Produce request frame (without the 4-byte length prefix) for `partitions` partitions.
bytes::byte_vector produce_frame(int partitions, std::size_t records_per_batch, std::vector<bytes::byte_vector>& keep) {
    protocol::produce_request req;
    req.acks = -1;
    req.timeout_ms = 30000;
    protocol::produce_request::topic_produce_data t;
    t.name = "bench-topic";
    for (int p = 0; p < partitions; ++p) {
        keep.push_back(batch_of(records_per_batch, 100, static_cast<std::uint32_t>(p)));
        protocol::produce_request::partition_produce_data d;
        d.index = p;
        d.records = protocol::records::borrowed(keep.back());
        t.partition_data.push_back(std::move(d));
    }
    req.topic_data.push_back(std::move(t));
    protocol::request_header h;
    h.request_api_key = protocol::produce_request::api_key;
    h.request_api_version = produce_version;
    h.correlation_id = 42;
    h.client_id = "bench-producer";
    bytes::writer w;
    h.encode(w, protocol::request_header_version(protocol::produce_request::api_key, produce_version));
    req.encode(w, produce_version);
    return w.to_vector();
}

void bm_produce_decode(benchmark::State& state) {
    std::vector<bytes::byte_vector> keep;
    const auto frame = produce_frame(static_cast<int>(state.range(0)), static_cast<std::size_t>(state.range(1)), keep);
    const auto header_version = protocol::request_header_version(protocol::produce_request::api_key, produce_version);
    for (auto _ : state) {
        bytes::reader r(frame);
        protocol::request_header h;
        h.decode(r, header_version);
        protocol::produce_request req;
        req.decode(r, produce_version);
        if (!r.ok()) {
            state.SkipWithError("decode failed");
            return;
        }
        std::size_t checked = 0;
        for (const auto& t : req.topic_data) {
            for (const auto& p : t.partition_data) {
                auto v = protocol::validate(p.records.data());
                if (!v) {
                    state.SkipWithError("validate failed");
                    return;
                }
                checked += p.records.size_bytes();
            }
        }
        benchmark::DoNotOptimize(checked);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
    state.counters["frame_bytes"] = static_cast<double>(frame.size());
}

// Decode alone (no CRC): what the generated codec costs per request.
void bm_produce_decode_only(benchmark::State& state) {
    std::vector<bytes::byte_vector> keep;
    const auto frame = produce_frame(static_cast<int>(state.range(0)), static_cast<std::size_t>(state.range(1)), keep);
    const auto header_version = protocol::request_header_version(protocol::produce_request::api_key, produce_version);
    for (auto _ : state) {
        bytes::reader r(frame);
        protocol::request_header h;
        h.decode(r, header_version);
        protocol::produce_request req;
        req.decode(r, produce_version);
        benchmark::DoNotOptimize(req.topic_data.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}

}  // namespace

// {partitions, records per batch}: one 16 KiB batch; 8 partitions of 16 KiB; 64 partitions of 1.6 KiB.
BENCHMARK(bm_produce_decode)->Name("produce_request/decode+validate")->Args({1, 150})->Args({8, 150})->Args({64, 15});
BENCHMARK(bm_produce_decode_only)->Name("produce_request/decode")->Args({1, 150})->Args({8, 150})->Args({64, 15});
