// A client for broker-to-broker calls (Raft's Vote, BeginQuorumEpoch and Fetch; later transaction
// markers): one connection to one peer at a time, pipelined, reconnecting, speaking Kafka's protocol
// through the generated codecs (request header v1/v2, response header v0/v1, size-prefixed frames).
//
//   rpc::client peer(shards.executor(shard), {.host = "10.0.0.2", .port = 9092,
//                                            .client_id = "tributary-broker-1"});
//   auto r = co_await peer.call<protocol::vote_response>(std::move(vote), 2, 500ms);
//   if (!r) ... r.error() ...;   // rpc_error: whether the peer may have seen the request
//   co_await peer.close();
//
// Owned by one event loop: every member function, and every coroutine the client starts, runs on the
// executor given at construction (a shard's io_context, net/shard_set.h). Nothing is thread-safe.
//
// Guarantees (docs/architecture.md, "Broker-to-broker calls"):
//  1. Pipelining. Calls do not wait for each other's responses. Each call encodes its frame and queues it;
//     one writer coroutine writes everything queued in one gathered write, one reader coroutine hands each
//     response to its call. The peer answers in request order (Kafka's rule per connection), so a
//     response must carry the correlation id of the oldest unanswered request; any other id means the
//     stream cannot be trusted and the connection is closed.
//  2. A bound. At most config.max_in_flight calls hold a slot (from queueing to result); more calls
//     wait for a slot, first come first served, with their timeout running.
//  3. No silent resend. When the connection breaks, every call on it fails (disconnected, or
//     connect_failed if it never connected); nothing is sent again. The next call connects again.
//  4. Lazy connect, backoff. The first call (or connect()) connects. After failed connects the next
//     attempt waits reconnect_backoff * 2^(failures-1), with jitter, at most reconnect_backoff_max; a call
//     whose deadline comes before the next attempt fails at once with connect_failed.
//  5. A timeout closes the connection. A call without a response by its deadline fails with timed_out;
//     if its request was already written, the connection is closed and the other calls on it fail with
//     disconnected. Kafka's NetworkClient does the same, for the same reason: responses come in request
//     order, so every request behind the late one is at least as late, and keeping the connection would
//     leave slots held by responses nobody waits for. A request not yet written is dropped from the queue.
//  6. Bounded, checked frames. A response frame above config.max_response_bytes or too short for a header,
//     or whose header or body does not decode, closes the connection.
//  7. Clean shutdown. close() fails every pending call with closed and returns once every coroutine the
//     client started has finished; the client may then be destroyed.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bytes/bytes.h"
#include "bytes/reader.h"
#include "bytes/writer.h"
#include "net/asio.h"
#include "rpc/backoff.h"
#include "rpc/errors.h"
#include "rpc/frame_keepalive.h"
#include "rpc/peer_versions.h"
#include "util/result.h"

namespace tributary::rpc {

struct client_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    // The request header's client id; the peer logs it (e.g. "tributary-broker-1").
    std::string client_id = "tributary";
    // Calls holding a slot at once (guarantee 2). REQUIRES: >= 1.
    std::size_t max_in_flight = 64;
    // A larger response frame closes the connection. Kafka's socket.request.max.bytes default.
    std::int32_t max_response_bytes = 100 * 1024 * 1024;
    // TCP connect plus, if enabled, the ApiVersions exchange (socket.connection.setup.timeout.ms).
    std::chrono::milliseconds connect_timeout{10'000};
    // reconnect.backoff.ms and reconnect.backoff.max.ms; jitter as a fraction (Kafka uses 0.2).
    std::chrono::milliseconds reconnect_backoff{50};
    std::chrono::milliseconds reconnect_backoff_max{1'000};
    double reconnect_jitter = 0.2;
    // Send ApiVersions on every new connection, before any call, and keep the answer (versions()).
    bool negotiate_versions = false;
    // ApiVersions v3+ client software name and version (KIP-511: [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?).
    std::string software_name = "tributary";
    std::string software_version = "0.1.0";
};

class client {
public:
    using clock = std::chrono::steady_clock;

    // REQUIRES: `executor` is one event loop's (single-threaded); config.host and port name the peer.
    client(asio::any_io_executor executor, client_config config);
    // REQUIRES: close() has completed, or no call, connect() or close() was ever started.
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Sends `request` at `version` and returns the decoded response, or why there is none. The timeout
    // covers everything: waiting for a slot, connecting, the exchange. Record batches in the response
    // (Fetch, FetchSnapshot, ShareFetch) point into the response frame and keep it alive.
    // REQUIRES: Response answers Request; Request::min_version <= version <= Request::max_version;
    // running on the client's executor; close() not yet called (else the call fails with closed).
    template <typename Response, typename Request>
    awaitable<util::result<Response, rpc_error>> call(Request request, std::int16_t version, clock::duration timeout);

    // Connects (and negotiates versions, if configured) unless a connection is established already.
    // Returns none once established, else connect_failed, timed_out or closed.
    awaitable<rpc_error> connect(clock::duration timeout);

    // What the peer's ApiVersions answered on the latest connection that negotiated; nullopt before any.
    const std::optional<peer_versions>& versions() const { return versions_; }
    // True iff a connection is established and not broken.
    bool connected() const;
    // Why the latest connection ended or the latest connect failed, for logs and tests; empty before that.
    const std::string& last_error() const { return last_error_; }

    // Fails every pending and waiting call with closed, closes the connection and waits until every
    // coroutine of the client has finished. Later calls fail with closed. REQUIRES: called once.
    awaitable<void> close();

private:
    struct pending_call;
    struct connection;
    // A response frame handed from the reader to its call.
    struct response_frame {
        std::shared_ptr<const bytes::uninit_buffer> frame;
        bytes::bytes_view body;               // into *frame, after the response header
        std::shared_ptr<connection> from;     // closed if the body does not decode
    };
    struct received {
        std::shared_ptr<bytes::uninit_buffer> frame;  // null on failure
        std::string failure;
    };
    // Counts a running coroutine of the client, so close() can wait for all of them (a gate).
    class gate_guard {
    public:
        explicit gate_guard(client& c) : client_(c) { ++client_.active_; }
        ~gate_guard();
        gate_guard(const gate_guard&) = delete;
        gate_guard& operator=(const gate_guard&) = delete;

    private:
        client& client_;
    };

    void leave();
    // Runs `task` as a coroutine of the client (counted by the gate from this moment).
    void spawn(awaitable<void> task);
    std::int32_t next_correlation_id();
    // A frame with its size slot and the request header; exchange() patches the size.
    bytes::writer start_frame(std::int16_t api_key, std::int16_t version, std::int32_t correlation_id) const;
    // Queues a complete frame (from start_frame) and waits for its response.
    awaitable<util::result<response_frame, rpc_error>> exchange(std::int16_t api_key, std::int16_t version,
                                                                std::int32_t correlation_id, bytes::writer frame,
                                                                clock::duration timeout);
    // Closes the connection a response came from: its body did not decode.
    void reject(const response_frame& response, std::int16_t api_key, std::int16_t version);

    awaitable<rpc_error> acquire_slot(std::shared_ptr<pending_call> call);
    void release_slot();
    // The current connection, started if there is none; null if closed or backing off past `deadline`.
    std::shared_ptr<connection> connection_for(clock::time_point deadline);
    awaitable<void> run(std::shared_ptr<connection> conn);
    awaitable<std::string> establish(std::shared_ptr<connection> conn);
    awaitable<std::string> negotiate(std::shared_ptr<connection> conn);
    awaitable<received> read_frame(std::shared_ptr<connection> conn);
    awaitable<void> read_loop(std::shared_ptr<connection> conn);
    awaitable<void> write_loop(std::shared_ptr<connection> conn);
    // Breaks `conn` (idempotent): closes the socket, fails its calls with `error`, records `reason`.
    void abort(const std::shared_ptr<connection>& conn, rpc_error error, std::string reason);
    std::string peer_name() const;

    // Constant after construction.
    asio::any_io_executor executor_;
    const client_config config_;

    std::shared_ptr<connection> conn_;  // null when there is none (or it broke)
    std::int32_t next_correlation_id_ = 0;
    std::uint32_t connect_failures_ = 0;  // in a row; reset by a successful connect
    reconnect_backoff backoff_;
    clock::time_point next_connect_at_{};
    std::size_t in_flight_ = 0;                                // slots held; <= config_.max_in_flight
    std::vector<std::shared_ptr<pending_call>> slot_waiters_;  // FIFO
    std::optional<peer_versions> versions_;
    std::string last_error_;
    std::size_t active_ = 0;  // coroutines of the client that have not finished (gate_guard)
    net::event idle_;         // active_ reached 0
    bool closed_ = false;
};

template <typename Response, typename Request>
awaitable<util::result<Response, rpc_error>> client::call(Request request, std::int16_t version,
                                                          clock::duration timeout) {
    static_assert(Request::api_key == Response::api_key, "Response must answer Request");
    assert(Request::min_version <= version && version <= Request::max_version);
    gate_guard guard(*this);
    const std::int32_t correlation_id = next_correlation_id();
    bytes::writer frame = start_frame(Request::api_key, version, correlation_id);
    request.encode(frame, version);
    auto reply = co_await exchange(Request::api_key, version, correlation_id, std::move(frame), timeout);
    if (!reply) co_return reply.error();
    Response response;
    bytes::reader r(reply->body);
    response.decode(r, version);
    if (!r.ok() || !r.at_end()) {
        reject(*reply, Request::api_key, version);
        co_return rpc_error::malformed_response;
    }
    keep_frame_alive(response, reply->frame);
    co_return response;
}

}  // namespace tributary::rpc
