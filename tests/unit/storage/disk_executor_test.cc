// The disk executors: the FIFO thread, the fsync pool, and run_after_disk (an fsync that covers the
// tasks queued before it without holding up the ones queued after it).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "storage/disk_executor.h"

namespace tributary::storage {
namespace {

using namespace std::chrono_literals;

// Waits until `flag` is set or 10 s pass; true iff it was set.
bool wait_for(const std::atomic<bool>& flag) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!flag.load()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

TEST(thread_pool_disk_executor, RunsTasksAtTheSameTime) {
    std::atomic<int> started{0};
    std::atomic<bool> both{false};
    std::atomic<int> saw_both{0};
    {
        thread_pool_disk_executor pool("test-pool", 2);
        for (int i = 0; i < 2; ++i) {
            submit_to_disk(pool, [&] {
                if (++started == 2) both = true;
                if (wait_for(both)) ++saw_both;  // only if the other task runs meanwhile
            });
        }
    }  // the destructor runs everything queued, then joins
    EXPECT_EQ(saw_both.load(), 2);
}

TEST(thread_pool_disk_executor, TheDestructorRunsWhatIsQueued) {
    std::atomic<int> ran{0};
    {
        thread_pool_disk_executor pool("test-pool", 1);
        for (int i = 0; i < 50; ++i) submit_to_disk(pool, [&] { ++ran; });
    }
    EXPECT_EQ(ran.load(), 50);
}

TEST(run_after_disk, RunsAfterEarlierDiskTasksAndBesideLaterOnes) {
    asio::io_context io;
    thread_disk_executor disk("test-disk");
    thread_pool_disk_executor pool("test-pool", 2);
    std::atomic<bool> earlier_done{false};
    std::atomic<bool> later_done{false};
    bool saw_earlier = false;
    bool saw_later = false;
    bool finished = false;
    submit_to_disk(disk, [&] {
        std::this_thread::sleep_for(20ms);
        earlier_done = true;
    });
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
            auto fn = [&] {
                const bool e = earlier_done.load();
                // A task queued on the FIFO disk after this call runs while fn still runs.
                const bool l = wait_for(later_done);
                return std::make_pair(e, l);
            };
            auto r = co_await run_after_disk(disk, pool, std::move(fn));
            saw_earlier = r.first;
            saw_later = r.second;
            finished = true;
        },
        asio::detached);
    io.poll();  // starts the coroutine, which submits to the disk
    submit_to_disk(disk, [&] { later_done = true; });
    io.run();
    EXPECT_TRUE(finished);
    EXPECT_TRUE(saw_earlier);
    EXPECT_TRUE(saw_later);
}

}  // namespace
}  // namespace tributary::storage
