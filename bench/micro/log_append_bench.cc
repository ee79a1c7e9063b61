// Log append throughput against a raw sequential pwrite of the same batch sizes, on the real file
// system (a temporary directory under $TRIBUTARY_BENCH_DIR, default /tmp): what the log adds on top of the disk's write path (offset
// assignment, patching, indexes, the hop to the disk thread and back). Without acks=all the log
// fsyncs only when it rolls a segment (every 256 MiB here), so the raw writer fdatasyncs at the same
// points. A second set adds durability: acks=all with group commit (16 appends in flight), against
// pwrite + fdatasync per batch, and against 16 pwrites + one fdatasync (the same group size: the
// physical limit for a log that commits 16 batches per fsync).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/record_batch_builder.h"
#include "storage/disk_executor.h"
#include "storage/log.h"

using namespace tributary;

namespace {

constexpr std::size_t bytes_per_iteration = 64 << 20;
constexpr int appends_in_flight = 16;
constexpr off_t segment_bytes = 256 << 20;

// A batch of about `size` bytes: 1 KiB records.
bytes::byte_vector batch_of(std::size_t size) {
    protocol::record_batch_builder b;
    const std::size_t record = std::min<std::size_t>(1024, size);
    const std::string value(record - 40, 'x');
    for (std::size_t n = 0; n + record <= size; n += record) {
        b.add(1'700'000'000'000, std::nullopt, bytes::as_bytes(value));
    }
    return *b.build();
}

std::filesystem::path temp_dir() {
    const char* base = std::getenv("TRIBUTARY_BENCH_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/tributary-bench-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    return tmpl;
}

void run(asio::io_context& io, awaitable<void> a) {
    asio::co_spawn(io, std::move(a), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    io.restart();
    io.run();
}

awaitable<void> appender(storage::log& l, bytes::byte_vector batch, std::size_t* remaining, bool acks_all) {
    while (*remaining > 0) {
        *remaining -= std::min(*remaining, batch.size());
        // As cluster::partition does with one replica: acks=all waits for durability, and what is
        // durable is committed (which lets retention delete it).
        auto r = co_await l.append(batch, model::leader_epoch(1));
        if (!r) std::abort();
        if (acks_all && co_await l.wait_durable(r->last_offset) != storage::storage_error::none) std::abort();
        if (l.durable_offset() > l.high_watermark()) l.set_high_watermark(l.durable_offset());
    }
}

// REQUIRES: *remaining outlives the appenders (run() returns only when they are done).
awaitable<void> append_all(storage::log& l, const bytes::byte_vector& batch, std::size_t* remaining,
                           bool acks_all) {
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < appends_in_flight; ++i) {
        asio::co_spawn(ex, appender(l, batch, remaining, acks_all), asio::detached);
    }
}

void bm_log_append(benchmark::State& state, bool acks_all) {
    const auto batch = batch_of(static_cast<std::size_t>(state.range(0)));
    const auto dir = temp_dir();
    asio::io_context io;
    storage::thread_disk_executor disk("bench-disk");
    storage::log_config config;
    config.segment_bytes = segment_bytes;
    config.retention_bytes = 512 << 20;  // keep the disk from filling up
    config.retention_ms = -1;
    if (!acks_all) config.flush_messages = std::int64_t{1} << 60;  // relaxed: no fsync
    std::unique_ptr<storage::log> l;
    run(io, [&]() -> awaitable<void> {
        auto r = co_await storage::log::open(storage::log_env(disk), dir / "bench-0", config, model::uuid{});
        if (!r) std::abort();
        l = std::move(r).value();
    }());
    const std::size_t per_iteration = acks_all ? bytes_per_iteration / 8 : bytes_per_iteration;
    for (auto _ : state) {
        std::size_t remaining = per_iteration;
        run(io, append_all(*l, batch, &remaining, acks_all));
        state.PauseTiming();
        run(io, [&]() -> awaitable<void> { (void)co_await l->apply_retention(); }());
        state.ResumeTiming();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * per_iteration));
    run(io, l->close());
    l.reset();
    std::filesystem::remove_all(dir);
}

// sync_every: fdatasync after this many batches (0: only where a segment would roll).
void bm_raw_write(benchmark::State& state, int sync_every) {
    const bool sync = sync_every > 0;
    const auto batch = batch_of(static_cast<std::size_t>(state.range(0)));
    const auto dir = temp_dir();
    const int fd = ::open((dir / "raw").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const std::size_t per_iteration = sync ? bytes_per_iteration / 8 : bytes_per_iteration;
    off_t position = 0;
    std::uint64_t batches = 0;
    for (auto _ : state) {
        for (std::size_t done = 0; done < per_iteration; done += batch.size()) {
            if (::pwrite(fd, batch.data(), batch.size(), position) != static_cast<ssize_t>(batch.size()))
                std::abort();
            const off_t next = position + static_cast<off_t>(batch.size());
            ++batches;
            if ((sync && batches % sync_every == 0) || next / segment_bytes != position / segment_bytes)
                ::fdatasync(fd);  // as a group commit / a roll does
            position = next;
        }
        state.PauseTiming();
        if (position >= 2 * segment_bytes) {
            ::ftruncate(fd, 0);
            position = 0;
        }
        state.ResumeTiming();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * per_iteration));
    ::close(fd);
    std::filesystem::remove_all(dir);
}

void bm_log_append_no_fsync(benchmark::State& s) {
    bm_log_append(s, false);
}
void bm_raw_write_no_fsync(benchmark::State& s) {
    bm_raw_write(s, 0);
}
void bm_log_append_acks_all(benchmark::State& s) {
    bm_log_append(s, true);
}
void bm_raw_write_fdatasync_each(benchmark::State& s) {
    bm_raw_write(s, 1);
}
void bm_raw_write_fdatasync_per_16(benchmark::State& s) {
    bm_raw_write(s, appends_in_flight);
}

}  // namespace

BENCHMARK(bm_raw_write_no_fsync)
    ->Arg(4 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_log_append_no_fsync)
    ->Arg(4 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_raw_write_fdatasync_each)->Arg(64 << 10)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_raw_write_fdatasync_per_16)->Arg(64 << 10)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_log_append_acks_all)->Arg(64 << 10)->UseRealTime()->Unit(benchmark::kMillisecond);
