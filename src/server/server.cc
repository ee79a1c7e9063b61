#include "server/server.h"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <future>
#include <list>

#include "server/connection.h"

namespace tributary::server {

using asio::ip::tcp;

// A shard's listening socket and the connections it accepted. Touched only from its shard's thread.
class listener {
public:
    listener(unsigned shard, asio::io_context& context, const broker_config& config,
             const kafka::broker_services& services)
        : shard_(shard), context_(context), config_(config), services_(services), acceptor_(context) {}

    void bind(const tcp::endpoint& ep) {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        int one = 1;
        if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
            throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
        acceptor_.bind(ep);
        acceptor_.listen(asio::socket_base::max_listen_connections);
    }

    void start() { asio::co_spawn(context_, accept_loop(), asio::detached); }

    // REQUIRES: runs on this listener's shard.
    void close() {
        boost::system::error_code ec;
        acceptor_.close(ec);
        for (auto& weak : connections_)
            if (auto c = weak.lock()) c->close();
        connections_.clear();
    }

private:
    awaitable<void> accept_loop() {
        for (;;) {
            boost::system::error_code ec;
            tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
            if (ec) {
                // EMFILE and friends: log, pause, keep accepting; existing clients are unaffected.
                spdlog::warn("shard {}: accept failed: {}", shard_, ec.message());
                asio::steady_timer t(context_, std::chrono::milliseconds(100));
                co_await t.async_wait(asio::use_awaitable);
                continue;
            }
            auto c = std::make_shared<connection>(std::move(socket), config_, services_, shard_);
            connections_.remove_if([](const std::weak_ptr<connection>& w) { return w.expired(); });
            connections_.push_back(c);
            c->start();
        }
    }

    unsigned shard_;
    asio::io_context& context_;
    const broker_config& config_;
    const kafka::broker_services& services_;
    tcp::acceptor acceptor_;
    std::list<std::weak_ptr<connection>> connections_;
};

server::server(net::shard_set& shards, const broker_config& config, const kafka::broker_services& services)
    : shards_(shards), config_(config), services_(services) {}

server::~server() = default;

void server::start() {
    tcp::endpoint ep(asio::ip::make_address(config_.listen_host), config_.listen_port);
    for (unsigned i = 0; i < shards_.size(); ++i) {
        auto l = std::make_unique<listener>(i, shards_.context(i), config_, services_);
        l->bind(ep);
        listeners_.push_back(std::move(l));
    }
    for (unsigned i = 0; i < shards_.size(); ++i) {
        asio::post(shards_.context(i), [l = listeners_[i].get()] { l->start(); });
    }
    spdlog::info("listening on {}:{} with {} shard(s)", config_.listen_host, config_.listen_port, shards_.size());
}

void server::stop() {
    std::vector<std::future<void>> done;
    for (unsigned i = 0; i < listeners_.size(); ++i) {
        auto p = std::make_shared<std::promise<void>>();
        done.push_back(p->get_future());
        asio::post(shards_.context(i), [l = listeners_[i].get(), p] {
            l->close();
            p->set_value();
        });
    }
    for (auto& f : done) f.wait();
}

}  // namespace tributary::server
