// Incremental fetch sessions (KIP-227).
//
// A consumer that fetches many partitions sends the full list once, then only what changed; the broker
// remembers the list (a session) and answers with only the partitions that have news. The protocol:
//
//   session_id  epoch   meaning
//   0           -1      a full fetch without a session
//   0            0      a full fetch that creates a session (its id is in the response; 0 = no room)
//   X            0      close session X and create a new one from this full fetch
//   X           -1      close session X; this is a full fetch without a session
//   X           N>0     an incremental fetch in session X; N must be the session's next epoch
//
// Sessions live in the cache of the shard that created them (a connection stays on one shard, and
// clients keep a session on one connection); a session id used on another shard is
// FETCH_SESSION_ID_NOT_FOUND and the client starts a new one. Owned by one shard's event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "model/error_code.h"
#include "model/fundamental.h"
#include "model/topic_partition.h"

namespace tributary::kafka {

// What the session remembers of one partition: the client's fetch position, and what it last told
// the client, so that unchanged partitions can be left out of incremental responses.
struct session_partition {
    model::topic_partition tp;
    model::uuid topic_id;
    std::int64_t fetch_offset = 0;
    std::int32_t partition_max_bytes = 0;
    std::int32_t current_leader_epoch = -1;
    // Last values sent; -1 before the first response.
    std::int64_t sent_high_watermark = -1;
    std::int64_t sent_last_stable_offset = -1;
    std::int64_t sent_log_start_offset = -1;
};

class fetch_session {
public:
    explicit fetch_session(std::int32_t id) : id_(id) {}

    std::int32_t id() const { return id_; }
    std::int32_t next_epoch() const { return next_epoch_; }
    void advance_epoch() { next_epoch_ = next_epoch_ == std::numeric_limits<std::int32_t>::max() ? 1 : next_epoch_ + 1; }

    // Adds or updates a partition (it keeps its place in the order). The reference stays valid until
    // the partition is forgotten.
    session_partition& upsert(const session_partition& p);
    void forget(const model::topic_partition& tp);
    // Partitions in fetch order. After a response, those that returned data move to the back, so a
    // partition with a large backlog cannot starve the others behind a byte limit.
    std::list<session_partition>& partitions() { return order_; }
    void move_to_back(const model::topic_partition& tp);
    std::size_t size() const { return order_.size(); }

    std::chrono::steady_clock::time_point last_used{};
    // A fetch of this session is in progress. A second, concurrent one is refused: the first holds
    // references into the partition list while it waits for data.
    bool busy = false;

private:
    std::int32_t id_;
    std::int32_t next_epoch_ = 1;
    std::list<session_partition> order_;
    std::unordered_map<model::topic_partition, std::list<session_partition>::iterator> index_;
};

class fetch_session_cache {
public:
    // max_sessions: Kafka's max.incremental.fetch.session.cache.slots (1000).
    fetch_session_cache(unsigned shard, std::size_t max_sessions = 1000);

    // A new session with a fresh id that encodes the shard, or null when the cache is full of sessions
    // used more recently than `evictable_idle` ago.
    // Sessions are shared_ptrs so a fetch waiting for data keeps its session even if a newer request
    // closes it meanwhile.
    std::shared_ptr<fetch_session> create();
    std::shared_ptr<fetch_session> find(std::int32_t id);
    void remove(std::int32_t id);
    std::size_t size() const { return sessions_.size(); }

private:
    unsigned shard_;
    std::size_t max_sessions_;
    std::uint32_t next_counter_ = 1;
    std::map<std::int32_t, std::shared_ptr<fetch_session>> sessions_;
};

}  // namespace tributary::kafka
