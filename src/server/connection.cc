#include "server/connection.h"

#include <spdlog/spdlog.h>

#include "bytes/bytes.h"

namespace tributary::server {

using asio::ip::tcp;

connection::connection(tcp::socket socket, const broker_config& config, const kafka::broker_services& services,
                       unsigned shard_id)
    : socket_(std::move(socket)),
      config_(config),
      services_(services),
      shard_id_(shard_id),
      response_ready_(socket_.get_executor()),
      slot_freed_(socket_.get_executor()) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) {
        peer_host_ = ep.address().to_string();
        peer_port_ = ep.port();
    }
    socket_.set_option(tcp::no_delay(true), ec);
}

void connection::start() {
    asio::co_spawn(socket_.get_executor(), read_loop(shared_from_this()), asio::detached);
    asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
}

void connection::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    response_ready_.notify();
    slot_freed_.notify();
}

awaitable<void> connection::read_loop(std::shared_ptr<connection> self) {
    try {
        for (;;) {
            while (!self->closed_ && self->pending_.size() >= self->config_.max_inflight_requests_per_connection)
                co_await self->slot_freed_.wait();
            if (self->closed_) co_return;

            bytes::byte size_bytes[4];
            co_await asio::async_read(self->socket_, asio::buffer(size_bytes), asio::use_awaitable);
            auto size = static_cast<std::int32_t>(bytes::load_be32(size_bytes));
            if (size < 4 || size > self->config_.socket_request_max_bytes) {
                // Kafka's InvalidReceiveException: the frame cannot be trusted, so neither can the
                // rest of the stream.
                spdlog::warn("closing connection from {}:{}: frame size {} outside [4, {}]", self->peer_host_,
                             self->peer_port_, size, self->config_.socket_request_max_bytes);
                self->close();
                co_return;
            }
            auto frame = std::make_shared<bytes::byte_vector>(static_cast<std::size_t>(size));
            co_await asio::async_read(self->socket_, asio::buffer(*frame), asio::use_awaitable);

            auto slot = std::make_shared<pending>();
            self->pending_.push_back(slot);
            asio::co_spawn(self->socket_.get_executor(), handle(self, slot, std::move(frame)), asio::detached);
        }
    } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::eof && e.code() != asio::error::operation_aborted &&
            e.code() != asio::error::connection_reset)
            spdlog::debug("read from {}:{} failed: {}", self->peer_host_, self->peer_port_, e.what());
        self->close();
    }
}

awaitable<void> connection::handle(std::shared_ptr<connection> self, std::shared_ptr<pending> slot,
                                   std::shared_ptr<bytes::byte_vector> frame) {
    kafka::request_context ctx;
    ctx.client_host = self->peer_host_;
    ctx.client_port = self->peer_port_;
    ctx.shard = self->shard_id_;
    ctx.broker = &self->services_;
    try {
        slot->result = co_await kafka::dispatch(std::move(ctx), std::move(frame));
    } catch (const std::exception& e) {
        // A handler bug must not take the broker down; this one connection pays for it.
        spdlog::error("request from {}:{} failed: {}", self->peer_host_, self->peer_port_, e.what());
        slot->result = kafka::dispatch_result{};
        slot->result.what = kafka::dispatch_result::kind::close_connection;
        slot->result.reason = "internal error";
    }
    slot->done = true;
    self->response_ready_.notify();
}

awaitable<void> connection::write_loop(std::shared_ptr<connection> self) {
    std::vector<asio::const_buffer> buffers;
    std::vector<std::shared_ptr<pending>> batch;
    try {
        for (;;) {
            while (!self->closed_ && (self->pending_.empty() || !self->pending_.front()->done))
                co_await self->response_ready_.wait();
            if (self->closed_) co_return;

            // Everything ready at the front goes out in one gathered write, in request order.
            bool close_after = false;
            std::string close_reason;
            batch.clear();
            buffers.clear();
            while (!self->pending_.empty() && self->pending_.front()->done) {
                auto slot = std::move(self->pending_.front());
                self->pending_.pop_front();
                if (slot->result.what == kafka::dispatch_result::kind::close_connection) {
                    close_after = true;
                    close_reason = slot->result.reason;
                    break;
                }
                if (slot->result.what == kafka::dispatch_result::kind::respond) {
                    for (auto f : slot->result.response.fragments()) buffers.emplace_back(f.data(), f.size());
                    batch.push_back(std::move(slot));
                }
            }
            self->slot_freed_.notify();
            if (!buffers.empty())
                co_await asio::async_write(self->socket_, buffers, asio::use_awaitable);
            batch.clear();
            if (close_after) {
                spdlog::warn("closing connection from {}:{}: {}", self->peer_host_, self->peer_port_,
                             close_reason);
                self->close();
                co_return;
            }
        }
    } catch (const boost::system::system_error& e) {
        spdlog::debug("write to {}:{} failed: {}", self->peer_host_, self->peer_port_, e.what());
        self->close();
    }
}

}  // namespace tributary::server
