#include "rpc/peer_versions.h"

#include <algorithm>

namespace tributary::rpc {

peer_versions::peer_versions(const protocol::api_versions_response& response) {
    for (const auto& api : response.api_keys) {
        if (api.api_key < 0) continue;  // not a key; a peer sending one is broken, but the rest is usable
        const auto key = static_cast<std::size_t>(api.api_key);
        if (key >= by_key_.size()) by_key_.resize(key + 1);
        by_key_[key] = api_range{api.min_version, api.max_version};
    }
}

std::optional<std::pair<std::int16_t, std::int16_t>> peer_versions::range(std::int16_t api_key) const {
    if (api_key < 0 || static_cast<std::size_t>(api_key) >= by_key_.size()) return std::nullopt;
    const auto& r = by_key_[static_cast<std::size_t>(api_key)];
    if (r.max_version < r.min_version) return std::nullopt;
    return std::pair{r.min_version, r.max_version};
}

std::optional<std::int16_t> peer_versions::pick(std::int16_t api_key, std::int16_t our_min,
                                                std::int16_t our_max) const {
    auto theirs = range(api_key);
    if (!theirs) return std::nullopt;
    const std::int16_t high = std::min(our_max, theirs->second);
    const std::int16_t low = std::max(our_min, theirs->first);
    if (high < low) return std::nullopt;
    return high;
}

}  // namespace tributary::rpc
