#include "server/connection_quotas.h"

namespace tributary::server {

std::int32_t connection_quotas::limit_for(const std::string& ip) const {
    if (auto it = limits_.per_ip_overrides.find(ip); it != limits_.per_ip_overrides.end()) return it->second;
    return limits_.max_connections_per_ip;
}

connection_quotas::admission connection_quotas::try_admit(const std::string& ip) {
    const std::int32_t per_ip = limit_for(ip);
    std::lock_guard lock(mutex_);
    auto it = by_ip_.find(ip);
    const std::int32_t from_ip = it == by_ip_.end() ? 0 : it->second;
    if (from_ip >= per_ip) return admission::too_many_from_ip;
    if (total_ >= limits_.max_connections) return admission::too_many_connections;
    ++total_;
    if (it == by_ip_.end())
        by_ip_.emplace(ip, 1);
    else
        ++it->second;
    return admission::admitted;
}

void connection_quotas::release(const std::string& ip) {
    std::lock_guard lock(mutex_);
    --total_;
    auto it = by_ip_.find(ip);
    if (it != by_ip_.end() && --it->second <= 0) by_ip_.erase(it);
}

std::int64_t connection_quotas::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace tributary::server
