// Broker-wide connection counts for max.connections and max.connections.per.ip. Connections are
// accepted on every shard (SO_REUSEPORT), so the counts are shared between shard threads: a mutex
// guards them, taken once per accept and once per close (never on the request path).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace tributary::server {

class connection_quotas {
public:
    struct limits {
        std::int32_t max_connections = 2147483647;         // max.connections
        std::int32_t max_connections_per_ip = 2147483647;  // max.connections.per.ip
        // max.connections.per.ip.overrides: IP (as asio prints it) -> its own limit.
        std::map<std::string, std::int32_t, std::less<>> per_ip_overrides;
    };

    enum class admission : std::uint8_t {
        admitted,              // counted: the caller must release(ip) when the connection closes
        too_many_from_ip,      // Kafka's TooManyConnectionsException: close the new connection
        too_many_connections,  // the broker is full: wait for a slot (Kafka's acceptor blocks)
    };

    explicit connection_quotas(limits l) : limits_(std::move(l)) {}

    // Counts a new connection from `ip` if both limits allow it. The per-IP limit is checked first,
    // so a client over its own limit is refused even while the broker is full. Thread-safe.
    admission try_admit(const std::string& ip);
    // REQUIRES: a matching try_admit(ip) returned admitted. Thread-safe.
    void release(const std::string& ip);

    std::int64_t total() const;
    std::int32_t limit_for(const std::string& ip) const;  // the per-IP limit that applies to `ip`

private:
    const limits limits_;
    mutable std::mutex mutex_;
    std::int64_t total_ = 0;                                 // guarded by mutex_
    std::map<std::string, std::int32_t, std::less<>> by_ip_;  // guarded by mutex_; only non-zero counts
};

// A counted connection; releases its count once, at the latest when destroyed.
class connection_ticket {
public:
    connection_ticket() = default;
    connection_ticket(connection_quotas* quotas, std::string ip) : quotas_(quotas), ip_(std::move(ip)) {}
    connection_ticket(connection_ticket&& o) noexcept : quotas_(std::exchange(o.quotas_, nullptr)), ip_(std::move(o.ip_)) {}
    connection_ticket& operator=(connection_ticket&& o) noexcept {
        if (this != &o) {
            release();
            quotas_ = std::exchange(o.quotas_, nullptr);
            ip_ = std::move(o.ip_);
        }
        return *this;
    }
    ~connection_ticket() { release(); }

    void release() {
        if (quotas_) std::exchange(quotas_, nullptr)->release(ip_);
    }

private:
    connection_quotas* quotas_ = nullptr;
    std::string ip_;
};

}  // namespace tributary::server
