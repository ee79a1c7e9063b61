// The network front of the broker: one event loop per core ("shard"), each with its own listening
// socket on the same port (SO_REUSEPORT lets the kernel spread connections over them), so a connection
// lives on one shard from accept to close and its requests run there without locks.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "kafka/request_context.h"
#include "net/asio.h"
#include "server/config.h"

namespace tributary::server {

class shard;

class server {
public:
    // REQUIRES: services and the objects it points to outlive the server.
    server(const broker_config& config, const kafka::broker_services& services);
    ~server();

    // Binds the listeners (throws std::system_error if the address is taken) and starts the shards.
    void start();
    // Runs until SIGINT/SIGTERM or stop(), then shuts every shard down. Returns the process exit code.
    int run_until_signalled();
    // Thread-safe.
    void stop();

private:
    const broker_config& config_;
    const kafka::broker_services& services_;
    std::vector<std::unique_ptr<shard>> shards_;
    std::vector<std::thread> threads_;
    asio::io_context signal_context_;
};

}  // namespace tributary::server
