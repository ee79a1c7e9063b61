// The one place that includes Boost.Asio for the rest of the code. Asio is compiled once, in asio.cc
// (BOOST_ASIO_SEPARATE_COMPILATION), instead of in every translation unit that uses it, which keeps
// builds on small machines fast.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

namespace tributary {
namespace asio = boost::asio;
template <typename T = void>
using awaitable = boost::asio::awaitable<T>;
}  // namespace tributary

namespace tributary::net {

// A one-waiter wake-up signal for coroutines on one event loop (not thread-safe: both sides must run
// on the loop that owns it). notify() before wait() is remembered, so no wake-up is lost.
class event {
public:
    explicit event(asio::any_io_executor ex) : timer_(ex, asio::steady_timer::time_point::max()) {}

    awaitable<void> wait() {
        if (!set_) {
            boost::system::error_code ec;
            timer_.expires_at(asio::steady_timer::time_point::max());
            co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        set_ = false;
    }
    void notify() {
        set_ = true;
        timer_.cancel();
    }

private:
    asio::steady_timer timer_;
    bool set_ = false;
};

}  // namespace tributary::net
