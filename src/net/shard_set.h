// The event loops of the broker: one io_context per shard, each run by one thread.
//
// Shared-nothing: state owned by a shard (its connections, the partitions it owns) is touched only by
// that shard's thread. Work for another shard is a message: invoke_on() runs a coroutine on the target
// shard and resumes the caller on its own shard with the result, so no lock is ever taken around
// shard-owned state.
#pragma once

#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

#include "net/asio.h"

namespace tributary::net {

class shard_set {
public:
    static constexpr unsigned no_shard = ~0u;

    // Creates `count` event loops (not yet running). REQUIRES: count >= 1.
    explicit shard_set(unsigned count);
    ~shard_set();
    shard_set(const shard_set&) = delete;
    shard_set& operator=(const shard_set&) = delete;

    unsigned size() const { return static_cast<unsigned>(contexts_.size()); }
    asio::io_context& context(unsigned shard) { return *contexts_[shard]; }
    asio::any_io_executor executor(unsigned shard) { return contexts_[shard]->get_executor(); }

    // The shard whose thread is calling, or no_shard from any other thread.
    static unsigned current();

    // Starts one thread per shard. Each loop keeps running (even when idle) until stop().
    void start();
    // Asks every loop to stop; thread-safe and idempotent. join() waits for the threads.
    void stop();
    void join();

    // Runs `fn()` (a callable returning awaitable<T>) on `target` and returns its result on the
    // caller's shard. Exceptions propagate to the caller. The callable is moved into the coroutine
    // frame, so its captures live as long as the call (no lambda-coroutine dangling).
    // REQUIRES: called from a coroutine on some shard; target < size().
    template <typename F>
    auto invoke_on(unsigned target, F fn) -> std::invoke_result_t<F> {
        if (target == current()) co_return co_await fn();
        co_return co_await asio::co_spawn(executor(target), std::move(fn), asio::use_awaitable);
    }

    // Runs `fn()` on `target` without waiting for it (fire and forget).
    template <typename F>
    void submit_to(unsigned target, F fn) {
        asio::co_spawn(executor(target), std::move(fn), asio::detached);
    }

private:
    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
    std::vector<std::thread> threads_;
};

}  // namespace tributary::net
