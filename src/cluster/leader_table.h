// Who leads each replicated partition, as this broker's replicas see it: written by the replicas on
// their own shards whenever their Raft epoch or leader changes, read by the Metadata handler (and the
// produce and fetch errors that name the new leader) on any shard. A partition this broker does not
// replicate is absent.
//
// Thread-safe: a reader takes a copy under the lock; leadership changes are rare next to reads, so one
// mutex is enough (a reader holds it for one map lookup).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "model/fundamental.h"
#include "model/topic_partition.h"

namespace tributary::cluster {

struct leadership {
    std::optional<model::node_id> leader;  // unknown during an election
    model::leader_epoch epoch{-1};
    // The in-sync replicas as the leader sees them; known only on the leader's broker (else empty).
    std::vector<model::node_id> in_sync;
};

class leader_table {
public:
    // Records what a replica knows now; an older epoch than the one recorded is ignored.
    void update(const model::topic_partition& tp, leadership l) {
        std::lock_guard lock(mutex_);
        auto& slot = leaders_[tp];
        if (l.epoch > slot.epoch) slot.in_sync.clear();
        if (l.epoch >= slot.epoch) {
            slot.leader = l.leader;
            slot.epoch = l.epoch;
        }
    }
    // The leader's replica reports its in-sync replicas in `epoch`.
    void set_in_sync(const model::topic_partition& tp, model::leader_epoch epoch, std::vector<model::node_id> isr) {
        std::lock_guard lock(mutex_);
        auto& slot = leaders_[tp];
        if (epoch >= slot.epoch) slot.in_sync = std::move(isr);
    }
    void erase(const model::topic_partition& tp) {
        std::lock_guard lock(mutex_);
        leaders_.erase(tp);
    }
    std::optional<leadership> find(const model::topic_partition& tp) const {
        std::lock_guard lock(mutex_);
        auto it = leaders_.find(tp);
        if (it == leaders_.end()) return std::nullopt;
        return it->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<model::topic_partition, leadership> leaders_;
};

}  // namespace tributary::cluster
