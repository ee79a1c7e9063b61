// Buffers that Fetch reads land in.
//
// A partition read preads up to max.partition.fetch.bytes into a buffer that then travels with the
// response until the connection has written it, possibly on another shard. Allocating a fresh vector
// each time would zero-fill memory the pread overwrites at once, and large allocations come straight
// from mmap, so every read would also fault its pages in. The pool keeps released buffers by size class
// (powers of two) and hands them out again with their contents unspecified.
//
// Thread-safe: buffers are acquired on a disk executor and released wherever the last reference
// drops. A released buffer returns to the pool if the pool's cache has room, else it is freed; the
// pool's state lives as long as its last buffer, so buffers may outlive the pool object.
#pragma once

#include <cstddef>
#include <memory>

#include "bytes/bytes.h"

namespace tributary::storage {

class read_buffer {
public:
    read_buffer(std::unique_ptr<bytes::byte[]> data, std::size_t capacity)
        : data_(std::move(data)), capacity_(capacity) {}

    bytes::mutable_bytes_view span() { return {data_.get(), capacity_}; }
    bytes::bytes_view span() const { return {data_.get(), capacity_}; }
    std::size_t capacity() const { return capacity_; }

private:
    friend class read_buffer_pool;
    std::unique_ptr<bytes::byte[]> data_;
    std::size_t capacity_;
};

class read_buffer_pool {
public:
    // Caches at most `max_cached_bytes` of released buffers; 0 caches nothing.
    explicit read_buffer_pool(std::size_t max_cached_bytes);
    ~read_buffer_pool();
    read_buffer_pool(const read_buffer_pool&) = delete;
    read_buffer_pool& operator=(const read_buffer_pool&) = delete;

    // A buffer of at least `size` bytes (capacity rounded up to its size class).
    std::shared_ptr<read_buffer> acquire(std::size_t size);

    // Bytes held by released buffers waiting for reuse.
    std::size_t cached_bytes() const;

    // A pool that caches nothing, for tools and tests that do not configure one.
    static read_buffer_pool& uncached();

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace tributary::storage
