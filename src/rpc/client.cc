#include "rpc/client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <utility>

#include "protocol/api_keys.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"

namespace tributary::rpc {

using asio::ip::tcp;

// One call between its start and its result. The call's coroutine sleeps on `timer`, which expires at
// the call's deadline; whoever has news for the call (a slot, a response, a failure) sets `woken` and
// cancels the timer. So a call waits for one thing at a time, always with its deadline.
struct client::pending_call {
    pending_call(asio::any_io_executor ex, clock::time_point deadline) : timer(ex, deadline) {}

    asio::steady_timer timer;
    bool woken = false;
    bool slot_granted = false;  // woken from slot_waiters_ with a slot handed over (else: closed)
    std::int16_t api_key = -1;
    std::int16_t api_version = -1;
    std::int32_t correlation_id = 0;
    bytes::writer frame;    // until written
    bool written = false;   // handed to the writer: from then on the peer may see it
    util::result<response_frame, rpc_error> outcome = rpc_error::disconnected;
};

// One TCP connection and the calls on it. The reader, the writer and the calls share it; after abort()
// (`broken`) nothing uses its socket again, and the client starts a new connection for the next call.
struct client::connection {
    explicit connection(asio::any_io_executor ex) : socket(ex), resolver(ex), timer(ex), write_ready(ex) {}

    tcp::socket socket;
    tcp::resolver resolver;
    asio::steady_timer timer;  // the backoff before connecting, then the connect timeout
    net::event write_ready;    // unsent grew, or the connection broke
    std::deque<std::shared_ptr<pending_call>> unsent;    // queued, not yet handed to the writer
    std::deque<std::shared_ptr<pending_call>> awaiting;  // every call on this connection, in request order
    std::vector<std::shared_ptr<pending_call>> connect_waiters;
    bool connect_timed_out = false;
    bool established = false;  // connected (and negotiated): the writer runs
    bool broken = false;
};

namespace {

// Wakes a sleeping call (see pending_call).
template <typename Call>
void wake(Call& call) {
    call.woken = true;
    call.timer.cancel();
}

template <typename Container, typename T>
void erase_one(Container& c, const T& value) {
    auto it = std::find(c.begin(), c.end(), value);
    if (it != c.end()) c.erase(it);
}

// now + timeout, saturating instead of overflowing for "forever" timeouts.
std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::duration timeout) {
    const auto now = std::chrono::steady_clock::now();
    if (timeout >= std::chrono::steady_clock::time_point::max() - now) return std::chrono::steady_clock::time_point::max();
    return now + timeout;
}

std::string describe(const boost::system::error_code& ec) {
    if (ec == asio::error::eof) return "the peer closed the connection";
    return ec.message();
}

// Sleeps until woken (true) or until the call's deadline (false).
template <typename Call>
awaitable<bool> sleep(std::shared_ptr<Call> call) {
    boost::system::error_code ec;
    co_await call->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::exchange(call->woken, false);
}

}  // namespace

client::client(asio::any_io_executor executor, client_config config)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      backoff_(config_.reconnect_backoff, config_.reconnect_backoff_max, config_.reconnect_jitter,
               std::hash<std::string>{}(config_.client_id + peer_name()) ^
                   static_cast<std::uint64_t>(clock::now().time_since_epoch().count())),
      idle_(executor_) {
    assert(config_.max_in_flight >= 1);
}

client::~client() {
    // Coroutines still running would touch a destroyed client.
    assert(active_ == 0);
}

client::gate_guard::~gate_guard() { client_.leave(); }

void client::leave() {
    if (--active_ == 0) idle_.notify();
}

void client::spawn(awaitable<void> task) {
    // Counted from now, not from when the coroutine first runs, so close() cannot miss it.
    ++active_;
    asio::co_spawn(executor_, std::move(task), [this](std::exception_ptr error) {
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                spdlog::error("rpc {}: {}", peer_name(), e.what());
            }
        }
        leave();
    });
}

bool client::connected() const { return conn_ != nullptr && conn_->established && !conn_->broken; }

std::string client::peer_name() const { return config_.host + ":" + std::to_string(config_.port); }

std::int32_t client::next_correlation_id() {
    const std::int32_t id = next_correlation_id_;
    next_correlation_id_ = id == std::numeric_limits<std::int32_t>::max() ? 0 : id + 1;
    return id;
}

bytes::writer client::start_frame(std::int16_t api_key, std::int16_t version, std::int32_t correlation_id) const {
    bytes::writer w;
    w.reserve_int32();  // the frame size, at position 0
    protocol::request_header header;
    header.request_api_key = api_key;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = config_.client_id;
    header.encode(w, protocol::request_header_version(api_key, version));
    return w;
}

awaitable<util::result<client::response_frame, rpc_error>> client::exchange(std::int16_t api_key,
                                                                            std::int16_t version,
                                                                            std::int32_t correlation_id,
                                                                            bytes::writer frame,
                                                                            clock::duration timeout) {
    assert(!frame.has_file_regions());
    frame.patch_int32(0, static_cast<std::int32_t>(frame.size() - 4));
    auto call = std::make_shared<pending_call>(executor_, deadline_after(timeout));
    call->api_key = api_key;
    call->api_version = version;
    call->correlation_id = correlation_id;
    call->frame = std::move(frame);

    const rpc_error no_slot = co_await acquire_slot(call);
    if (no_slot != rpc_error::none) co_return no_slot;
    struct slot_guard {
        client& c;
        ~slot_guard() { c.release_slot(); }
    } slot{*this};

    auto conn = connection_for(call->timer.expiry());
    if (!conn) co_return closed_ ? rpc_error::closed : rpc_error::connect_failed;
    conn->unsent.push_back(call);
    conn->awaiting.push_back(call);
    conn->write_ready.notify();

    const bool answered = co_await sleep(call);
    if (answered) co_return std::move(call->outcome);
    // The deadline passed. A request still in the queue never reached the peer: drop it. One that was
    // written holds the head of the in-order response stream (guarantee 5 in client.h).
    if (!call->written) {
        erase_one(conn->unsent, call);
        erase_one(conn->awaiting, call);
        co_return rpc_error::timed_out;
    }
    abort(conn, rpc_error::disconnected,
          "no response to " + std::string(protocol::find_api(api_key)->name) + " v" + std::to_string(version) +
              " (correlation id " + std::to_string(correlation_id) + ") within its timeout");
    co_return rpc_error::timed_out;
}

void client::reject(const response_frame& response, std::int16_t api_key, std::int16_t version) {
    abort(response.from, rpc_error::disconnected,
          "malformed " + std::string(protocol::find_api(api_key)->name) + " v" + std::to_string(version) +
              " response body");
}

awaitable<rpc_error> client::acquire_slot(std::shared_ptr<pending_call> call) {
    if (closed_) co_return rpc_error::closed;
    if (in_flight_ < config_.max_in_flight) {
        ++in_flight_;
        co_return rpc_error::none;
    }
    slot_waiters_.push_back(call);
    const bool woken = co_await sleep(call);
    if (woken) co_return call->slot_granted ? rpc_error::none : rpc_error::closed;
    erase_one(slot_waiters_, call);
    co_return rpc_error::timed_out;
}

void client::release_slot() {
    if (slot_waiters_.empty()) {
        --in_flight_;
        return;
    }
    // Handed over, not released: a call that starts meanwhile cannot overtake the waiter.
    auto next = std::move(slot_waiters_.front());
    slot_waiters_.erase(slot_waiters_.begin());
    next->slot_granted = true;
    wake(*next);
}

std::shared_ptr<client::connection> client::connection_for(clock::time_point deadline) {
    if (closed_) return nullptr;
    if (conn_) return conn_;
    if (next_connect_at_ > deadline) return nullptr;  // backing off beyond this call's deadline
    conn_ = std::make_shared<connection>(executor_);
    spawn(run(conn_));
    return conn_;
}

awaitable<rpc_error> client::connect(clock::duration timeout) {
    gate_guard guard(*this);
    auto waiter = std::make_shared<pending_call>(executor_, deadline_after(timeout));
    auto conn = connection_for(waiter->timer.expiry());
    if (!conn) co_return closed_ ? rpc_error::closed : rpc_error::connect_failed;
    if (conn->established) co_return rpc_error::none;
    conn->connect_waiters.push_back(waiter);
    const bool woken = co_await sleep(waiter);
    if (woken) co_return waiter->outcome ? rpc_error::none : waiter->outcome.error();
    erase_one(conn->connect_waiters, waiter);
    co_return rpc_error::timed_out;
}

awaitable<void> client::run(std::shared_ptr<connection> conn) {
    if (clock::now() < next_connect_at_) {
        conn->timer.expires_at(next_connect_at_);
        boost::system::error_code ec;
        co_await conn->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (conn->broken) co_return;
    }
    std::string failure = co_await establish(conn);
    if (conn->broken) co_return;  // closed while connecting
    if (!failure.empty()) {
        ++connect_failures_;
        const auto wait = backoff_.delay(connect_failures_);
        next_connect_at_ = clock::now() + wait;
        abort(conn, rpc_error::connect_failed,
              "connect to " + peer_name() + " failed: " + failure + " (next attempt in " +
                  std::to_string(wait.count()) + " ms)");
        co_return;
    }
    connect_failures_ = 0;
    conn->established = true;
    for (auto& waiter : std::exchange(conn->connect_waiters, {})) {
        waiter->outcome = response_frame{};
        wake(*waiter);
    }
    spawn(write_loop(conn));
    co_await read_loop(conn);
}

awaitable<std::string> client::establish(std::shared_ptr<connection> conn) {
    // The connect timeout closes the socket under the pending operation. A plain handler (not a
    // coroutine) holding the connection, so it touches no client.
    conn->timer.expires_after(config_.connect_timeout);
    conn->timer.async_wait([conn](const boost::system::error_code& ec) {
        if (ec || conn->established || conn->broken) return;
        conn->connect_timed_out = true;
        boost::system::error_code ignored;
        conn->resolver.cancel();
        conn->socket.close(ignored);
    });
    boost::system::error_code ec;
    auto endpoints = co_await conn->resolver.async_resolve(config_.host, std::to_string(config_.port),
                                                           asio::redirect_error(asio::use_awaitable, ec));
    // Each address in turn, until one accepts.
    if (!ec) {
        ec = asio::error::host_not_found;
        for (const auto& entry : endpoints) {
            if (conn->connect_timed_out || conn->broken) break;
            boost::system::error_code ignored;
            conn->socket.close(ignored);
            co_await conn->socket.async_connect(entry.endpoint(), asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) break;
        }
    }
    std::string failure;
    if (conn->connect_timed_out) {
        failure = "timed out after " + std::to_string(config_.connect_timeout.count()) + " ms";
    } else if (ec) {
        failure = ec.message();
    } else if (!conn->broken) {
        conn->socket.set_option(tcp::no_delay(true), ec);
        if (config_.negotiate_versions) failure = co_await negotiate(conn);
        if (conn->connect_timed_out)
            failure = "timed out after " + std::to_string(config_.connect_timeout.count()) + " ms";
    }
    conn->timer.cancel();
    co_return failure;
}

awaitable<std::string> client::negotiate(std::shared_ptr<connection> conn) {
    // v3 is the first flexible version (KIP-511, with the client's software name) and what every Kafka
    // since 2.4 and every Tributary serves.
    constexpr std::int16_t version = 3;
    constexpr std::int16_t api_key = protocol::api_versions_request::api_key;
    protocol::api_versions_request request;
    request.client_software_name = config_.software_name;
    request.client_software_version = config_.software_version;
    const std::int32_t correlation_id = next_correlation_id();
    bytes::writer frame = start_frame(api_key, version, correlation_id);
    request.encode(frame, version);
    frame.patch_int32(0, static_cast<std::int32_t>(frame.size() - 4));
    std::vector<asio::const_buffer> buffers;
    for (auto f : frame.fragments()) buffers.emplace_back(f.data(), f.size());
    boost::system::error_code ec;
    co_await asio::async_write(conn->socket, buffers, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "ApiVersions: " + describe(ec);

    auto in = co_await read_frame(conn);
    if (!in.frame) co_return "ApiVersions: " + in.failure;
    bytes::reader r(bytes::bytes_view(in.frame->data(), in.frame->size()));
    protocol::response_header header;
    header.decode(r, protocol::response_header_version(api_key, version));
    if (!r.ok() || header.correlation_id != correlation_id) co_return "ApiVersions: response header does not match";
    protocol::api_versions_response response;
    response.decode(r, version);
    // A peer that does not serve v3 answers in v0 with UNSUPPORTED_VERSION (KIP-511), which does not
    // decode at v3; such a peer predates everything a Tributary cluster needs.
    if (!r.ok()) co_return "ApiVersions v3 response does not decode (the peer predates KIP-511?)";
    if (response.error_code != 0) co_return "ApiVersions error " + std::to_string(response.error_code);
    versions_ = peer_versions(response);
    co_return std::string();
}

awaitable<client::received> client::read_frame(std::shared_ptr<connection> conn) {
    bytes::byte size_bytes[4];
    boost::system::error_code ec;
    co_await asio::async_read(conn->socket, asio::buffer(size_bytes), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return received{nullptr, describe(ec)};
    const auto size = static_cast<std::int32_t>(bytes::load_be32(size_bytes));
    // Every response header starts with the 4-byte correlation id.
    if (size < 4 || size > config_.max_response_bytes) {
        co_return received{nullptr, "response frame of " + std::to_string(size) + " bytes is outside [4, " +
                                        std::to_string(config_.max_response_bytes) + "]"};
    }
    auto frame = std::make_shared<bytes::uninit_buffer>(static_cast<std::size_t>(size));
    co_await asio::async_read(conn->socket, asio::buffer(frame->data(), frame->size()),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return received{nullptr, describe(ec)};
    co_return received{std::move(frame), {}};
}

awaitable<void> client::read_loop(std::shared_ptr<connection> conn) {
    for (;;) {
        auto in = co_await read_frame(conn);
        if (conn->broken) co_return;
        if (!in.frame) {
            abort(conn, rpc_error::disconnected, in.failure);
            co_return;
        }
        const auto correlation_id = static_cast<std::int32_t>(bytes::load_be32(in.frame->data()));
        if (conn->awaiting.empty() || conn->awaiting.front()->correlation_id != correlation_id) {
            abort(conn, rpc_error::disconnected,
                  "response with correlation id " + std::to_string(correlation_id) +
                      (conn->awaiting.empty() ? std::string(" while no request is outstanding")
                                              : ", expected " + std::to_string(conn->awaiting.front()->correlation_id)));
            co_return;
        }
        auto call = std::move(conn->awaiting.front());
        conn->awaiting.pop_front();
        bytes::reader r(bytes::bytes_view(in.frame->data(), in.frame->size()));
        protocol::response_header header;
        header.decode(r, protocol::response_header_version(call->api_key, call->api_version));
        if (!r.ok()) {
            call->outcome = rpc_error::malformed_response;
            wake(*call);
            abort(conn, rpc_error::disconnected, "malformed response header");
            co_return;
        }
        call->outcome = response_frame{in.frame, r.rest(), conn};
        wake(*call);
    }
}

awaitable<void> client::write_loop(std::shared_ptr<connection> conn) {
    std::vector<std::shared_ptr<pending_call>> batch;
    std::vector<asio::const_buffer> buffers;
    for (;;) {
        while (conn->unsent.empty() && !conn->broken) co_await conn->write_ready.wait();
        if (conn->broken) co_return;
        // Everything queued goes out in one gathered write.
        for (auto& call : conn->unsent) {
            call->written = true;
            for (auto f : call->frame.fragments()) buffers.emplace_back(f.data(), f.size());
            batch.push_back(std::move(call));
        }
        conn->unsent.clear();
        boost::system::error_code ec;
        co_await asio::async_write(conn->socket, buffers, asio::redirect_error(asio::use_awaitable, ec));
        buffers.clear();
        // The bytes are sent; drop them and whatever they borrowed (records of a Produce).
        for (auto& call : batch) call->frame = bytes::writer();
        batch.clear();
        if (ec) {
            abort(conn, rpc_error::disconnected, "write failed: " + describe(ec));
            co_return;
        }
    }
}

void client::abort(const std::shared_ptr<connection>& conn, rpc_error error, std::string reason) {
    if (conn->broken) return;
    conn->broken = true;
    if (error != rpc_error::closed) spdlog::debug("rpc {}: {}", peer_name(), reason);
    last_error_ = std::move(reason);
    boost::system::error_code ignored;
    conn->resolver.cancel();
    conn->timer.cancel();
    conn->socket.close(ignored);
    conn->write_ready.notify();
    for (auto& call : conn->awaiting) {
        call->outcome = error;
        wake(*call);
    }
    for (auto& waiter : conn->connect_waiters) {
        waiter->outcome = error;
        wake(*waiter);
    }
    conn->awaiting.clear();
    conn->unsent.clear();
    conn->connect_waiters.clear();
    if (conn_ == conn) conn_.reset();
}

awaitable<void> client::close() {
    closed_ = true;
    if (conn_) abort(conn_, rpc_error::closed, "client closed");
    for (auto& waiter : std::exchange(slot_waiters_, {})) wake(*waiter);  // slot_granted stays false
    while (active_ > 0) co_await idle_.wait();
}

}  // namespace tributary::rpc
