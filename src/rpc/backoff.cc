#include "rpc/backoff.h"

#include <algorithm>
#include <cassert>

namespace tributary::rpc {

reconnect_backoff::reconnect_backoff(duration initial, duration max, double jitter, std::uint64_t seed)
    : initial_(initial), max_(max), jitter_(jitter), random_(seed) {
    assert(initial.count() > 0 && initial <= max);
    assert(jitter >= 0 && jitter < 1);
}

reconnect_backoff::duration reconnect_backoff::delay(std::uint32_t failures) {
    assert(failures >= 1);
    // Doubling past 2^30 times any initial value is above any sensible maximum; stop there so the
    // shift cannot overflow.
    const std::uint32_t doublings = std::min<std::uint32_t>(failures - 1, 30);
    const double grown = std::min(static_cast<double>(initial_.count()) * static_cast<double>(1u << doublings),
                                  static_cast<double>(max_.count()));
    double factor = 1.0;
    if (jitter_ > 0) factor = std::uniform_real_distribution<double>(1.0 - jitter_, 1.0 + jitter_)(random_);
    const double ms = std::min(grown * factor, static_cast<double>(max_.count()));
    return duration(std::max<std::int64_t>(1, static_cast<std::int64_t>(ms)));
}

}  // namespace tributary::rpc
