// One client connection. Owned by the shard it was accepted on; every member is touched only from that
// shard's event loop.
//
// Requests are pipelined: the reader keeps reading frames while earlier requests are still being
// handled (up to max_inflight_requests_per_connection), each request runs as its own coroutine, and
// the writer sends responses strictly in request order, batching every response that is ready into
// one gathered write.
#pragma once

#include <deque>
#include <memory>
#include <optional>

#include "kafka/dispatch.h"
#include "kafka/request_context.h"
#include "net/asio.h"
#include "server/config.h"

namespace tributary::server {

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(asio::ip::tcp::socket socket, const broker_config& config,
               const kafka::broker_services& services, unsigned shard_id);

    // Starts the reader and writer coroutines; they keep the connection alive until it closes.
    void start();
    // Closes the socket; pending handlers finish but their responses are dropped.
    void close();

private:
    struct pending {
        bool done = false;
        kafka::dispatch_result result;
    };

    static awaitable<void> read_loop(std::shared_ptr<connection> self);
    static awaitable<void> write_loop(std::shared_ptr<connection> self);
    static awaitable<void> handle(std::shared_ptr<connection> self, std::shared_ptr<pending> slot,
                                  std::shared_ptr<bytes::byte_vector> frame);

    asio::ip::tcp::socket socket_;
    const broker_config& config_;
    const kafka::broker_services& services_;
    unsigned shard_id_;
    std::string peer_host_;
    std::uint16_t peer_port_ = 0;

    std::deque<std::shared_ptr<pending>> pending_;  // in request order
    net::event response_ready_;                     // the front of pending_ may have completed
    net::event slot_freed_;                         // pending_ shrank
    bool closed_ = false;
};

}  // namespace tributary::server
