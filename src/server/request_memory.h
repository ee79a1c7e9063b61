// The memory a shard may hold in request frames (queued.max.request.bytes, split over the shards):
// back-pressure instead of running out of memory. A connection asks for a frame's bytes after reading
// its size and before allocating it; while the shard's share is used up, it waits, which means it stops
// reading its socket, and TCP flow control pushes back on the client.
//
// Like Kafka's non-strict memory pool, a request is granted whenever anything is left, even if it is
// larger than what is left, so one request of any admissible size can always proceed; the pool may
// overshoot its limit by at most one frame. Waiters are served first come, first served.
//
// Owned by one shard; acquire() and release_local() run on its event loop only. Frames may be freed on
// another shard (a Produce append keeps its frame until the owning partition's shard is done with it),
// so the frame's deleter goes through release(), which posts back to the owner.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "bytes/bytes.h"
#include "net/asio.h"

namespace tributary::server {

class request_memory : public std::enable_shared_from_this<request_memory> {
public:
    // limit <= 0: no bound (acquire never waits; usage is still counted).
    request_memory(asio::any_io_executor executor, unsigned shard, std::int64_t limit)
        : executor_(std::move(executor)), shard_(shard), limit_(limit) {}

    // A waiter's place in the queue, so that a connection that closes while waiting can leave it.
    struct waiter {
        explicit waiter(asio::any_io_executor ex) : wake(std::move(ex)) {}
        std::size_t bytes = 0;
        bool granted = false;
        bool cancelled = false;
        net::event wake;
    };

    // Waits until the pool can grant `bytes`, then counts them. Returns false iff `w` was cancelled
    // first (nothing counted). REQUIRES: on the owner shard; one acquire per waiter at a time.
    awaitable<bool> acquire(std::size_t bytes, std::shared_ptr<waiter> w);
    // Removes a waiting `w` from the queue and wakes it (its acquire() returns false).
    void cancel(const std::shared_ptr<waiter>& w);

    // Returns bytes to the pool and grants waiters in order. REQUIRES: on the owner shard.
    void release_local(std::size_t bytes);
    // Same, from any thread: posts to the owner unless already there.
    void release(std::size_t bytes);

    // A frame of `size` bytes, not zero-filled (the socket read overwrites it), whose memory returns to
    // this pool when its last owner drops it.
    // REQUIRES: `size` bytes were acquired for it.
    std::shared_ptr<bytes::uninit_buffer> make_frame(std::size_t size);

    std::int64_t used() const { return used_; }
    std::int64_t limit() const { return limit_; }
    std::size_t waiting() const { return waiters_.size(); }

private:
    bool has_room() const { return limit_ <= 0 || used_ < limit_; }

    asio::any_io_executor executor_;
    unsigned shard_;
    std::int64_t limit_;
    std::int64_t used_ = 0;
    std::deque<std::shared_ptr<waiter>> waiters_;
};

}  // namespace tributary::server
