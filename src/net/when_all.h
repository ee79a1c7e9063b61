// Runs several coroutines concurrently on the caller's executor and waits for all of them.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "net/asio.h"

namespace tributary::net {

// Starts every awaitable in `tasks` at once (as separate coroutines on the current executor) and
// returns their results in the same order. Exceptions are rethrown (the first one, after all finish).
// REQUIRES: called from a coroutine; T is default-constructible and movable.
template <typename T>
awaitable<std::vector<T>> when_all(std::vector<awaitable<T>> tasks) {
    struct state {
        explicit state(asio::any_io_executor ex, std::size_t n) : done(ex), results(n), left(n) {}
        event done;
        std::vector<T> results;
        std::exception_ptr error;
        std::size_t left;
    };
    auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<state>(ex, tasks.size());
    if (tasks.empty()) co_return std::vector<T>{};
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        asio::co_spawn(ex, std::move(tasks[i]), [st, i](std::exception_ptr e, T value) {
            if (e && !st->error) st->error = e;
            if (!e) st->results[i] = std::move(value);
            if (--st->left == 0) st->done.notify();
        });
    }
    while (st->left > 0) co_await st->done.wait();
    if (st->error) std::rethrow_exception(st->error);
    co_return std::move(st->results);
}

}  // namespace tributary::net
