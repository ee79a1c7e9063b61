#include "server/server.h"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <list>

#include "server/connection.h"

namespace tributary::server {

using asio::ip::tcp;

// One event loop and its listener. Everything in a shard is touched only from its own thread, except
// stop(), which posts onto it.
class shard {
public:
    shard(unsigned id, const broker_config& config, const kafka::broker_services& services)
        : id_(id), config_(config), services_(services), acceptor_(context_) {}

    void listen(const tcp::endpoint& ep) {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        int one = 1;
        if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
            throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
        acceptor_.bind(ep);
        acceptor_.listen(asio::socket_base::max_listen_connections);
    }

    void run() {
        asio::co_spawn(context_, accept_loop(), asio::detached);
        context_.run();
    }

    void stop() {
        asio::post(context_, [this] {
            boost::system::error_code ec;
            acceptor_.close(ec);
            for (auto& weak : connections_)
                if (auto c = weak.lock()) c->close();
            context_.stop();
        });
    }

private:
    awaitable<void> accept_loop() {
        for (;;) {
            boost::system::error_code ec;
            tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
            if (ec) {
                // EMFILE and friends: log, breathe, keep accepting; existing clients are unaffected.
                spdlog::warn("shard {}: accept failed: {}", id_, ec.message());
                asio::steady_timer t(context_, std::chrono::milliseconds(100));
                co_await t.async_wait(asio::use_awaitable);
                continue;
            }
            auto c = std::make_shared<connection>(std::move(socket), config_, services_, id_);
            prune();
            connections_.push_back(c);
            c->start();
        }
    }

    void prune() {
        connections_.remove_if([](const std::weak_ptr<connection>& w) { return w.expired(); });
    }

    unsigned id_;
    const broker_config& config_;
    const kafka::broker_services& services_;
    asio::io_context context_{1};
    tcp::acceptor acceptor_;
    std::list<std::weak_ptr<connection>> connections_;
};

server::server(const broker_config& config, const kafka::broker_services& services)
    : config_(config), services_(services) {}

server::~server() {
    stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void server::start() {
    unsigned n = config_.smp != 0 ? config_.smp : std::max(1u, std::thread::hardware_concurrency());
    auto address = asio::ip::make_address(config_.listen_host);
    tcp::endpoint ep(address, config_.listen_port);
    for (unsigned i = 0; i < n; ++i) {
        auto s = std::make_unique<shard>(i, config_, services_);
        s->listen(ep);
        shards_.push_back(std::move(s));
    }
    for (auto& s : shards_) threads_.emplace_back([raw = s.get()] { raw->run(); });
    spdlog::info("listening on {}:{} with {} shard(s)", config_.listen_host, config_.listen_port, n);
}

int server::run_until_signalled() {
    asio::signal_set signals(signal_context_, SIGINT, SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (!ec) spdlog::info("received signal {}, shutting down", signo);
        stop();
    });
    signal_context_.run();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    spdlog::info("stopped");
    return 0;
}

void server::stop() {
    for (auto& s : shards_) s->stop();
    signal_context_.stop();
}

}  // namespace tributary::server
