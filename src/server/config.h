// Broker configuration: everything `tributary serve` needs, with defaults that let it start with no
// configuration at all (127.0.0.1:9092, data in ./data). Names follow Kafka's where Kafka has one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tributary::server {

// One broker of a cluster: its node id and where it listens for clients and for the other brokers.
struct quorum_voter {
    std::int32_t id = 0;
    std::string host;
    std::uint16_t port = 0;
};

struct broker_config {
    // listeners=PLAINTEXT://host:port (one plaintext listener for now)
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 9092;
    // advertised.listeners: what Metadata tells clients; empty = the listen address.
    std::string advertised_host;
    std::uint16_t advertised_port = 0;

    std::string data_dir = "./data";  // log.dirs (a single directory)
    std::int32_t node_id = 1;         // node.id
    unsigned smp = 0;                 // event-loop threads; 0 = one per core
    // cluster.voters (id@host:port,...): the brokers of the cluster, every one a voter of the
    // metadata log, this one among them. Empty: a single broker, as before clusters.
    std::vector<quorum_voter> quorum_voters;

    // socket.request.max.bytes: a frame larger than this closes the connection (Kafka's default).
    std::int32_t socket_request_max_bytes = 100 * 1024 * 1024;
    // Requests read ahead of their responses on one connection (pipelining depth) before the
    // connection stops reading: back-pressure instead of unbounded memory.
    std::uint32_t max_inflight_requests_per_connection = 64;
    // Responses produced but not yet sent on one connection, in bytes, beyond which it stops reading
    // requests (a client that pipelines without reading its responses). Tributary's own:
    // max.queued.response.bytes.per.connection.
    std::int64_t max_queued_response_bytes_per_connection = 16 * 1024 * 1024;
    // queued.max.request.bytes: request bytes held in memory (read, not yet handled) across the broker,
    // split evenly over the shards; a shard that has reached its share stops reading sockets until
    // requests finish. <= 0: no bound. (Kafka's default is -1; ours bounds memory by default.)
    std::int64_t queued_max_request_bytes = 512 * 1024 * 1024;
    // max.connections: connections open at once; a new one waits, unserved, until another closes.
    std::int32_t max_connections = 2147483647;
    // max.connections.per.ip and max.connections.per.ip.overrides (IP literal -> limit): a new
    // connection beyond its address's limit is closed at once.
    std::int32_t max_connections_per_ip = 2147483647;
    std::map<std::string, std::int32_t, std::less<>> max_connections_per_ip_overrides;
    // connections.max.idle.ms: a connection with nothing read or written for this long, and no request
    // being handled, is closed. <= 0: never.
    std::int64_t connections_max_idle_ms = 600000;
    // How long a shutdown (SIGTERM) waits for requests already read to be answered before it closes
    // the remaining connections. Tributary's own: shutdown.drain.timeout.ms.
    std::int64_t shutdown_drain_timeout_ms = 10000;

    // log.retention.check.interval.ms: how often each shard applies retention to its partitions.
    std::int64_t log_retention_check_interval_ms = 300'000;
    // log.cleaner.enable: whether each shard runs a log cleaner for its compacted partitions;
    // log.cleaner.backoff.ms: how long a cleaner sleeps when no log needs cleaning.
    bool log_cleaner_enable = true;
    std::int64_t log_cleaner_backoff_ms = 15'000;
    // replica.lag.time.max.ms: how long a follower may go without holding the leader's whole log before
    // it leaves the in-sync replicas (Metadata's ISR, min.insync.replicas).
    std::int64_t replica_lag_time_max_ms = 30'000;

    // The Kafka-named configs given at start (server.properties via --config, then flags), as given;
    // the fields above are derived from them (app/config_file.h). DescribeConfigs reports them as
    // STATIC_BROKER_CONFIG.
    std::map<std::string, std::string, std::less<>> static_configs;

    const std::string& advertised_host_or_listen() const {
        return advertised_host.empty() ? listen_host : advertised_host;
    }
    std::uint16_t advertised_port_or_listen() const {
        return advertised_port == 0 ? listen_port : advertised_port;
    }
};

}  // namespace tributary::server
