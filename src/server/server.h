// The network front of the broker: on each shard a listening socket bound to the same port
// (SO_REUSEPORT lets the kernel spread connections over them), so a connection lives on one shard
// from accept to close and its requests run there without locks.
#pragma once

#include <memory>
#include <vector>

#include "kafka/request_context.h"
#include "net/shard_set.h"
#include "server/config.h"

namespace tributary::server {

class listener;
class connection_quotas;

class server {
public:
    // REQUIRES: shards, config and services outlive the server.
    server(net::shard_set& shards, const broker_config& config, const kafka::broker_services& services);
    ~server();

    // Binds a listener on every shard (throws std::system_error if the address is taken) and starts
    // accepting. REQUIRES: the shards are running or about to run.
    void start();
    // Graceful: stops accepting, lets every connection answer the requests it has read (for at most
    // shutdown.drain.timeout.ms), then closes them all. Blocks until every shard has done so.
    // Thread-safe; REQUIRES: not called from a shard thread; called at most once.
    void stop();

private:
    net::shard_set& shards_;
    const broker_config& config_;
    const kafka::broker_services& services_;
    std::unique_ptr<connection_quotas> quotas_;  // max.connections(.per.ip), shared by every shard
    std::vector<std::unique_ptr<listener>> listeners_;
};

}  // namespace tributary::server
