// How long a client waits before reconnecting after failed connects: exponential growth with random
// jitter, as Kafka's reconnect.backoff.ms / reconnect.backoff.max.ms (KIP-144). The jitter keeps brokers
// that lost a peer at the same moment from reconnecting in lockstep.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace tributary::rpc {

class reconnect_backoff {
public:
    using duration = std::chrono::milliseconds;

    // REQUIRES: 0 < initial <= max; 0 <= jitter < 1.
    reconnect_backoff(duration initial, duration max, double jitter, std::uint64_t seed);

    // The wait after the `failures`-th connect failure in a row (failures >= 1): initial * 2^(failures-1),
    // at most max, then scaled by a uniform factor in [1 - jitter, 1 + jitter] (and again at most max).
    duration delay(std::uint32_t failures);

private:
    duration initial_;
    duration max_;
    double jitter_;
    std::mt19937_64 random_;
};

}  // namespace tributary::rpc
