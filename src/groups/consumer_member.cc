#include "groups/consumer_member.h"

#include <set>

namespace tributary::groups {
namespace {

// Whether `owned` still holds any partition of `revoking`. Not knowing (null) counts as holding.
bool still_owns_any(const owned_partitions& owned, const topic_partitions& revoking) {
    if (!owned) return true;
    for (const auto& [topic, partitions] : *owned) {
        auto r = revoking.find(topic);
        if (r == revoking.end()) continue;
        for (auto p : partitions) {
            if (r->second.contains(p)) return true;
        }
    }
    return false;
}

// One reconciliation step from `assigned` towards `target` (the algorithm of KIP-848's
// "Reconciliation" section):
//   keep     = assigned ∩ target
//   revoke   = assigned − keep
//   add      = target − keep − {partitions another member still owns}
// Revocations come first: while the member still owns a partition to revoke, it stays at
// `epoch` (its current one) and gets nothing new.
consumer_member next_assignment(
    const consumer_member& member, std::int32_t epoch, std::int32_t target_epoch,
    const topic_partitions& target, const owned_partitions& owned,
    const std::function<std::int32_t(const model::uuid&, std::int32_t)>& partition_epoch) {
    topic_partitions keep;
    topic_partitions revoke;
    topic_partitions add;
    bool unreleased = false;

    std::set<model::uuid> topics;
    for (const auto& [t, _] : target) topics.insert(t);
    for (const auto& [t, _] : member.assigned) topics.insert(t);
    static const std::set<std::int32_t> none;
    for (const auto& t : topics) {
        auto ti = target.find(t);
        auto ai = member.assigned.find(t);
        const auto& want = ti == target.end() ? none : ti->second;
        const auto& have = ai == member.assigned.end() ? none : ai->second;
        for (auto p : have) {
            if (want.contains(p)) {
                keep[t].insert(p);
            } else {
                revoke[t].insert(p);
            }
        }
        for (auto p : want) {
            if (have.contains(p)) continue;
            if (partition_epoch(t, p) != -1) {
                unreleased = true;
            } else {
                add[t].insert(p);
            }
        }
    }

    consumer_member next = member;
    if (!revoke.empty() && still_owns_any(owned, revoke)) {
        next.state = member_state::unrevoked_partitions;
        next.previous_member_epoch = member.member_epoch;
        next.member_epoch = epoch;
        next.assigned = std::move(keep);
        next.pending_revocation = std::move(revoke);
        return next;
    }
    for (auto& [t, ps] : add) keep[t].insert(ps.begin(), ps.end());
    next.state = unreleased ? member_state::unreleased_partitions : member_state::stable;
    next.previous_member_epoch = member.member_epoch;
    next.member_epoch = target_epoch;
    next.assigned = std::move(keep);
    next.pending_revocation.clear();
    return next;
}

}  // namespace

bool consumer_member::same_state(const consumer_member& o) const {
    return member_id == o.member_id && instance_id == o.instance_id && rack_id == o.rack_id &&
           member_epoch == o.member_epoch && previous_member_epoch == o.previous_member_epoch &&
           state == o.state && rebalance_timeout_ms == o.rebalance_timeout_ms && client_id == o.client_id &&
           client_host == o.client_host && subscribed_topic_names == o.subscribed_topic_names &&
           subscribed_topic_regex == o.subscribed_topic_regex && server_assignor == o.server_assignor &&
           assigned == o.assigned && pending_revocation == o.pending_revocation && classic == o.classic;
}

consumer_member reconcile(
    const consumer_member& member, std::int32_t target_epoch, const topic_partitions& target,
    const owned_partitions& owned,
    const std::function<std::int32_t(const model::uuid&, std::int32_t)>& partition_epoch) {
    if (member.is_reconciled_to(target_epoch)) return member;
    switch (member.state) {
        case member_state::stable:
            // A newer target exists: start moving towards it.
            return next_assignment(member, member.member_epoch, target_epoch, target, owned, partition_epoch);
        case member_state::unrevoked_partitions:
            // Progress only once the member's heartbeat no longer reports the partitions to revoke;
            // then it moves past its epoch towards the latest target.
            if (still_owns_any(owned, member.pending_revocation)) return member;
            return next_assignment(member, member.member_epoch + 1, target_epoch, target, owned,
                                   partition_epoch);
        case member_state::unreleased_partitions:
            // Pick up whatever has been released since, or a newer target.
            return next_assignment(member, member.member_epoch, target_epoch, target, owned, partition_epoch);
    }
    return member;
}

}  // namespace tributary::groups
