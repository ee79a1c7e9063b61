// Where blocking file I/O runs, so that an event loop never blocks on the disk.
//
// A disk_executor runs tasks in submission order, one at a time (FIFO). The log relies on that order:
// it queues a segment's writes, a roll, an fsync without waiting for each other, and an fsync queued
// after a write covers it. io_uring can replace the thread later behind the same interface, as long as
// it keeps per-executor order.
//
// A coroutine on an event loop runs a function on the disk and resumes on its own executor:
//
//   auto task = [f] { return f->datasync(); };
//   auto r = co_await run_on_disk(disk, std::move(task));   // r: sys_errno
//
// Build the task as a named local, as above: GCC 12 destroys a lambda temporary inside a co_await
// expression twice (found by ASan here), so `co_await run_on_disk(disk, [..] {..})` is a double free.
//
// REQUIRES of every task: it touches only what it owns or what is handed to the disk side (shared
// file handles, buffers the awaiting coroutine keeps alive); never state owned by an event loop.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "net/asio.h"

namespace tributary::storage {

class disk_task {
public:
    virtual ~disk_task() = default;
    virtual void run() = 0;
};

class disk_executor {
public:
    virtual ~disk_executor() = default;
    // Thread-safe. Tasks run in the order they were submitted.
    virtual void submit(std::unique_ptr<disk_task> task) = 0;
};

// One dedicated thread with a FIFO queue; one per shard. The destructor runs the queued tasks, then joins.
class thread_disk_executor final : public disk_executor {
public:
    explicit thread_disk_executor(std::string name = "disk");
    ~thread_disk_executor() override;
    thread_disk_executor(const thread_disk_executor&) = delete;
    thread_disk_executor& operator=(const thread_disk_executor&) = delete;

    void submit(std::unique_ptr<disk_task> task) override;

private:
    void loop();

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<disk_task>> queue_;  // guarded by mu_
    bool stopping_ = false;                         // guarded by mu_
    bool idle_ = false;                             // guarded by mu_: the thread waits on cv_
    std::thread thread_;
};

// Several threads sharing one queue: tasks run concurrently, in no particular order. For fsyncs: the
// fdatasyncs of different partitions proceed at once (the file system can commit them together), and
// a flush does not hold up the reads and writes queued behind it on the shard's FIFO executor (see
// run_after_disk). The destructor runs the queued tasks, then joins.
class thread_pool_disk_executor final : public disk_executor {
public:
    thread_pool_disk_executor(std::string name, unsigned threads);
    ~thread_pool_disk_executor() override;
    thread_pool_disk_executor(const thread_pool_disk_executor&) = delete;
    thread_pool_disk_executor& operator=(const thread_pool_disk_executor&) = delete;

    void submit(std::unique_ptr<disk_task> task) override;

private:
    void loop();

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<disk_task>> queue_;  // guarded by mu_
    bool stopping_ = false;                         // guarded by mu_
    std::vector<std::thread> threads_;
};

// Runs each task at once on the submitting thread. For tests and tools only: it blocks the caller.
class inline_disk_executor final : public disk_executor {
public:
    void submit(std::unique_ptr<disk_task> task) override { task->run(); }
};

namespace detail {
template <typename F>
class function_task final : public disk_task {
public:
    explicit function_task(F f) : f_(std::move(f)) {}
    void run() override { f_(); }

private:
    F f_;
};
}  // namespace detail

// Queues `fn` without waiting for it.
template <typename F>
void submit_to_disk(disk_executor& disk, F fn) {
    disk.submit(std::make_unique<detail::function_task<F>>(std::move(fn)));
}

// Runs `fn` on the disk executor and resumes the calling coroutine on its executor with fn's result.
// REQUIRES: fn returns a movable, non-void value. The caller's io_context counts the pending task as work.
template <typename F>
awaitable<std::invoke_result_t<F&>> run_on_disk(disk_executor& disk, F fn) {
    using R = std::invoke_result_t<F&>;
    static_assert(!std::is_void_v<R>, "disk tasks return a value");
    auto initiate = [&disk](auto handler, F f) {
        auto work =
            asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        submit_to_disk(disk, [h = std::move(handler), f = std::move(f), work = std::move(work)]() mutable {
            R r = f();
            asio::post(work, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
        });
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
        initiate, asio::use_awaitable, std::move(fn));
}

// Runs `fn` on `then` once every task submitted to the FIFO executor `disk` before this call has run,
// and resumes the caller with its result. `disk` is not held while fn runs: tasks queued on it after
// this call proceed meanwhile. This is how a log fsync covers exactly the writes queued before it
// without making the reads and writes queued after it wait for the disk's flush.
// REQUIRES: as run_on_disk; fn may run concurrently with later `disk` tasks.
template <typename F>
awaitable<std::invoke_result_t<F&>> run_after_disk(disk_executor& disk, disk_executor& then, F fn) {
    using R = std::invoke_result_t<F&>;
    static_assert(!std::is_void_v<R>, "disk tasks return a value");
    auto initiate = [&disk, &then](auto handler, F f) {
        auto work =
            asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        submit_to_disk(disk, [&then, h = std::move(handler), f = std::move(f), work = std::move(work)]() mutable {
            submit_to_disk(then, [h = std::move(h), f = std::move(f), work = std::move(work)]() mutable {
                R r = f();
                asio::post(work, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
            });
        });
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
        initiate, asio::use_awaitable, std::move(fn));
}

}  // namespace tributary::storage
