// The API versions a peer broker serves, from its ApiVersions response, and the version to speak to it:
// the highest one both sides know. The peer may run another Tributary release during a rolling upgrade.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/messages/api_versions_response.h"

namespace tributary::rpc {

class peer_versions {
public:
    peer_versions() = default;
    // Keeps the ranges of `response` (REQUIRES: its error_code is 0).
    explicit peer_versions(const protocol::api_versions_response& response);

    // The peer's [min, max] for `api_key`, or nullopt if it does not serve that API.
    std::optional<std::pair<std::int16_t, std::int16_t>> range(std::int16_t api_key) const;

    // The highest version in both [our_min, our_max] and the peer's range for `api_key`; nullopt if the
    // ranges do not overlap or the peer does not serve the API.
    std::optional<std::int16_t> pick(std::int16_t api_key, std::int16_t our_min, std::int16_t our_max) const;

    // pick() over everything our codecs know of the request type.
    template <typename Request>
    std::optional<std::int16_t> pick() const {
        return pick(Request::api_key, Request::min_version, Request::max_version);
    }

private:
    struct api_range {
        std::int16_t min_version = 0;
        std::int16_t max_version = -1;  // below min_version: not served
    };
    std::vector<api_range> by_key_;  // indexed by api key
};

}  // namespace tributary::rpc
