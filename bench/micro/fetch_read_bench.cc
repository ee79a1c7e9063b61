// The fetch read path: storage::log::read() of whole batches (into a recycled read buffer, as the
// broker's per-shard read_buffer_pool gives them) from a 64 MiB log (16 KiB batches of
// 1 KiB records), 1 MiB per call (max.partition.fetch.bytes), from the start to the high watermark and
// round again, with the file in the page cache. Compared with a raw pread of the same 1 MiB chunks of
// the same segment file: the limit for a read that copies out of the page cache.
// TRIBUTARY_BENCH_DIR chooses the file system (default /tmp).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "protocol/record_batch_builder.h"
#include "storage/disk_executor.h"
#include "storage/log.h"

using namespace tributary;

namespace {

constexpr std::size_t log_bytes = 64 << 20;
constexpr std::size_t fetch_bytes = 1 << 20;

bytes::byte_vector batch_of(std::size_t size) {
    protocol::record_batch_builder b;
    const std::string value(1024 - 40, 'x');
    for (std::size_t n = 0; n + 1024 <= size; n += 1024) b.add(1'700'000'000'000, std::nullopt, bytes::as_bytes(value));
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

struct fixture {
    std::filesystem::path dir = temp_dir();
    asio::io_context io;
    storage::thread_disk_executor disk{"bench-disk"};
    storage::read_buffer_pool buffers{32u << 20};  // the broker's per-shard cache size
    std::unique_ptr<storage::log> log;

    fixture() {
        storage::log_config config;
        config.segment_bytes = 1 << 30;  // one segment
        config.retention_ms = -1;
        config.flush_messages = std::int64_t{1} << 60;  // no fsync: this measures reads
        run(io, [this, config]() -> awaitable<void> {
            auto r = co_await storage::log::open(
                storage::log_env(disk, storage::posix_file_system(), storage::default_clock(), buffers), dir / "bench-0", config, model::uuid{});
            if (!r) std::abort();
            log = std::move(r).value();
            const auto batch = batch_of(16 << 10);
            for (std::size_t n = 0; n < log_bytes; n += batch.size()) {
                auto copy = batch;
                auto a = co_await log->append(copy, model::leader_epoch(1), {});
                if (!a) std::abort();
            }
            log->set_high_watermark(log->durable_offset());  // as cluster::partition does with one replica
        }());
    }
    ~fixture() {
        run(io, log->close());
        log.reset();
        std::filesystem::remove_all(dir);
    }
};

void bm_log_read(benchmark::State& state) {
    fixture f;
    std::size_t total = 0;
    for (auto _ : state) {
        run(f.io, [&]() -> awaitable<void> {
            model::offset at{0};
            const auto hw = f.log->high_watermark();
            while (at < hw) {
                auto r = co_await f.log->read(at, fetch_bytes, hw, true);
                if (!r || r->records.empty()) std::abort();
                total += r->records.size();
                at = r->next_offset;
            }
        }());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

void bm_raw_pread(benchmark::State& state) {
    fixture f;
    std::filesystem::path segment;
    for (const auto& e : std::filesystem::directory_iterator(f.dir / "bench-0"))
        if (e.path().extension() == ".log") segment = e.path();
    const int fd = ::open(segment.c_str(), O_RDONLY | O_CLOEXEC);
    const auto size = static_cast<std::size_t>(std::filesystem::file_size(segment));
    bytes::byte_vector buf(fetch_bytes);
    std::size_t total = 0;
    for (auto _ : state) {
        for (std::size_t at = 0; at < size; at += fetch_bytes) {
            auto n = ::pread(fd, buf.data(), std::min(fetch_bytes, size - at), static_cast<off_t>(at));
            if (n <= 0) std::abort();
            total += static_cast<std::size_t>(n);
        }
        benchmark::DoNotOptimize(buf.data());
    }
    ::close(fd);
    state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

}  // namespace

BENCHMARK(bm_raw_pread)->Name("fetch_read/raw_pread_1MiB")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_log_read)->Name("fetch_read/log_read_1MiB")->UseRealTime()->Unit(benchmark::kMillisecond);
