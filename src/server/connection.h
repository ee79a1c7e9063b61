// One client connection. Owned by the shard it was accepted on; every member is touched only from that
// shard's event loop.
//
// Requests are pipelined: the reader keeps reading frames while earlier requests are still being
// handled, each request runs as its own coroutine, and the writer sends responses strictly in request
// order, batching every response that is ready into one gathered write.
//
// The reader stops reading (back-pressure; docs/operations.md) while
//   - max_inflight_requests_per_connection requests are read and not yet answered, or
//   - more than max.queued.response.bytes.per.connection response bytes wait to be sent (a client that
//     pipelines but does not read its responses), or
//   - the shard's request memory (queued.max.request.bytes) is used up: it waits for a frame's bytes
//     after reading the frame's size and before allocating it, or
//   - it has read a Fetch while an earlier Fetch's response is not yet sent: Fetch responses are the
//     large ones, so a connection's Fetches are handled one at a time (as real consumers send them).
//
// Draining (shutdown, or the client closed its sending side): nothing more is read, the requests
// already read are answered, then the connection closes.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "kafka/dispatch.h"
#include "kafka/request_context.h"
#include "net/asio.h"
#include "server/config.h"
#include "server/connection_quotas.h"
#include "server/request_memory.h"

namespace tributary::server {

class connection : public std::enable_shared_from_this<connection> {
public:
    using clock = std::chrono::steady_clock;

    // `ticket` counts this connection against max.connections(.per.ip) until it closes.
    connection(asio::ip::tcp::socket socket, const broker_config& config, const kafka::broker_services& services,
               unsigned shard_id, std::shared_ptr<request_memory> memory, connection_ticket ticket);

    // Starts the reader and writer coroutines; they keep the connection alive until it closes.
    void start();
    // Closes the socket; pending handlers finish but their responses are dropped.
    void close();
    // Stops reading; closes once every request already read has been answered.
    void drain();

    bool closed() const { return closed_; }
    // True iff nothing was read or written for `limit` and no request is being handled.
    bool idle_longer_than(clock::time_point now, clock::duration limit) const;
    const std::string& peer_host() const { return peer_host_; }

private:
    struct pending {
        bool done = false;
        bool is_fetch = false;
        kafka::dispatch_result result;
    };

    static awaitable<void> read_loop(std::shared_ptr<connection> self);
    static awaitable<void> write_loop(std::shared_ptr<connection> self);
    // Sends a file region of a response with sendfile(2), waiting for room in the socket as needed.
    awaitable<void> send_file_region(const bytes::file_region& region);
    static awaitable<void> handle(std::shared_ptr<connection> self, std::shared_ptr<pending> slot,
                                  std::shared_ptr<bytes::uninit_buffer> frame);
    bool reader_must_wait() const;

    asio::ip::tcp::socket socket_;
    const broker_config& config_;
    const kafka::broker_services& services_;
    unsigned shard_id_;
    std::shared_ptr<request_memory> memory_;
    std::shared_ptr<request_memory::waiter> memory_waiter_;
    connection_ticket ticket_;
    std::string peer_host_;
    std::uint16_t peer_port_ = 0;

    std::deque<std::shared_ptr<pending>> pending_;  // in request order
    std::int64_t queued_response_bytes_ = 0;        // responses done but not yet written
    int fetches_unsent_ = 0;                        // Fetch requests read whose response is not yet sent
    clock::time_point last_activity_;               // the last read or write of any bytes
    net::event response_ready_;                     // the front of pending_ may have completed
    net::event slot_freed_;                         // pending_ shrank, responses went out, or draining
    bool draining_ = false;
    bool closed_ = false;
};

}  // namespace tributary::server
