#include "kafka/fetch_session.h"

#include <limits>

namespace tributary::kafka {

session_partition& fetch_session::upsert(const session_partition& p) {
    auto it = index_.find(p.tp);
    if (it != index_.end()) {
        auto& cur = *it->second;
        cur.topic_id = p.topic_id;
        cur.fetch_offset = p.fetch_offset;
        cur.partition_max_bytes = p.partition_max_bytes;
        cur.current_leader_epoch = p.current_leader_epoch;
        return cur;
    }
    order_.push_back(p);
    index_[p.tp] = std::prev(order_.end());
    return order_.back();
}

void fetch_session::forget(const model::topic_partition& tp) {
    auto it = index_.find(tp);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
}

void fetch_session::move_to_back(const model::topic_partition& tp) {
    auto it = index_.find(tp);
    if (it == index_.end()) return;
    order_.splice(order_.end(), order_, it->second);
}

fetch_session_cache::fetch_session_cache(unsigned shard, std::size_t max_sessions)
    : shard_(shard), max_sessions_(max_sessions) {}

std::shared_ptr<fetch_session> fetch_session_cache::create() {
    constexpr auto evictable_idle = std::chrono::seconds(60);
    auto now = std::chrono::steady_clock::now();
    if (sessions_.size() >= max_sessions_) {
        // Evict the least recently used session if it has been idle long enough; otherwise no session
        // (the client then fetches sessionless, which is always correct).
        auto oldest = sessions_.end();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
            if (oldest == sessions_.end() || it->second->last_used < oldest->second->last_used) oldest = it;
        if (oldest == sessions_.end() || now - oldest->second->last_used < evictable_idle) return nullptr;
        sessions_.erase(oldest);
    }
    // Ids are positive and name their shard in the low 8 bits, so ids of different shards never collide.
    for (;;) {
        std::uint32_t counter = next_counter_++;
        if (next_counter_ >= (1u << 23)) next_counter_ = 1;
        auto id = static_cast<std::int32_t>((counter << 8) | (shard_ & 0xff));
        if (id <= 0 || sessions_.contains(id)) continue;
        auto s = std::make_shared<fetch_session>(id);
        s->last_used = now;
        sessions_.emplace(id, s);
        return s;
    }
}

std::shared_ptr<fetch_session> fetch_session_cache::find(std::int32_t id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

void fetch_session_cache::remove(std::int32_t id) { sessions_.erase(id); }

}  // namespace tributary::kafka
