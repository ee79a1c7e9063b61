#include "server/server.h"

#include <sys/socket.h>

#include <csignal>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <list>

#include "server/connection.h"
#include "server/connection_quotas.h"
#include "server/request_memory.h"

namespace tributary::server {

using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// How often a shard looks for idle connections: often enough that a connection is reaped within about
// a quarter of connections.max.idle.ms of going idle, at most once a second.
std::chrono::milliseconds idle_check_interval(std::int64_t idle_ms) {
    return std::chrono::milliseconds(std::clamp<std::int64_t>(idle_ms / 4, 10, 1000));
}

}  // namespace

// A shard's listening socket and the connections it accepted. Touched only from its shard's thread
// (the quotas it shares with the other shards are thread-safe).
class listener {
public:
    listener(unsigned shard, asio::io_context& context, const broker_config& config,
             const kafka::broker_services& services, connection_quotas& quotas, std::int64_t memory_limit)
        : shard_(shard),
          context_(context),
          config_(config),
          services_(services),
          quotas_(quotas),
          memory_(std::make_shared<request_memory>(context.get_executor(), shard, memory_limit)),
          acceptor_(context),
          idle_timer_(context) {}

    void bind(const tcp::endpoint& ep) {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        int one = 1;
        if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
            throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
        acceptor_.bind(ep);
        acceptor_.listen(asio::socket_base::max_listen_connections);
    }

    void start() {
        asio::co_spawn(context_, accept_loop(), asio::detached);
        if (config_.connections_max_idle_ms > 0) asio::co_spawn(context_, idle_loop(), asio::detached);
    }

    // Stops accepting, lets every connection answer what it has read (up to `grace`), then closes
    // whatever is left. REQUIRES: runs on this listener's shard.
    awaitable<void> shutdown(std::chrono::milliseconds grace) {
        stopping_ = true;
        boost::system::error_code ec;
        acceptor_.close(ec);
        idle_timer_.cancel();
        for (auto& weak : connections_)
            if (auto c = weak.lock()) c->drain();
        const auto deadline = std::chrono::steady_clock::now() + grace;
        asio::steady_timer poll(context_);
        while (std::chrono::steady_clock::now() < deadline && open_connections() > 0) {
            poll.expires_after(10ms);
            co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (auto left = open_connections(); left > 0)
            spdlog::warn("shard {}: closing {} connection(s) still busy after {} ms", shard_, left, grace.count());
        for (auto& weak : connections_)
            if (auto c = weak.lock()) c->close();
        connections_.clear();
    }

private:
    std::size_t open_connections() const {
        return static_cast<std::size_t>(std::count_if(connections_.begin(), connections_.end(), [](const auto& w) {
            auto c = w.lock();
            return c && !c->closed();
        }));
    }

    awaitable<void> accept_loop() {
        asio::steady_timer wait_timer(context_);
        while (!stopping_) {
            boost::system::error_code ec;
            tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor_.is_open() || stopping_) co_return;
            if (ec) {
                // EMFILE and friends: log, pause, keep accepting; existing clients are unaffected.
                spdlog::warn("shard {}: accept failed: {}", shard_, ec.message());
                wait_timer.expires_after(100ms);
                co_await wait_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            auto peer = socket.remote_endpoint(ec);
            if (ec) continue;  // already gone
            const std::string ip = peer.address().to_string();

            // max.connections: like Kafka's acceptor, hold the new connection unserved (and accept no
            // other) until a slot frees. Slots free on any shard, so this polls rather than waits.
            auto admission = quotas_.try_admit(ip);
            bool logged_full = false;
            while (admission == connection_quotas::admission::too_many_connections && !stopping_) {
                if (!logged_full) {
                    spdlog::info("shard {}: max.connections reached; connection from {} waits for a slot", shard_, ip);
                    logged_full = true;
                }
                wait_timer.expires_after(20ms);
                co_await wait_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                admission = quotas_.try_admit(ip);
            }
            if (stopping_) {
                if (admission == connection_quotas::admission::admitted) quotas_.release(ip);
                co_return;
            }
            if (admission == connection_quotas::admission::too_many_from_ip) {
                // Kafka's TooManyConnectionsException: the new connection is closed at once.
                spdlog::info("shard {}: rejected connection from {}: it already has max.connections.per.ip ({})",
                             shard_, ip, quotas_.limit_for(ip));
                socket.close(ec);
                continue;
            }
            auto c = std::make_shared<connection>(std::move(socket), config_, services_, shard_, memory_,
                                                  connection_ticket(&quotas_, ip));
            connections_.remove_if([](const std::weak_ptr<connection>& w) { return w.expired(); });
            connections_.push_back(c);
            c->start();
        }
    }

    // connections.max.idle.ms: closes connections that have had no traffic for that long.
    awaitable<void> idle_loop() {
        const auto limit = std::chrono::milliseconds(config_.connections_max_idle_ms);
        while (!stopping_) {
            boost::system::error_code ec;
            idle_timer_.expires_after(idle_check_interval(config_.connections_max_idle_ms));
            co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (stopping_) co_return;
            const auto now = std::chrono::steady_clock::now();
            for (auto& weak : connections_) {
                auto c = weak.lock();
                if (!c || !c->idle_longer_than(now, limit)) continue;
                spdlog::info("closing connection from {}: idle for more than connections.max.idle.ms ({} ms)",
                             c->peer_host(), limit.count());
                c->close();
            }
            connections_.remove_if([](const std::weak_ptr<connection>& w) { return w.expired(); });
        }
    }

    unsigned shard_;
    asio::io_context& context_;
    const broker_config& config_;
    const kafka::broker_services& services_;
    connection_quotas& quotas_;
    std::shared_ptr<request_memory> memory_;
    tcp::acceptor acceptor_;
    asio::steady_timer idle_timer_;
    std::list<std::weak_ptr<connection>> connections_;
    bool stopping_ = false;
};

server::server(net::shard_set& shards, const broker_config& config, const kafka::broker_services& services)
    : shards_(shards),
      config_(config),
      services_(services),
      quotas_(std::make_unique<connection_quotas>(connection_quotas::limits{
          config.max_connections, config.max_connections_per_ip, config.max_connections_per_ip_overrides})) {}

server::~server() = default;

void server::start() {
    // sendfile(2) (zero-copy Fetch responses, connection.cc) cannot pass MSG_NOSIGNAL as asio's sends
    // do: a client that closes while its response is being sent must give EPIPE, not kill the broker.
    ::signal(SIGPIPE, SIG_IGN);
    tcp::endpoint ep(asio::ip::make_address(config_.listen_host), config_.listen_port);
    // queued.max.request.bytes is broker-wide; each shard gets an equal share (at least one byte, so a
    // bound stays a bound).
    std::int64_t share = config_.queued_max_request_bytes;
    if (share > 0) share = std::max<std::int64_t>(1, share / static_cast<std::int64_t>(shards_.size()));
    for (unsigned i = 0; i < shards_.size(); ++i) {
        auto l = std::make_unique<listener>(i, shards_.context(i), config_, services_, *quotas_, share);
        l->bind(ep);
        listeners_.push_back(std::move(l));
    }
    for (unsigned i = 0; i < shards_.size(); ++i) {
        asio::post(shards_.context(i), [l = listeners_[i].get()] { l->start(); });
    }
    spdlog::info("listening on {}:{} with {} shard(s)", config_.listen_host, config_.listen_port, shards_.size());
}

void server::stop() {
    const auto grace = std::chrono::milliseconds(std::max<std::int64_t>(0, config_.shutdown_drain_timeout_ms));
    std::vector<std::future<void>> done;
    for (unsigned i = 0; i < listeners_.size(); ++i) {
        auto* l = listeners_[i].get();
        auto task = [l, grace]() { return l->shutdown(grace); };
        done.push_back(asio::co_spawn(shards_.context(i), std::move(task), asio::use_future));
    }
    for (auto& f : done) f.get();
    // The listeners stay until the server is destroyed: their accept and idle loops may still have a
    // resumption queued on their shard.
}

}  // namespace tributary::server
