#include "groups/assignor.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace tributary::groups {
namespace {

struct partition_ref {
    model::uuid topic;
    std::int32_t partition = 0;
    auto operator<=>(const partition_ref&) const = default;
};

// Working state of one uniform assignment. Members are referred to by their index in `order`
// (member id order), which makes every tie-break deterministic.
class uniform_run {
public:
    explicit uniform_run(const assignment_spec& spec) : spec_(spec) {
        order_.resize(spec.members.size());
        std::iota(order_.begin(), order_.end(), std::size_t{0});
        std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
            return spec.members[a].member_id < spec.members[b].member_id;
        });
        owned_.resize(order_.size());
        load_.assign(order_.size(), 0);
        for (std::size_t i = 0; i < order_.size(); ++i) {
            for (const auto& t : member(i).subscribed_topics) {
                if (spec.partition_counts.contains(t)) eligible_[t].push_back(i);
            }
        }
    }

    group_assignment run() {
        keep_current();
        if (homogeneous()) revoke_above_quota();
        assign_unowned();
        balance();
        group_assignment out;
        for (std::size_t i = 0; i < order_.size(); ++i) {
            auto& dest = out[member(i).member_id];
            for (const auto& p : owned_[i]) dest[p.topic].insert(p.partition);
        }
        return out;
    }

private:
    const assignment_member& member(std::size_t i) const { return spec_.members[order_[i]]; }

    void own(std::size_t i, const partition_ref& p) {
        owner_[p] = i;
        owned_[i].insert(p);
        ++load_[i];
    }
    void disown(std::size_t i, const partition_ref& p) {
        owner_.erase(p);
        owned_[i].erase(p);
        --load_[i];
    }

    // Step 1: every member keeps the partitions of its current assignment that still exist, that it
    // still subscribes to, and that no member earlier in id order already kept.
    void keep_current() {
        for (std::size_t i = 0; i < order_.size(); ++i) {
            const auto& m = member(i);
            for (const auto& [topic, partitions] : m.current) {
                auto count = spec_.partition_counts.find(topic);
                if (count == spec_.partition_counts.end() || !m.subscribed_topics.contains(topic)) continue;
                for (auto p : partitions) {
                    partition_ref ref{topic, p};
                    if (p >= 0 && p < count->second && !owner_.contains(ref)) own(i, ref);
                }
            }
        }
    }

    bool homogeneous() const {
        for (std::size_t i = 1; i < order_.size(); ++i) {
            if (member(i).subscribed_topics != member(0).subscribed_topics) return false;
        }
        return true;
    }

    // Step 2 (all members subscribe alike): quotas of floor(P/n), and one more for the P mod n members
    // that already hold the most (so the fewest partitions move); a member above its quota gives up
    // its highest partitions.
    void revoke_above_quota() {
        if (order_.empty()) return;
        std::int64_t total = 0;
        for (const auto& t : member(0).subscribed_topics) {
            auto count = spec_.partition_counts.find(t);
            if (count != spec_.partition_counts.end()) total += count->second;
        }
        const auto n = static_cast<std::int64_t>(order_.size());
        const std::int64_t quota = total / n;
        std::int64_t extra = total % n;
        std::vector<std::size_t> by_load(order_.size());
        std::iota(by_load.begin(), by_load.end(), std::size_t{0});
        std::stable_sort(by_load.begin(), by_load.end(),
                         [&](std::size_t a, std::size_t b) { return load_[a] > load_[b]; });
        for (auto i : by_load) {
            std::int64_t limit = quota;
            if (extra > 0) {
                ++limit;
                --extra;
            }
            while (load_[i] > limit) disown(i, *owned_[i].rbegin());
        }
    }

    // Step 3: each partition no one owns goes to the least loaded member subscribed to its topic; the
    // partitions with the fewest candidates go first, so constrained topics are placed while there
    // is still room.
    void assign_unowned() {
        std::vector<std::pair<std::size_t, partition_ref>> pending;
        for (const auto& [topic, count] : spec_.partition_counts) {
            auto e = eligible_.find(topic);
            if (e == eligible_.end()) continue;
            for (std::int32_t p = 0; p < count; ++p) {
                partition_ref ref{topic, p};
                if (!owner_.contains(ref)) pending.emplace_back(e->second.size(), ref);
            }
        }
        std::stable_sort(pending.begin(), pending.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [_, ref] : pending) own(least_loaded(ref.topic, order_.size()), ref);
    }

    // The least loaded member subscribed to `topic` other than `except` (first in id order on ties).
    // REQUIRES: some member other than `except` subscribes to `topic`, or returns order_.size().
    std::size_t least_loaded(const model::uuid& topic, std::size_t except) const {
        std::size_t best = order_.size();
        for (auto i : eligible_.at(topic)) {
            if (i == except) continue;
            if (best == order_.size() || load_[i] < load_[best]) best = i;
        }
        return best;
    }

    // Step 4: move single partitions from a member to an eligible member with at least two fewer
    // until no such move exists. Each move lowers the sum of squared loads, so this ends; with equal
    // subscriptions it leaves loads within one of each other.
    void balance() {
        bool moved = true;
        while (moved) {
            moved = false;
            std::vector<std::size_t> by_load(order_.size());
            std::iota(by_load.begin(), by_load.end(), std::size_t{0});
            std::stable_sort(by_load.begin(), by_load.end(),
                             [&](std::size_t a, std::size_t b) { return load_[a] > load_[b]; });
            for (auto i : by_load) {
                std::vector<partition_ref> candidates(owned_[i].rbegin(), owned_[i].rend());
                for (const auto& p : candidates) {
                    auto to = least_loaded(p.topic, i);
                    if (to == order_.size() || load_[to] + 1 >= load_[i]) continue;
                    disown(i, p);
                    own(to, p);
                    moved = true;
                }
            }
        }
    }

    const assignment_spec& spec_;
    std::vector<std::size_t> order_;
    std::map<model::uuid, std::vector<std::size_t>> eligible_;
    std::map<partition_ref, std::size_t> owner_;
    std::vector<std::set<partition_ref>> owned_;
    std::vector<std::int64_t> load_;
};

}  // namespace

group_assignment uniform_assignor::assign(const assignment_spec& spec) const {
    return uniform_run(spec).run();
}

group_assignment range_assignor::assign(const assignment_spec& spec) const {
    std::vector<const assignment_member*> order;
    order.reserve(spec.members.size());
    for (const auto& m : spec.members) order.push_back(&m);
    std::sort(order.begin(), order.end(), [](const assignment_member* a, const assignment_member* b) {
        if (a->instance_id && b->instance_id) return *a->instance_id < *b->instance_id;
        if (a->instance_id.has_value() != b->instance_id.has_value()) return a->instance_id.has_value();
        return a->member_id < b->member_id;
    });
    group_assignment out;
    for (const auto* m : order) out[m->member_id];
    for (const auto& [topic, count] : spec.partition_counts) {
        std::vector<const assignment_member*> subscribers;
        for (const auto* m : order) {
            if (m->subscribed_topics.contains(topic)) subscribers.push_back(m);
        }
        if (subscribers.empty()) continue;
        const auto k = static_cast<std::int32_t>(subscribers.size());
        const std::int32_t quota = count / k;
        const std::int32_t extra = count % k;
        std::int32_t next = 0;
        for (std::int32_t i = 0; i < k; ++i) {
            const std::int32_t end = next + quota + (i < extra ? 1 : 0);
            if (next < end) {
                auto& dest = out[subscribers[static_cast<std::size_t>(i)]->member_id][topic];
                for (std::int32_t p = next; p < end; ++p) dest.insert(p);
            }
            next = end;
        }
    }
    return out;
}

const partition_assignor* find_assignor(std::string_view name) {
    static const uniform_assignor uniform;
    static const range_assignor range;
    if (name == uniform.name()) return &uniform;
    if (name == range.name()) return &range;
    return nullptr;
}

std::size_t partition_count(const topic_partitions& a) {
    std::size_t n = 0;
    for (const auto& [_, ps] : a) n += ps.size();
    return n;
}

}  // namespace tributary::groups
