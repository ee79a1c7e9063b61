#include "server/request_memory.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/shard_set.h"

namespace tributary::server {
namespace {

// The pool runs on a plain io_context driven by the test thread, which is no shard: release() then
// releases directly.
struct fixture {
    asio::io_context io;
    std::shared_ptr<request_memory> pool;
    explicit fixture(std::int64_t limit)
        : pool(std::make_shared<request_memory>(io.get_executor(), net::shard_set::no_shard, limit)) {}

    std::shared_ptr<request_memory::waiter> waiter() {
        return std::make_shared<request_memory::waiter>(io.get_executor());
    }
    // Starts acquire(bytes) and records its outcome in `out` (0 pending, 1 granted, -1 cancelled).
    void start_acquire(std::size_t bytes, std::shared_ptr<request_memory::waiter> w, int& out) {
        auto task = [p = pool, bytes, w, &out]() -> awaitable<void> {
            const bool granted = co_await p->acquire(bytes, w);
            out = granted ? 1 : -1;
        };
        asio::co_spawn(io, std::move(task), asio::detached);
        io.poll();
        io.restart();
    }
    void run() {
        io.poll();
        io.restart();
    }
};

TEST(RequestMemory, GrantsWhileUnderTheLimitEvenARequestLargerThanWhatIsLeft) {
    fixture f(100);
    int a = 0, b = 0;
    f.start_acquire(60, f.waiter(), a);
    f.start_acquire(60, f.waiter(), b);  // 40 left: still granted, the pool overshoots by one request
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 1);
    EXPECT_EQ(f.pool->used(), 120);
}

TEST(RequestMemory, WaitsWhenTheLimitIsReachedAndIsGrantedInOrderOnRelease) {
    fixture f(100);
    int a = 0, b = 0, c = 0;
    f.start_acquire(100, f.waiter(), a);
    f.start_acquire(10, f.waiter(), b);
    f.start_acquire(10, f.waiter(), c);
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 0);
    EXPECT_EQ(c, 0);
    EXPECT_EQ(f.pool->waiting(), 2u);
    f.pool->release(95);  // 5 used: b is granted (15), and c too (25)
    f.run();
    EXPECT_EQ(b, 1);
    EXPECT_EQ(c, 1);
    EXPECT_EQ(f.pool->used(), 25);
}

TEST(RequestMemory, ALaterSmallRequestDoesNotOvertakeAWaitingOne) {
    fixture f(100);
    int a = 0, b = 0, c = 0;
    f.start_acquire(100, f.waiter(), a);
    f.start_acquire(500, f.waiter(), b);
    f.pool->release(50);
    f.run();
    EXPECT_EQ(b, 1);  // granted with room left, though larger than the room
    f.start_acquire(1, f.waiter(), c);
    EXPECT_EQ(c, 0);  // 550 used: waits
    EXPECT_EQ(f.pool->used(), 550);
}

TEST(RequestMemory, ACancelledWaiterLeavesTheQueueWithNothingCounted) {
    fixture f(10);
    int a = 0, b = 0, c = 0;
    auto wb = f.waiter();
    f.start_acquire(10, f.waiter(), a);
    f.start_acquire(5, wb, b);
    f.start_acquire(5, f.waiter(), c);
    f.pool->cancel(wb);
    f.run();
    EXPECT_EQ(b, -1);
    EXPECT_EQ(f.pool->waiting(), 1u);
    f.pool->release(10);
    f.run();
    EXPECT_EQ(c, 1);
    EXPECT_EQ(f.pool->used(), 5);
}

TEST(RequestMemory, AFrameReturnsItsBytesWhenItsLastOwnerDropsIt) {
    fixture f(100);
    int a = 0;
    f.start_acquire(64, f.waiter(), a);
    auto frame = f.pool->make_frame(64);
    EXPECT_EQ(frame->size(), 64u);
    auto copy = frame;
    frame.reset();
    EXPECT_EQ(f.pool->used(), 64);
    copy.reset();
    EXPECT_EQ(f.pool->used(), 0);
}

TEST(RequestMemory, WithoutALimitNothingWaits) {
    fixture f(0);
    std::vector<int> out(10, 0);
    for (auto& o : out) f.start_acquire(1 << 20, f.waiter(), o);
    for (int o : out) EXPECT_EQ(o, 1);
    EXPECT_EQ(f.pool->used(), 10 << 20);
}

}  // namespace
}  // namespace tributary::server
