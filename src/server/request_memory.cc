#include "server/request_memory.h"

#include <algorithm>

#include "net/shard_set.h"

namespace tributary::server {

awaitable<bool> request_memory::acquire(std::size_t bytes, std::shared_ptr<waiter> w) {
    if (waiters_.empty() && has_room()) {
        used_ += static_cast<std::int64_t>(bytes);
        co_return true;
    }
    w->bytes = bytes;
    w->granted = false;
    w->cancelled = false;
    waiters_.push_back(w);
    while (!w->granted && !w->cancelled) co_await w->wake.wait();
    co_return w->granted;
}

void request_memory::cancel(const std::shared_ptr<waiter>& w) {
    auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it == waiters_.end()) return;
    waiters_.erase(it);
    w->cancelled = true;
    w->wake.notify();
}

void request_memory::release_local(std::size_t bytes) {
    used_ -= static_cast<std::int64_t>(bytes);
    while (!waiters_.empty() && has_room()) {
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        used_ += static_cast<std::int64_t>(w->bytes);
        w->granted = true;
        w->wake.notify();
    }
}

void request_memory::release(std::size_t bytes) {
    if (net::shard_set::current() == shard_) {
        release_local(bytes);
        return;
    }
    asio::post(executor_, [self = shared_from_this(), bytes] { self->release_local(bytes); });
}

std::shared_ptr<bytes::uninit_buffer> request_memory::make_frame(std::size_t size) {
    struct deleter {
        std::shared_ptr<request_memory> pool;
        std::size_t size;
        void operator()(bytes::uninit_buffer* v) const {
            delete v;
            pool->release(size);
        }
    };
    return std::shared_ptr<bytes::uninit_buffer>(new bytes::uninit_buffer(size), deleter{shared_from_this(), size});
}

}  // namespace tributary::server
