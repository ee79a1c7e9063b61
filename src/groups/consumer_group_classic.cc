// Members of a consumer group that use the classic protocol, and the conversions between a classic
// group and a consumer group (KIP-848 online migration). Kafka's GroupMetadataManager
// (classicGroupJoinToConsumerGroup, classicGroupSyncToConsumerGroup,
// classicGroupHeartbeatToConsumerGroup, classicGroupLeaveToConsumerGroup) and ConsumerGroup
// (fromClassicGroup) are the reference; see consumer_group.h.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "groups/consumer_group.h"

namespace tributary::groups {
namespace {

using ec = model::error_code;

constexpr std::string_view consumer_protocol_type = "consumer";

heartbeat_error error_of(ec code, std::string message) {
    return heartbeat_error{code, std::move(message)};
}

// Partitions by topic name -> by topic id; topics that do not exist (any more) are left out.
topic_partitions to_ids(const named_partitions& in, const topic_view& topics) {
    topic_partitions out;
    for (const auto& [name, partitions] : in) {
        auto info = topics.find(name);
        if (!info || partitions.empty()) continue;
        out[info->id].insert(partitions.begin(), partitions.end());
    }
    return out;
}

named_partitions to_names(const topic_partitions& in, const topic_view& topics) {
    named_partitions out;
    for (const auto& [id, partitions] : in) {
        auto name = topics.name_of(id);
        if (!name || partitions.empty()) continue;
        out[*name].insert(partitions.begin(), partitions.end());
    }
    return out;
}

std::vector<std::string> sorted_distinct(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

}  // namespace

std::optional<migration_policy> parse_migration_policy(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "disabled") return migration_policy::disabled;
    if (lower == "upgrade") return migration_policy::upgrade;
    if (lower == "downgrade") return migration_policy::downgrade;
    if (lower == "bidirectional") return migration_policy::bidirectional;
    return std::nullopt;
}

bool consumer_group::supports_classic_protocols(
    std::string_view protocol_type, const std::vector<std::pair<std::string, bytes::byte_vector>>& protocols) const {
    if (protocol_type != consumer_protocol_type || protocols.empty()) return false;
    for (const auto& [name, _] : protocols) {
        const bool everyone = std::all_of(members_.begin(), members_.end(), [&name](const auto& kv) {
            const auto& c = kv.second.classic;
            if (!c) return true;
            return std::any_of(c->protocols.begin(), c->protocols.end(),
                               [&name](const auto& p) { return p.first == name; });
        });
        if (everyone) return true;
    }
    return false;
}

void consumer_group::update_and_reconcile(const consumer_member& before, consumer_member updated,
                                          const owned_partitions& owned, std::int64_t now_ms,
                                          const topic_view& topics, const consumer_group_config& config) {
    bump_epoch_on_subscription_change(before, updated, topics);
    const std::string member_id = updated.member_id;
    set_member(std::move(updated));
    if (group_epoch_ > assignment_epoch_) compute_target_assignment(topics, config);
    consumer_member& member = members_.at(member_id);
    if (member.is_reconciled_to(assignment_epoch_)) return;
    auto next = reconcile(member, assignment_epoch_, target_assignment(member_id), owned,
                          [this](const model::uuid& t, std::int32_t p) { return partition_epoch(t, p); });
    if (next.same_state(member)) return;
    if (next.state == member_state::unrevoked_partitions) {
        next.rebalance_deadline_ms = now_ms + std::max(0, next.rebalance_timeout_ms);
    } else {
        next.rebalance_deadline_ms.reset();
    }
    set_member(std::move(next));
}

classic_join_outcome consumer_group::classic_join(const classic_join_request& req, const heartbeat_context& ctx,
                                                  const topic_view& topics, const consumer_group_config& config) {
    classic_join_outcome out;
    if (!supports_classic_protocols(req.protocol_type, req.protocols)) {
        out.error = error_of(ec::inconsistent_group_protocol,
                             fmt::format("Member {}'s protocols are not supported.", req.member_id));
        return out;
    }
    if (static_cast<std::int64_t>(members_.size()) >= config.max_size && !members_.contains(req.member_id)) {
        out.error = error_of(ec::group_max_size_reached,
                             fmt::format("The consumer group has reached its maximum capacity of {} members.",
                                         config.max_size));
        return out;
    }
    std::optional<embedded_subscription> subscription;
    for (const auto& protocol : req.protocols) {
        subscription = decode_embedded_subscription(protocol.second);
        if (subscription) break;
    }
    if (!subscription) {
        out.error = error_of(ec::inconsistent_group_protocol,
                             fmt::format("Member {}'s subscription does not parse as the consumer protocol.",
                                         req.member_id));
        return out;
    }
    if (req.instance_id) {
        // Kafka replaces a static member whose instance id rejoins under a new member id; here the
        // instance id must be free or the member's own (docs/compatibility.md).
        auto s = static_members_.find(*req.instance_id);
        if (s != static_members_.end() && s->second != req.member_id) {
            out.error = error_of(ec::fenced_instance_id,
                                 fmt::format("Static member {} with instance id {} was fenced by member {}.",
                                             req.member_id, *req.instance_id, s->second));
            return out;
        }
    }

    consumer_member before;
    before.member_id = req.member_id;
    if (const auto* existing = find_member(req.member_id)) before = *existing;
    consumer_member updated = before;
    if (req.instance_id) updated.instance_id = req.instance_id;
    if (subscription->rack_id) updated.rack_id = subscription->rack_id;
    if (req.rebalance_timeout_ms != -1) updated.rebalance_timeout_ms = req.rebalance_timeout_ms;
    updated.subscribed_topic_names = sorted_distinct(subscription->topics);
    updated.client_id = ctx.client_id;
    updated.client_host = ctx.client_host;
    updated.classic = classic_member_metadata{req.session_timeout_ms, req.protocols};
    const owned_partitions owned = to_ids(subscription->owned, topics);
    update_and_reconcile(before, std::move(updated), owned, ctx.now_ms, topics, config);

    consumer_member& member = members_.at(req.member_id);
    member.session_deadline_ms = ctx.now_ms + req.session_timeout_ms;
    member.join_deadline_ms.reset();
    member.sync_deadline_ms = ctx.now_ms + std::max(0, member.rebalance_timeout_ms);
    out.generation = member.member_epoch;
    out.protocol_name = req.protocols.front().first;
    return out;
}

consumer_member* consumer_group::find_classic_member(const std::string& member_id,
                                                     const std::optional<std::string>& instance_id,
                                                     model::error_code& error) {
    consumer_member* m = nullptr;
    if (!instance_id) {
        auto it = members_.find(member_id);
        if (it == members_.end()) {
            error = ec::unknown_member_id;
            return nullptr;
        }
        m = &it->second;
    } else {
        auto s = static_members_.find(*instance_id);
        if (s == static_members_.end()) {
            error = ec::unknown_member_id;
            return nullptr;
        }
        if (!member_id.empty() && s->second != member_id) {
            error = ec::fenced_instance_id;
            return nullptr;
        }
        m = &members_.at(s->second);
    }
    if (!m->classic) {
        error = ec::unknown_member_id;  // "Member ... does not use the classic protocol."
        return nullptr;
    }
    error = ec::none;
    return m;
}

bool consumer_group::waiting_on_unreleased(const consumer_member& m) const {
    if (m.state != member_state::unreleased_partitions) return false;
    for (const auto& [topic, partitions] : target_assignment(m.member_id)) {
        auto assigned = m.assigned.find(topic);
        for (auto p : partitions) {
            const bool have = assigned != m.assigned.end() && assigned->second.contains(p);
            if (!have && partition_epoch(topic, p) != -1) return true;
        }
    }
    return false;
}

classic_sync_outcome consumer_group::classic_sync(const std::string& member_id,
                                                  const std::optional<std::string>& instance_id,
                                                  std::int32_t generation,
                                                  const std::optional<std::string>& protocol_type,
                                                  const std::optional<std::string>& protocol_name,
                                                  std::int64_t now_ms, const topic_view& topics) {
    classic_sync_outcome out;
    ec e = ec::none;
    consumer_member* m = find_classic_member(member_id, instance_id, e);
    if (!m) {
        out.error = error_of(e, {});
        return out;
    }
    if (generation != m->member_epoch) {
        out.error = error_of(ec::illegal_generation,
                             fmt::format("The request generation id {} is not equal to the member epoch {} of "
                                         "member {}.",
                                         generation, m->member_epoch, m->member_id));
        return out;
    }
    const auto& protocols = m->classic->protocols;
    const std::string name = protocols.empty() ? std::string() : protocols.front().first;
    if ((protocol_type && *protocol_type != consumer_protocol_type) || (protocol_name && *protocol_name != name)) {
        out.error = error_of(ec::inconsistent_group_protocol, {});
        return out;
    }
    // A new rebalance started since the member joined: it must rejoin first, unless it is revoking
    // (then the rejoin after its revocation catches up).
    if (group_epoch_ > m->member_epoch && m->state != member_state::unrevoked_partitions) {
        if (!m->join_deadline_ms) m->join_deadline_ms = now_ms + std::max(0, m->rebalance_timeout_ms);
        out.error = error_of(ec::rebalance_in_progress,
                             fmt::format("A new rebalance is triggered in group {} and member {} should rejoin "
                                         "to catch up.",
                                         group_id_, m->member_id));
        return out;
    }
    m->sync_deadline_ms.reset();
    m->session_deadline_ms = now_ms + m->classic->session_timeout_ms;
    out.protocol_name = name;
    out.assignment = encode_embedded_assignment(
        to_names(m->assigned, topics), protocols.empty() ? std::int16_t{0} : embedded_version(protocols.front().second));
    return out;
}

model::error_code consumer_group::classic_heartbeat(const std::string& member_id,
                                                    const std::optional<std::string>& instance_id,
                                                    std::int32_t generation, std::int64_t now_ms) {
    ec e = ec::none;
    consumer_member* m = find_classic_member(member_id, instance_id, e);
    if (!m) return e;
    if (generation != m->member_epoch) return ec::illegal_generation;
    m->session_deadline_ms = now_ms + m->classic->session_timeout_ms;
    // Rejoin when the group moved on, when it must revoke, or when the partitions it waits for are free.
    if (m->member_epoch < group_epoch_ || m->state == member_state::unrevoked_partitions ||
        (m->state == member_state::unreleased_partitions && !waiting_on_unreleased(*m))) {
        if (!m->join_deadline_ms) m->join_deadline_ms = now_ms + std::max(0, m->rebalance_timeout_ms);
        return ec::rebalance_in_progress;
    }
    return ec::none;
}

model::error_code consumer_group::classic_leave(const std::string& member_id,
                                                const std::optional<std::string>& instance_id,
                                                const topic_view& topics) {
    ec e = ec::none;
    consumer_member* m = find_classic_member(member_id, instance_id, e);
    if (!m) return e;
    const std::string id = m->member_id;
    remove_member(id, topics);
    return ec::none;
}

std::optional<std::string> consumer_group::adopt_classic_members(std::int32_t generation,
                                                                 const std::vector<classic_member_snapshot>& members,
                                                                 const topic_view& topics, std::int64_t now_ms) {
    group_epoch_ = generation;
    assignment_epoch_ = generation;
    for (const auto& c : members) {
        auto subscription = decode_embedded_subscription(c.subscription);
        if (!subscription) return fmt::format("the subscription of member {} does not parse", c.member_id);
        auto assignment = decode_embedded_assignment(c.assignment);
        if (!assignment) return fmt::format("the assignment of member {} does not parse", c.member_id);
        consumer_member m;
        m.member_id = c.member_id;
        m.instance_id = c.instance_id;
        m.rack_id = subscription->rack_id;
        m.member_epoch = generation;
        m.previous_member_epoch = generation;
        m.state = member_state::stable;
        m.rebalance_timeout_ms = c.rebalance_timeout_ms;
        m.client_id = c.client_id;
        m.client_host = c.client_host;
        m.subscribed_topic_names = sorted_distinct(subscription->topics);
        m.assigned = to_ids(*assignment, topics);
        m.classic = classic_member_metadata{c.session_timeout_ms, c.protocols};
        m.session_deadline_ms = now_ms + c.session_timeout_ms;
        target_[m.member_id] = m.assigned;
        set_member(std::move(m));
    }
    subscription_metadata_ = compute_subscription_metadata(topics, nullptr, {});
    return std::nullopt;
}

bool consumer_group::all_classic_except(std::string_view member_id) const {
    const auto* leaving = find_member(member_id);
    if (!leaving || leaving->classic) return false;
    return std::all_of(members_.begin(), members_.end(),
                       [&](const auto& kv) { return kv.first == member_id || kv.second.classic.has_value(); });
}

std::vector<classic_member_snapshot> consumer_group::classic_members_except(std::string_view leaving,
                                                                            const topic_view& topics) const {
    std::vector<classic_member_snapshot> out;
    for (const auto& [id, m] : members_) {
        if (id == leaving || !m.classic) continue;
        classic_member_snapshot c;
        c.member_id = id;
        c.instance_id = m.instance_id;
        c.client_id = m.client_id;
        c.client_host = m.client_host;
        c.rebalance_timeout_ms = m.rebalance_timeout_ms;
        c.session_timeout_ms = m.classic->session_timeout_ms;
        c.protocols = m.classic->protocols;
        c.target = to_names(target_assignment(id), topics);
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace tributary::groups
