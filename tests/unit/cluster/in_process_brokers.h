// Helpers for the tests that run several brokers in one process over loopback (raft_transport_test.cc,
// replicated_partition_test.cc): running work on a shard from the test thread, draining a disk thread,
// one call over TCP as a client would make it, and waiting on a predicate with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "net/asio.h"
#include "rpc/client.h"
#include "storage/disk_executor.h"

namespace tributary::cluster::test {

// Runs `fn()` (returning awaitable<T>) on `ex` and waits for it from the test thread.
template <typename F>
auto run_on(asio::any_io_executor ex, F fn) {
    return asio::co_spawn(ex, std::move(fn), asio::use_future).get();
}

// Waits until every task queued on `disk` so far has run and been destroyed: the disk thread runs its
// tasks in order and destroys each before the next. A broker's shards may go only after this (a task
// holds a shard executor, which counts as work on it).
inline void wait_for_disk(storage::thread_disk_executor& disk) {
    struct fence final : storage::disk_task {
        std::promise<void> done;
        void run() override { done.set_value(); }
    };
    auto f = std::make_unique<fence>();
    auto done = f->done.get_future();
    disk.submit(std::move(f));
    done.wait();
}

// One request to the broker listening on 127.0.0.1:`port`, on a connection of its own.
template <typename Response, typename Request>
util::result<Response, rpc::rpc_error> call_broker(std::uint16_t port, Request request, std::int16_t version,
                                                  std::chrono::seconds timeout = std::chrono::seconds(10)) {
    asio::io_context io;
    rpc::client c(io.get_executor(), {.host = "127.0.0.1", .port = port});
    std::optional<util::result<Response, rpc::rpc_error>> out;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        out = co_await c.call<Response>(std::move(request), version, timeout);
        co_await c.close();
    }, asio::detached);
    io.run();
    return std::move(*out);
}

// Polls `pred` every 10 ms until it holds (true) or `deadline` passes (false).
inline bool eventually(const std::function<bool()>& pred, std::chrono::seconds deadline = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace tributary::cluster::test
