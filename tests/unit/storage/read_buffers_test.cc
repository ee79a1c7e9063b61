#include "storage/read_buffers.h"

#include <gtest/gtest.h>

#include <thread>

namespace tributary::storage {
namespace {

TEST(ReadBufferPool, RoundsUpToSizeClassesOfAtLeast64KiB) {
    read_buffer_pool pool(1u << 20);
    EXPECT_EQ(pool.acquire(1)->capacity(), 64u * 1024);
    EXPECT_EQ(pool.acquire(64 * 1024)->capacity(), 64u * 1024);
    EXPECT_EQ(pool.acquire(64 * 1024 + 1)->capacity(), 128u * 1024);
    EXPECT_EQ(pool.acquire(1'000'000)->capacity(), 1u << 20);
}

TEST(ReadBufferPool, ReusesAReleasedBufferOfTheSameClass) {
    read_buffer_pool pool(1u << 20);
    const bytes::byte* first = nullptr;
    {
        auto b = pool.acquire(100'000);
        first = b->span().data();
    }
    EXPECT_EQ(pool.cached_bytes(), 128u * 1024);
    auto again = pool.acquire(70'000);  // same 128 KiB class
    EXPECT_EQ(again->span().data(), first);
    EXPECT_EQ(pool.cached_bytes(), 0u);
    auto other = pool.acquire(10);  // 64 KiB class: nothing cached, a new buffer
    EXPECT_NE(other->span().data(), first);
}

TEST(ReadBufferPool, CachesNoMoreThanItsBound) {
    read_buffer_pool pool(256 * 1024);
    {
        auto a = pool.acquire(128 * 1024);
        auto b = pool.acquire(128 * 1024);
        auto c = pool.acquire(128 * 1024);
    }
    EXPECT_EQ(pool.cached_bytes(), 256u * 1024);
}

TEST(ReadBufferPool, HugeBuffersAreExactAndNeverCached) {
    read_buffer_pool pool(1u << 30);
    const std::size_t huge = (std::size_t{1} << 26) + 3;
    {
        auto b = pool.acquire(huge);
        EXPECT_EQ(b->capacity(), huge);
    }
    EXPECT_EQ(pool.cached_bytes(), 0u);
}

TEST(ReadBufferPool, UncachedPoolFreesEverything) {
    { auto b = read_buffer_pool::uncached().acquire(10); }
    EXPECT_EQ(read_buffer_pool::uncached().cached_bytes(), 0u);
}

TEST(ReadBufferPool, BuffersMayOutliveThePoolAndBeReleasedOnAnotherThread) {
    std::shared_ptr<read_buffer> kept;
    {
        read_buffer_pool pool(1u << 20);
        kept = pool.acquire(10);
        kept->span()[0] = bytes::byte{42};
    }
    std::thread t([b = std::move(kept)]() mutable { b.reset(); });
    t.join();
}

}  // namespace
}  // namespace tributary::storage
