// Helpers for the storage tests: run a coroutine to completion, build batches, and a fixture with an
// in-memory fault-injecting file system, a real disk thread and a manual clock.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <optional>
#include <string>

#include "net/asio.h"
#include "protocol/record_batch_builder.h"
#include "storage/disk_executor.h"
#include "storage/format.h"
#include "storage/log.h"
#include "storage/testing/memory_file_system.h"

namespace tributary::storage::test {

// Runs `a` on `io` until it and everything it started (disk tasks, flushers) are done.
inline void run(asio::io_context& io, awaitable<void> a) {
    std::exception_ptr error;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e) { error = e; });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
}

template <typename T>
awaitable<void> store_into(awaitable<T> a, std::optional<T>* out) {
    out->emplace(co_await std::move(a));
}

// co_spawn needs a default-constructible result type, which util::result is not; go through void.
template <typename T>
T run(asio::io_context& io, awaitable<T> a) {
    std::optional<T> out;
    run(io, store_into(std::move(a), &out));
    return std::move(*out);
}

struct producer_ids {
    std::int64_t id = 1000;
    std::int16_t epoch = 0;
    std::int32_t sequence = 0;
};

struct batch_spec {
    int records = 1;
    std::int64_t timestamp = 1'700'000'000'000;  // of the first record; each next one is +1 ms
    std::size_t value_size = 16;
    std::optional<producer_ids> producer;
    bool transactional = false;
    util::compression_type compression = util::compression_type::none;
};

inline bytes::byte_vector make_batch(const batch_spec& spec = {}) {
    protocol::record_batch_builder b(spec.compression);
    if (spec.producer) {
        b.producer(model::producer_id(spec.producer->id), model::producer_epoch(spec.producer->epoch),
                   spec.producer->sequence);
    }
    if (spec.transactional) b.transactional();
    const std::string value(spec.value_size, 'v');
    for (int i = 0; i < spec.records; ++i) {
        std::string key = "k";  // (not "k" + ..., which trips GCC 12's -Wrestrict false positive at -O3)
        key += std::to_string(i);
        b.add(spec.timestamp + i, bytes::as_bytes(key), bytes::as_bytes(value));
    }
    return std::move(b.build()).value();
}

inline std::vector<protocol::record_batch_header> headers_of(bytes::bytes_view data) {
    std::vector<protocol::record_batch_header> out;
    protocol::batch_iterator it(data);
    while (it.next()) out.push_back(it.header());
    EXPECT_EQ(it.error(), protocol::batch_error::none);
    return out;
}

const model::uuid test_topic_id = [] {
    model::uuid u;
    for (std::size_t i = 0; i < u.bytes.size(); ++i) u.bytes[i] = static_cast<std::uint8_t>(i + 1);
    return u;
}();

// An acks=all append as cluster::partition makes it with one replica: append, wait until the batches
// are durable, then move the high watermark over them.
inline awaitable<util::result<append_result, storage_error>> append_committed(log& l, bytes::mutable_bytes_view batches,
                                                                             model::leader_epoch epoch) {
    auto r = co_await l.append(batches, epoch);
    if (!r) co_return r;
    if (auto e = co_await l.wait_durable(r->last_offset); e != storage_error::none) co_return e;
    if (l.durable_offset() > l.high_watermark()) l.set_high_watermark(l.durable_offset());
    co_return r;
}

// How log_fixture appends (outside the class: a default argument cannot use a nested class's member
// initializers before the enclosing class is complete).
struct append_mode {
    bool acks_all = false;
    append_origin origin = append_origin::client;
};

class log_fixture : public ::testing::Test {
protected:
    ~log_fixture() override { close_log(); }

    log_env env() {
        log_env e(disk, fs, clock);
        e.sync = sync;
        return e;
    }

    std::unique_ptr<log>& open_log() {
        close_log();
        auto r = run(io, log::open(env(), dir, config, test_topic_id));
        EXPECT_TRUE(r.ok()) << to_string(r.error());
        if (r.ok()) lg = std::move(r).value();
        commit();
        return lg;
    }

    void close_log() {
        if (lg) run(io, lg->close());
        lg.reset();
    }

    // A crash of the machine: everything not fsynced is lost, the log object is dropped without writing.
    void crash() {
        fs.crash();
        if (lg) run(io, lg->abandon());
        lg.reset();
    }

    // The fixture stands in for cluster::partition, which owns the high watermark: after each append
    // it moves it up to the durable offset, as one replica does; acks_all waits for durability first.
    util::result<append_result, storage_error> append(bytes::byte_vector batch, append_mode mode = {}) {
        auto r = run(io, lg->append(batch, model::leader_epoch(7), {.origin = mode.origin}));
        if (r && mode.acks_all) {
            if (auto e = run(io, lg->wait_durable(r->last_offset)); e != storage_error::none) return e;
        }
        commit();
        return r;
    }
    void commit() {
        if (lg && lg->durable_offset() > lg->high_watermark()) lg->set_high_watermark(lg->durable_offset());
    }
    append_result append_ok(const batch_spec& spec = {}, append_mode options = {}) {
        auto r = append(make_batch(spec), options);
        EXPECT_TRUE(r.ok()) << to_string(r.error());
        return r.ok() ? *r : append_result{};
    }

    util::result<read_result, storage_error> read(model::offset from, std::size_t max_bytes = 1 << 20,
                                                  std::optional<model::offset> upper_bound = std::nullopt,
                                                  bool min_one_batch = true) {
        return run(io, lg->read(from, max_bytes, upper_bound.value_or(lg->high_watermark()), min_one_batch));
    }

    std::filesystem::path file(model::offset base, std::string_view suffix) const {
        return dir / format::offset_file_name(base, suffix);
    }

    asio::io_context io;
    testing::memory_file_system fs;
    thread_disk_executor disk{"test-disk"};
    disk_executor* sync = nullptr;  // the fsync pool, for fixtures that set one
    manual_clock clock;
    std::filesystem::path dir = "/data/events-0";
    log_config config;
    std::unique_ptr<log> lg;
};

}  // namespace tributary::storage::test
