#include "server/connection.h"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <cerrno>

#include "bytes/bytes.h"

namespace tributary::server {

using asio::ip::tcp;

namespace {

// An asio completion condition that transfers everything (as transfer_all) and notes the time of each
// partial transfer, so a client trickling bytes is not taken for idle.
struct note_activity {
    connection::clock::time_point* last;
    std::size_t operator()(const boost::system::error_code& ec, std::size_t) const {
        *last = connection::clock::now();
        return ec ? 0 : 65536;
    }
};

constexpr std::int16_t fetch_api_key = 1;

bool is_disconnect(const boost::system::error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe;
}

}  // namespace

connection::connection(tcp::socket socket, const broker_config& config, const kafka::broker_services& services,
                       unsigned shard_id, std::shared_ptr<request_memory> memory, connection_ticket ticket)
    : socket_(std::move(socket)),
      config_(config),
      services_(services),
      shard_id_(shard_id),
      memory_(std::move(memory)),
      memory_waiter_(std::make_shared<request_memory::waiter>(socket_.get_executor())),
      ticket_(std::move(ticket)),
      last_activity_(clock::now()),
      response_ready_(socket_.get_executor()),
      slot_freed_(socket_.get_executor()) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) {
        peer_host_ = ep.address().to_string();
        peer_port_ = ep.port();
    }
    socket_.set_option(tcp::no_delay(true), ec);
    // sendfile() below must not block the event loop: it returns EAGAIN when the socket is full.
    socket_.native_non_blocking(true, ec);
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
    ticket_.release();
    memory_->cancel(memory_waiter_);
    response_ready_.notify();
    slot_freed_.notify();
}

void connection::drain() {
    if (closed_ || draining_) return;
    draining_ = true;
    // Ends a read in progress (Linux completes it with end of file); a frame half read is dropped, as
    // its request was never received.
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_receive, ec);
    memory_->cancel(memory_waiter_);
    slot_freed_.notify();
    response_ready_.notify();
}

bool connection::idle_longer_than(clock::time_point now, clock::duration limit) const {
    if (closed_ || now - last_activity_ < limit) return false;
    return std::all_of(pending_.begin(), pending_.end(), [](const auto& p) { return p->done; });
}

bool connection::reader_must_wait() const {
    return pending_.size() >= config_.max_inflight_requests_per_connection ||
           queued_response_bytes_ > config_.max_queued_response_bytes_per_connection;
}

awaitable<void> connection::read_loop(std::shared_ptr<connection> self) {
    try {
        for (;;) {
            while (!self->closed_ && !self->draining_ && self->reader_must_wait()) co_await self->slot_freed_.wait();
            if (self->closed_ || self->draining_) co_return;

            bytes::byte size_bytes[4];
            co_await asio::async_read(self->socket_, asio::buffer(size_bytes), note_activity{&self->last_activity_},
                                      asio::use_awaitable);
            auto size = static_cast<std::int32_t>(bytes::load_be32(size_bytes));
            if (size < 4 || size > self->config_.socket_request_max_bytes) {
                // Kafka's InvalidReceiveException: the frame cannot be trusted, so neither can the
                // rest of the stream.
                spdlog::warn("closing connection from {}:{}: frame size {} outside [4, {}]", self->peer_host_,
                             self->peer_port_, size, self->config_.socket_request_max_bytes);
                self->close();
                co_return;
            }
            // The frame's memory comes from the shard's budget; waiting for it stops this reader.
            const auto frame_size = static_cast<std::size_t>(size);
            auto waiter = self->memory_waiter_;
            const bool granted = co_await self->memory_->acquire(frame_size, std::move(waiter));
            if (!granted) co_return;
            auto frame = self->memory_->make_frame(frame_size);
            if (self->closed_ || self->draining_) co_return;
            co_await asio::async_read(self->socket_, asio::buffer(frame->data(), frame->size()), note_activity{&self->last_activity_},
                                      asio::use_awaitable);

            // Fetch responses are the large ones (up to fetch.max.bytes each): a connection's Fetch
            // requests are handled one after another, each once the previous one's response is sent,
            // so a client that pipelines Fetches without reading holds one response, not dozens.
            const bool is_fetch = static_cast<std::int16_t>(bytes::load_be16(frame->data())) == fetch_api_key;
            while (is_fetch && self->fetches_unsent_ > 0 && !self->closed_ && !self->draining_)
                co_await self->slot_freed_.wait();
            if (self->closed_ || self->draining_) co_return;

            auto slot = std::make_shared<pending>();
            slot->is_fetch = is_fetch;
            if (is_fetch) ++self->fetches_unsent_;
            self->pending_.push_back(slot);
            asio::co_spawn(self->socket_.get_executor(), handle(self, slot, std::move(frame)), asio::detached);
        }
    } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::eof && !self->closed_) {
            // The client will send nothing more (or we are draining): answer what was read, then close.
            self->draining_ = true;
            self->response_ready_.notify();
            co_return;
        }
        if (!is_disconnect(e.code()))
            spdlog::debug("read from {}:{} failed: {}", self->peer_host_, self->peer_port_, e.what());
        self->close();
    }
}

awaitable<void> connection::handle(std::shared_ptr<connection> self, std::shared_ptr<pending> slot,
                                   std::shared_ptr<bytes::uninit_buffer> frame) {
    kafka::request_context ctx;
    ctx.client_host = self->peer_host_;
    ctx.client_port = self->peer_port_;
    ctx.shard = self->shard_id_;
    ctx.broker = &self->services_;
    ctx.zero_copy = true;  // a plaintext socket: write_loop sends file regions with sendfile
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
    if (slot->result.what == kafka::dispatch_result::kind::respond)
        self->queued_response_bytes_ += static_cast<std::int64_t>(slot->result.response.size());
    self->response_ready_.notify();
}

awaitable<void> connection::send_file_region(const bytes::file_region& region) {
    off_t offset = static_cast<off_t>(region.offset);
    std::size_t left = region.size;
    while (left > 0) {
        const ssize_t n = ::sendfile(socket_.native_handle(), region.file->get(), &offset, left);
        if (n > 0) {
            left -= static_cast<std::size_t>(n);
            last_activity_ = clock::now();
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            co_await socket_.async_wait(tcp::socket::wait_write, asio::use_awaitable);
            continue;
        }
        if (n == 0) {
            // The file is shorter than the region: its bytes were below the written offset when the
            // response was built, so the segment was truncated since. The frame cannot be completed.
            spdlog::warn("closing connection from {}:{}: segment file ended {} bytes early while sending a fetch "
                         "response", peer_host_, peer_port_, left);
            throw boost::system::system_error(asio::error::operation_aborted);
        }
        throw boost::system::system_error(boost::system::error_code(errno, boost::system::system_category()));
    }
}

awaitable<void> connection::write_loop(std::shared_ptr<connection> self) {
    std::vector<asio::const_buffer> buffers;
    std::vector<bytes::writer::piece> pieces;
    std::vector<std::shared_ptr<pending>> batch;
    try {
        for (;;) {
            while (!self->closed_ && (self->pending_.empty() || !self->pending_.front()->done)) {
                if (self->draining_ && self->pending_.empty()) {
                    self->close();
                    co_return;
                }
                co_await self->response_ready_.wait();
            }
            if (self->closed_) co_return;

            // Everything ready at the front goes out in one gathered write, in request order; file
            // regions (zero-copy Fetch records) go out with sendfile between the gathered writes.
            bool close_after = false;
            std::string close_reason;
            std::int64_t batch_bytes = 0;
            int batch_fetches = 0;
            batch.clear();
            pieces.clear();
            while (!self->pending_.empty() && self->pending_.front()->done) {
                auto slot = std::move(self->pending_.front());
                self->pending_.pop_front();
                if (slot->is_fetch) ++batch_fetches;
                if (slot->result.what == kafka::dispatch_result::kind::close_connection) {
                    close_after = true;
                    close_reason = slot->result.reason;
                    break;
                }
                if (slot->result.what == kafka::dispatch_result::kind::respond) {
                    for (const auto& p : slot->result.response.pieces()) pieces.push_back(p);
                    batch_bytes += static_cast<std::int64_t>(slot->result.response.size());
                    batch.push_back(std::move(slot));
                }
            }
            self->slot_freed_.notify();
            std::size_t i = 0;
            while (i < pieces.size()) {
                buffers.clear();
                for (; i < pieces.size() && pieces[i].file == nullptr; ++i)
                    buffers.emplace_back(pieces[i].memory.data(), pieces[i].memory.size());
                if (!buffers.empty())
                    co_await asio::async_write(self->socket_, buffers, note_activity{&self->last_activity_},
                                               asio::use_awaitable);
                if (i < pieces.size()) {
                    const bytes::file_region& region = *pieces[i].file;
                    ++i;
                    co_await self->send_file_region(region);
                }
            }
            pieces.clear();
            batch.clear();
            self->queued_response_bytes_ -= batch_bytes;
            self->fetches_unsent_ -= batch_fetches;
            self->slot_freed_.notify();
            if (close_after) {
                spdlog::warn("closing connection from {}:{}: {}", self->peer_host_, self->peer_port_,
                             close_reason);
                self->close();
                co_return;
            }
        }
    } catch (const boost::system::system_error& e) {
        if (!is_disconnect(e.code()))
            spdlog::debug("write to {}:{} failed: {}", self->peer_host_, self->peer_port_, e.what());
        self->close();
    }
}

}  // namespace tributary::server
