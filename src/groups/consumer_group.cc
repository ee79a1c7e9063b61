#include "groups/consumer_group.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "groups/topic_regex.h"
#include "model/fundamental.h"

namespace tributary::groups {
namespace {

using ec = model::error_code;
using hb_response = protocol::consumer_group_heartbeat_response;

// ConsumerGroupHeartbeat v1+ (KIP-1082): the consumer generates its member id.
constexpr std::int16_t consumer_generated_member_id_version = 1;

bool blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}
bool empty_if_set(const std::optional<std::string>& s) {
    return s && blank(*s);
}

std::optional<heartbeat_error> invalid(std::string message) {
    return heartbeat_error{ec::invalid_request, std::move(message)};
}

topic_partitions to_partitions(
    const std::vector<protocol::consumer_group_heartbeat_request::topic_partitions_type>& in) {
    topic_partitions out;
    for (const auto& tp : in) {
        if (tp.partitions.empty()) continue;
        out[tp.topic_id].insert(tp.partitions.begin(), tp.partitions.end());
    }
    return out;
}

std::vector<hb_response::topic_partitions_type> to_response(const topic_partitions& in) {
    std::vector<hb_response::topic_partitions_type> out;
    for (const auto& [topic, partitions] : in) {
        hb_response::topic_partitions_type tp;
        tp.topic_id = topic;
        tp.partitions.assign(partitions.begin(), partitions.end());
        out.push_back(std::move(tp));
    }
    return out;
}

// `owned` is a subset of `assigned`.
bool is_subset(const owned_partitions& owned, const topic_partitions& assigned) {
    if (!owned) return false;
    for (const auto& [topic, partitions] : *owned) {
        auto a = assigned.find(topic);
        if (a == assigned.end()) return false;
        for (auto p : partitions) {
            if (!a->second.contains(p)) return false;
        }
    }
    return true;
}

// Kafka's throwIfConsumerGroupMemberEpochIsInvalid, with KAFKA-19233: epoch 0 rejoins are accepted
// (a fenced member rejoins with its member id and epoch 0). A member one epoch behind whose owned
// partitions are a subset of its assignment is accepted too: the response that moved it on was lost.
std::optional<heartbeat_error> check_member_epoch(const consumer_member& m, std::int32_t received,
                                                  const owned_partitions& owned) {
    if (received == join_group_member_epoch) return std::nullopt;
    if (received > m.member_epoch) {
        return heartbeat_error{
            ec::fenced_member_epoch,
            fmt::format("The consumer group member has a greater member epoch ({}) than the one "
                        "known by the group coordinator ({}). The member must abandon all its "
                        "partitions and rejoin.",
                        received, m.member_epoch)};
    }
    if (received < m.member_epoch && (received != m.previous_member_epoch || !is_subset(owned, m.assigned))) {
        return heartbeat_error{
            ec::fenced_member_epoch,
            fmt::format("The consumer group member has a smaller member epoch ({}) than the one "
                        "known by the group coordinator ({}). The member must abandon all its "
                        "partitions and rejoin.",
                        received, m.member_epoch)};
    }
    return std::nullopt;
}

hb_response error_response(ec code, std::string message) {
    return heartbeat_error_response(heartbeat_error{code, std::move(message)});
}

}  // namespace

const partition_assignor* consumer_group_config::find(std::string_view name) const {
    for (const auto* a : assignors) {
        if (a->name() == name) return a;
    }
    return nullptr;
}

std::string_view to_string(consumer_state s) {
    switch (s) {
        case consumer_state::empty: return "Empty";
        case consumer_state::assigning: return "Assigning";
        case consumer_state::reconciling: return "Reconciling";
        case consumer_state::stable: return "Stable";
    }
    return "Unknown";
}

std::optional<heartbeat_error> validate_heartbeat(const protocol::consumer_group_heartbeat_request& req,
                                                  std::int16_t api_version,
                                                  const consumer_group_config& config) {
    if ((api_version >= consumer_generated_member_id_version || req.member_epoch > 0 ||
         req.member_epoch == leave_group_member_epoch) &&
        blank(req.member_id)) {
        return invalid("MemberId can't be empty.");
    }
    if (blank(req.group_id)) return invalid("GroupId can't be empty.");
    if (empty_if_set(req.instance_id)) return invalid("InstanceId can't be empty.");
    if (empty_if_set(req.rack_id)) return invalid("RackId can't be empty.");
    if (req.member_epoch == join_group_member_epoch) {
        if (req.rebalance_timeout_ms == -1)
            return invalid("RebalanceTimeoutMs must be provided in first request.");
        if (!req.topic_partitions || !req.topic_partitions->empty()) {
            return invalid("TopicPartitions must be empty when (re-)joining.");
        }
        if (!req.subscribed_topic_names && !req.subscribed_topic_regex) {
            return invalid(
                "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.");
        }
    } else if (req.member_epoch == leave_group_static_member_epoch) {
        if (!req.instance_id) return invalid("InstanceId can't be null.");
    } else if (req.member_epoch < leave_group_static_member_epoch) {
        return invalid("MemberEpoch is invalid.");
    }
    if (req.server_assignor && config.find(*req.server_assignor) == nullptr) {
        std::string names;
        for (const auto* a : config.assignors) {
            if (!names.empty()) names += ", ";
            names += a->name();
        }
        return heartbeat_error{ec::unsupported_assignor,
                               fmt::format("ServerAssignor {} is not supported. Supported "
                                           "assignors: {}.",
                                           *req.server_assignor, names)};
    }
    if (req.subscribed_topic_regex && !req.subscribed_topic_regex->empty() &&
        !valid_topic_regex(*req.subscribed_topic_regex)) {
        return heartbeat_error{ec::invalid_regular_expression,
                               fmt::format("SubscribedTopicRegex `{}` is not a valid regular expression.",
                                           *req.subscribed_topic_regex)};
    }
    return std::nullopt;
}

protocol::consumer_group_heartbeat_response heartbeat_error_response(const heartbeat_error& error) {
    hb_response resp;
    resp.error_code = static_cast<std::int16_t>(error.code);
    if (!error.message.empty()) resp.error_message = error.message;
    return resp;
}

consumer_state consumer_group::state() const {
    if (members_.empty()) return consumer_state::empty;
    if (group_epoch_ > assignment_epoch_) return consumer_state::assigning;
    for (const auto& [_, m] : members_) {
        if (!m.is_reconciled_to(assignment_epoch_)) return consumer_state::reconciling;
    }
    return consumer_state::stable;
}

const consumer_member* consumer_group::find_member(std::string_view member_id) const {
    auto it = members_.find(member_id);
    return it == members_.end() ? nullptr : &it->second;
}

const topic_partitions& consumer_group::target_assignment(std::string_view member_id) const {
    static const topic_partitions none;
    auto it = target_.find(member_id);
    return it == target_.end() ? none : it->second;
}

std::int32_t consumer_group::partition_epoch(const model::uuid& topic, std::int32_t partition) const {
    auto t = partition_epochs_.find(topic);
    if (t == partition_epochs_.end()) return -1;
    auto p = t->second.find(partition);
    return p == t->second.end() ? -1 : p->second;
}

const partition_assignor& consumer_group::preferred_assignor(const consumer_group_config& config) const {
    std::map<std::string_view, int> counts;
    for (const auto& [_, m] : members_) {
        if (m.server_assignor) ++counts[*m.server_assignor];
    }
    const partition_assignor* best = nullptr;
    int best_count = 0;
    for (const auto* a : config.assignors) {
        auto it = counts.find(a->name());
        if (it != counts.end() && it->second > best_count) {
            best = a;
            best_count = it->second;
        }
    }
    return best ? *best : *config.assignors.front();
}

bool consumer_group::is_subscribed_to(std::string_view topic) const {
    if (subscription_metadata_.contains(std::string(topic))) return true;
    for (const auto& [_, m] : members_) {
        if (std::binary_search(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end(), topic))
            return true;
    }
    return false;
}

void consumer_group::drop_partition_epochs(const consumer_member& m) {
    for (const auto* set : {&m.assigned, &m.pending_revocation}) {
        for (const auto& [topic, partitions] : *set) {
            auto t = partition_epochs_.find(topic);
            if (t == partition_epochs_.end()) continue;
            for (auto p : partitions) t->second.erase(p);
            if (t->second.empty()) partition_epochs_.erase(t);
        }
    }
}

void consumer_group::add_partition_epochs(const consumer_member& m) {
    for (const auto* set : {&m.assigned, &m.pending_revocation}) {
        for (const auto& [topic, partitions] : *set) {
            auto& t = partition_epochs_[topic];
            for (auto p : partitions) t[p] = m.member_epoch;
        }
    }
}

void consumer_group::set_member(consumer_member m) {
    auto it = members_.find(m.member_id);
    if (it != members_.end()) {
        drop_partition_epochs(it->second);
        if (it->second.instance_id && it->second.instance_id != m.instance_id) {
            static_members_.erase(*it->second.instance_id);
        }
    }
    add_partition_epochs(m);
    if (m.instance_id) static_members_[*m.instance_id] = m.member_id;
    auto id = m.member_id;
    members_.insert_or_assign(std::move(id), std::move(m));
}

void consumer_group::remove_member(const std::string& member_id, const topic_view& topics) {
    auto it = members_.find(member_id);
    if (it == members_.end()) return;
    drop_partition_epochs(it->second);
    if (it->second.instance_id) {
        auto s = static_members_.find(*it->second.instance_id);
        if (s != static_members_.end() && s->second == member_id) static_members_.erase(s);
    }
    members_.erase(it);
    target_.erase(member_id);
    subscription_metadata_ = compute_subscription_metadata(topics, nullptr, {});
    ++group_epoch_;
}

const std::vector<std::string>& consumer_group::regex_matches(const std::string& regex,
                                                              const topic_view& topics) const {
    auto& cached = regex_cache_[regex];
    if (cached.topics_version != topics.version()) {
        std::vector<std::string> names;
        topics.for_each([&](const std::string& name, const topic_info&) { names.push_back(name); });
        cached.topics = matching_topics(regex, names);
        cached.topics_version = topics.version();
    }
    return cached.topics;
}

std::vector<std::string> consumer_group::effective_subscription(const consumer_member& m,
                                                                const topic_view& topics) const {
    if (m.subscribed_topic_regex.empty()) return m.subscribed_topic_names;
    std::set<std::string> all(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end());
    const auto& matched = regex_matches(m.subscribed_topic_regex, topics);
    all.insert(matched.begin(), matched.end());
    return {all.begin(), all.end()};
}

void consumer_group::bump_epoch_on_subscription_change(const consumer_member& before,
                                                       const consumer_member& updated, const topic_view& topics) {
    bool bump = group_epoch_ == 0;
    if (updated.subscribed_topic_names != before.subscribed_topic_names ||
        updated.subscribed_topic_regex != before.subscribed_topic_regex) {
        bump = true;
    }
    auto metadata = compute_subscription_metadata(topics, &updated, {});
    if (metadata != subscription_metadata_) {
        bump = true;
        subscription_metadata_ = std::move(metadata);
    }
    if (bump) ++group_epoch_;
}

std::map<std::string, topic_info> consumer_group::compute_subscription_metadata(const topic_view& topics,
                                                                                const consumer_member* extra,
                                                                                std::string_view skip) const {
    std::map<std::string, topic_info> out;
    auto add = [&](const consumer_member& m) {
        for (const auto& name : effective_subscription(m, topics)) {
            if (out.contains(name)) continue;
            if (auto info = topics.find(name)) out.emplace(name, *info);
        }
    };
    for (const auto& [id, m] : members_) {
        if (id == skip || (extra && id == extra->member_id)) continue;
        add(m);
    }
    if (extra) add(*extra);
    return out;
}

void consumer_group::compute_target_assignment(const topic_view& topics,
                                               const consumer_group_config& config) {
    assignment_spec spec;
    for (const auto& [name, info] : subscription_metadata_) spec.partition_counts[info.id] = info.partitions;
    for (const auto& [id, m] : members_) {
        assignment_member am;
        am.member_id = id;
        am.instance_id = m.instance_id;
        am.rack_id = m.rack_id;
        for (const auto& name : effective_subscription(m, topics)) {
            auto info = subscription_metadata_.find(name);
            if (info != subscription_metadata_.end()) am.subscribed_topics.insert(info->second.id);
        }
        am.current = target_assignment(id);
        spec.members.push_back(std::move(am));
    }
    auto result = preferred_assignor(config).assign(spec);
    target_.clear();
    for (auto& [id, partitions] : result) target_.emplace(id, std::move(partitions));
    assignment_epoch_ = group_epoch_;
}

struct consumer_group::lookup_result {
    consumer_member member;
    bool is_new = false;
    // A static member replacing the departed instance `replaced` (its old member id).
    std::optional<std::string> replaced;
};

protocol::consumer_group_heartbeat_response consumer_group::heartbeat(
    const protocol::consumer_group_heartbeat_request& req, const heartbeat_context& ctx,
    const topic_view& topics, const consumer_group_config& config) {
    if (req.member_epoch == leave_group_member_epoch || req.member_epoch == leave_group_static_member_epoch) {
        return leave(req, topics);
    }
    const bool joining = req.member_epoch == join_group_member_epoch;
    std::optional<topic_partitions> owned;
    if (req.topic_partitions) owned = to_partitions(*req.topic_partitions);

    // The member id: the client's (v1+), or one we generate for a v0 join without one.
    std::string member_id = req.member_id;
    if (member_id.empty()) member_id = model::uuid::random().to_string();

    if (static_cast<std::int64_t>(members_.size()) >= config.max_size && !members_.contains(member_id)) {
        return error_response(
            ec::group_max_size_reached,
            fmt::format("The consumer group has reached its maximum capacity of {} members.",
                        config.max_size));
    }

    // Find or create the member; every check happens before anything changes.
    lookup_result found;
    if (!req.instance_id) {
        auto it = members_.find(member_id);
        if (it != members_.end()) {
            if (auto err = check_member_epoch(it->second, req.member_epoch, owned))
                return heartbeat_error_response(*err);
            found.member = it->second;
        } else if (joining) {
            found.is_new = true;
            found.member.member_id = member_id;
        } else {
            return error_response(ec::unknown_member_id, fmt::format("Member {} is not a member of group {}.",
                                                                     member_id, group_id_));
        }
    } else {
        const std::string& instance = *req.instance_id;
        auto s = static_members_.find(instance);
        const consumer_member* existing = s == static_members_.end() ? nullptr : &members_.at(s->second);
        if (joining && existing && existing->member_id != member_id) {
            if (existing->member_epoch != leave_group_static_member_epoch) {
                return error_response(
                    ec::unreleased_instance_id,
                    fmt::format("Static member {} with instance id {} cannot join the group because "
                                "the instance id is owned by {} member.",
                                member_id, instance, existing->member_id));
            }
            // The instance comes back under a new member id: it takes over the departed member's
            // assignment (and target), starting at epoch 0.
            found.member = *existing;
            found.member.member_id = member_id;
            found.member.member_epoch = 0;
            found.member.previous_member_epoch = 0;
            found.member.rebalance_deadline_ms.reset();
            found.replaced = existing->member_id;
        } else if (joining && !existing) {
            auto it = members_.find(member_id);
            if (it != members_.end()) {
                found.member = it->second;
            } else {
                found.is_new = true;
                found.member.member_id = member_id;
            }
        } else if (!existing) {
            return error_response(ec::unknown_member_id, fmt::format("Instance id {} is unknown.", instance));
        } else if (existing->member_id != member_id) {
            return error_response(ec::fenced_instance_id,
                                  fmt::format("Static member {} with instance id {} was fenced by member {}.",
                                              member_id, instance, existing->member_id));
        } else {
            if (auto err = check_member_epoch(*existing, req.member_epoch, owned))
                return heartbeat_error_response(*err);
            found.member = *existing;
        }
    }

    // 1. Update the member from the request; bump the group epoch when subscriptions or the metadata of
    //    the subscribed topics changed (or the group is new).
    const consumer_member before = found.member;
    consumer_member updated = found.member;
    if (req.instance_id) updated.instance_id = req.instance_id;
    if (req.rack_id) updated.rack_id = req.rack_id;
    if (req.rebalance_timeout_ms != -1) updated.rebalance_timeout_ms = req.rebalance_timeout_ms;
    if (req.server_assignor) updated.server_assignor = req.server_assignor;
    if (req.subscribed_topic_names) {
        std::set<std::string> names(req.subscribed_topic_names->begin(), req.subscribed_topic_names->end());
        updated.subscribed_topic_names.assign(names.begin(), names.end());
    }
    if (req.subscribed_topic_regex) updated.subscribed_topic_regex = *req.subscribed_topic_regex;
    updated.client_id = ctx.client_id;
    updated.client_host = ctx.client_host;

    if (found.replaced) {
        // Move the departed instance's target assignment to the new member id, then drop it.
        auto t = target_.find(*found.replaced);
        topic_partitions moved = t == target_.end() ? topic_partitions{} : t->second;
        auto old = members_.find(*found.replaced);
        drop_partition_epochs(old->second);
        members_.erase(old);
        static_members_.erase(*req.instance_id);
        target_.erase(*found.replaced);
        target_[member_id] = std::move(moved);
    }

    bump_epoch_on_subscription_change(before, updated, topics);

    // Install the member before the assignment so the assignor sees it.
    set_member(updated);

    // 2. Recompute the target assignment when the group epoch moved past it.
    if (group_epoch_ > assignment_epoch_) compute_target_assignment(topics, config);

    // 3. Reconcile the member towards its target.
    consumer_member& member = members_.at(member_id);
    const topic_partitions assigned_before = member.assigned;
    if (!member.is_reconciled_to(assignment_epoch_)) {
        auto next = reconcile(member, assignment_epoch_, target_assignment(member_id), owned,
                              [this](const model::uuid& t, std::int32_t p) { return partition_epoch(t, p); });
        if (!next.same_state(member)) {
            if (next.state == member_state::unrevoked_partitions) {
                next.rebalance_deadline_ms = ctx.now_ms + std::max(0, next.rebalance_timeout_ms);
            } else {
                next.rebalance_deadline_ms.reset();
            }
            set_member(std::move(next));
        }
    }
    consumer_member& current = members_.at(member_id);
    current.session_deadline_ms = ctx.now_ms + config.session_timeout_ms;

    hb_response resp;
    resp.member_id = current.member_id;
    resp.member_epoch = current.member_epoch;
    resp.heartbeat_interval_ms = config.heartbeat_interval_ms;
    // The assignment goes out on a full request (a join, or a heartbeat carrying every field, as the
    // client sends after an error) or when it changed.
    const bool full_request =
        joining || (req.rebalance_timeout_ms != -1 && req.subscribed_topic_names.has_value() &&
                    req.topic_partitions.has_value());
    if (full_request || current.assigned != assigned_before || found.replaced) {
        hb_response::assignment_type a;
        a.topic_partitions = to_response(current.assigned);
        resp.assignment = std::move(a);
    }
    return resp;
}

protocol::consumer_group_heartbeat_response consumer_group::leave(
    const protocol::consumer_group_heartbeat_request& req, const topic_view& topics) {
    hb_response resp;
    resp.member_id = req.member_id;
    resp.member_epoch = req.member_epoch;
    if (!req.instance_id) {
        if (!members_.contains(req.member_id)) {
            return error_response(ec::unknown_member_id, fmt::format("Member {} is not a member of group {}.",
                                                                     req.member_id, group_id_));
        }
        remove_member(req.member_id, topics);
        return resp;
    }
    auto s = static_members_.find(*req.instance_id);
    if (s == static_members_.end()) {
        return error_response(ec::unknown_member_id,
                              fmt::format("Instance id {} is unknown.", *req.instance_id));
    }
    if (s->second != req.member_id) {
        return error_response(ec::fenced_instance_id,
                              fmt::format("Static member {} with instance id {} was fenced by member {}.",
                                          req.member_id, *req.instance_id, s->second));
    }
    if (req.member_epoch == leave_group_static_member_epoch) {
        // A temporary leave: the member keeps its assignment (no rebalance) until it comes back with a
        // new member id, or until its session expires.
        consumer_member m = members_.at(req.member_id);
        m.member_epoch = leave_group_static_member_epoch;
        m.pending_revocation.clear();
        m.state = member_state::stable;
        m.rebalance_deadline_ms.reset();
        set_member(std::move(m));
        return resp;
    }
    remove_member(req.member_id, topics);
    return resp;
}

std::vector<std::string> consumer_group::expire(std::int64_t now_ms, const topic_view& topics) {
    auto expired = due_members(now_ms);
    for (const auto& id : expired) remove_member(id, topics);
    return expired;
}

std::vector<std::string> consumer_group::due_members(std::int64_t now_ms) const {
    std::vector<std::string> expired;
    for (const auto& [id, m] : members_) {
        if (m.session_deadline_ms <= now_ms ||
            (m.rebalance_deadline_ms && *m.rebalance_deadline_ms <= now_ms &&
             m.state == member_state::unrevoked_partitions) ||
            (m.join_deadline_ms && *m.join_deadline_ms <= now_ms) ||
            (m.sync_deadline_ms && *m.sync_deadline_ms <= now_ms)) {
            expired.push_back(id);
        }
    }
    return expired;
}

std::optional<std::int64_t> consumer_group::next_deadline() const {
    std::optional<std::int64_t> next;
    for (const auto& [_, m] : members_) {
        auto d = m.session_deadline_ms;
        if (m.rebalance_deadline_ms) d = std::min(d, *m.rebalance_deadline_ms);
        if (m.join_deadline_ms) d = std::min(d, *m.join_deadline_ms);
        if (m.sync_deadline_ms) d = std::min(d, *m.sync_deadline_ms);
        if (!next || d < *next) next = d;
    }
    return next;
}

model::error_code consumer_group::validate_offset_commit(std::string_view member_id,
                                                         std::int32_t member_epoch,
                                                         std::int16_t api_version) const {
    if (member_epoch < 0 && members_.empty()) return ec::none;
    auto m = find_member(member_id);
    if (!m) return ec::unknown_member_id;
    // A classic member commits with its generation, which is its member epoch, at any version.
    if (m->classic) return member_epoch == m->member_epoch ? ec::none : ec::illegal_generation;
    if (api_version < 9) return ec::unsupported_version;
    if (member_epoch != m->member_epoch) return ec::stale_member_epoch;
    return ec::none;
}

model::error_code consumer_group::validate_offset_fetch(std::optional<std::string_view> member_id,
                                                        std::int32_t member_epoch) const {
    if (!member_id && member_epoch < 0) return ec::none;
    auto m = member_id ? find_member(*member_id) : nullptr;
    if (!m) return ec::unknown_member_id;
    if (member_epoch != m->member_epoch) return m->classic ? ec::illegal_generation : ec::stale_member_epoch;
    return ec::none;
}

consumer_group::persisted_state consumer_group::persisted() const {
    persisted_state out;
    out.group_epoch = group_epoch_;
    out.assignment_epoch = assignment_epoch_;
    out.subscription_metadata = subscription_metadata_;
    for (const auto& [id, m] : members_) out.members.emplace(id, std::make_pair(metadata_of(m), assignment_of(m)));
    out.target = target_;
    return out;
}

std::vector<coordinator_record> consumer_group::records_since(const persisted_state& before) const {
    // Kafka's order: members that left first (assignment, target, metadata), then new member metadata,
    // the subscribed topics and the group epoch, the target assignment, and the current assignments.
    std::vector<coordinator_record> out;
    for (const auto& [id, _] : before.members) {
        if (members_.contains(id)) continue;
        out.push_back(current_assignment_tombstone(group_id_, id));
        out.push_back(target_member_tombstone(group_id_, id));
        out.push_back(member_metadata_tombstone(group_id_, id));
    }
    for (const auto& [id, _] : before.target) {
        if (!target_.contains(id) && members_.contains(id)) out.push_back(target_member_tombstone(group_id_, id));
    }
    for (const auto& [id, m] : members_) {
        auto md = metadata_of(m);
        auto it = before.members.find(id);
        if (it == before.members.end() || it->second.first != md)
            out.push_back(member_metadata_record(group_id_, id, md));
    }
    if (before.subscription_metadata != subscription_metadata_ ||
        (before.group_epoch == 0 && group_epoch_ != 0))
        out.push_back(subscription_metadata_record(group_id_, subscription_metadata_));
    if (before.group_epoch != group_epoch_) out.push_back(group_epoch_record(group_id_, group_epoch_));
    for (const auto& [id, partitions] : target_) {
        auto it = before.target.find(id);
        if (it == before.target.end() || it->second != partitions)
            out.push_back(target_member_record(group_id_, id, partitions));
    }
    if (before.assignment_epoch != assignment_epoch_)
        out.push_back(target_assignment_epoch_record(group_id_, assignment_epoch_));
    for (const auto& [id, m] : members_) {
        auto a = assignment_of(m);
        auto it = before.members.find(id);
        if (it == before.members.end() || it->second.second != a)
            out.push_back(current_assignment_record(group_id_, id, a));
    }
    return out;
}

void consumer_group::restore(const persisted_state& before, std::int64_t now_ms, std::int32_t session_timeout_ms) {
    struct timers {
        std::int64_t session_deadline_ms = 0;
        std::optional<std::int64_t> rebalance_deadline_ms;
    };
    std::map<std::string, timers, std::less<>> running;
    for (const auto& [id, m] : members_) running.emplace(id, timers{m.session_deadline_ms, m.rebalance_deadline_ms});

    // Rebuilt the way a load rebuilds it, from the records `before` stands for, so that every field
    // the records carry comes back.
    *this = consumer_group(group_id_);
    consumer_group_record r;
    r.group_id = group_id_;
    r.type = consumer_group_metadata_type;
    r.epoch = before.group_epoch;
    replay(r, now_ms, session_timeout_ms);
    r.type = consumer_group_partition_metadata_type;
    r.topics = before.subscription_metadata;
    replay(r, now_ms, session_timeout_ms);
    for (const auto& [id, saved] : before.members) {
        r.member_id = id;
        r.type = consumer_group_member_metadata_type;
        r.metadata = saved.first;
        replay(r, now_ms, session_timeout_ms);
        r.type = consumer_group_current_member_assignment_type;
        r.assignment = saved.second;
        replay(r, now_ms, session_timeout_ms);
    }
    r.type = consumer_group_target_assignment_metadata_type;
    r.epoch = before.assignment_epoch;
    replay(r, now_ms, session_timeout_ms);
    r.type = consumer_group_target_assignment_member_type;
    for (const auto& [id, partitions] : before.target) {
        r.member_id = id;
        r.partitions = partitions;
        replay(r, now_ms, session_timeout_ms);
    }

    for (auto& [id, m] : members_) {
        auto it = running.find(id);
        if (it != running.end()) m.session_deadline_ms = it->second.session_deadline_ms;
        if (m.state != member_state::unrevoked_partitions) {
            m.rebalance_deadline_ms.reset();
        } else if (it != running.end() && it->second.rebalance_deadline_ms) {
            m.rebalance_deadline_ms = it->second.rebalance_deadline_ms;
        } else {
            m.rebalance_deadline_ms = now_ms + std::max(0, m.rebalance_timeout_ms);
        }
    }
}

std::vector<coordinator_record> consumer_group::tombstones() const {
    std::vector<coordinator_record> out;
    for (const auto& [id, _] : members_) {
        out.push_back(current_assignment_tombstone(group_id_, id));
        out.push_back(target_member_tombstone(group_id_, id));
        out.push_back(member_metadata_tombstone(group_id_, id));
    }
    for (const auto& [id, _] : target_) {
        if (!members_.contains(id)) out.push_back(target_member_tombstone(group_id_, id));
    }
    out.push_back(target_assignment_epoch_tombstone(group_id_));
    out.push_back(subscription_metadata_tombstone(group_id_));
    out.push_back(group_epoch_tombstone(group_id_));
    return out;
}

void consumer_group::replay(const consumer_group_record& r, std::int64_t now_ms, std::int32_t session_timeout_ms) {
    auto member_or_new = [&](const std::string& id) {
        if (const auto* m = find_member(id)) return *m;
        consumer_member m;
        m.member_id = id;
        m.session_deadline_ms = now_ms + session_timeout_ms;
        return m;
    };
    switch (r.type) {
        case consumer_group_metadata_type:
            if (!r.tombstone) group_epoch_ = r.epoch;
            return;
        case consumer_group_partition_metadata_type:
            if (r.tombstone) {
                subscription_metadata_.clear();
            } else {
                subscription_metadata_ = r.topics;
            }
            return;
        case consumer_group_member_metadata_type: {
            if (r.tombstone) {
                auto it = members_.find(r.member_id);
                if (it == members_.end()) return;
                drop_partition_epochs(it->second);
                if (it->second.instance_id) {
                    auto s = static_members_.find(*it->second.instance_id);
                    if (s != static_members_.end() && s->second == r.member_id) static_members_.erase(s);
                }
                members_.erase(it);
                return;
            }
            consumer_member m = member_or_new(r.member_id);
            const auto& md = r.metadata;
            m.instance_id = md.instance_id;
            m.rack_id = md.rack_id;
            m.client_id = md.client_id;
            m.client_host = md.client_host;
            m.subscribed_topic_names = md.subscribed_topic_names;
            std::sort(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end());
            m.subscribed_topic_names.erase(
                std::unique(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end()),
                m.subscribed_topic_names.end());
            m.subscribed_topic_regex = md.subscribed_topic_regex;
            m.rebalance_timeout_ms = md.rebalance_timeout_ms;
            m.server_assignor = md.server_assignor;
            m.classic = md.classic;
            if (m.classic && !find_member(r.member_id)) {
                m.session_deadline_ms = now_ms + m.classic->session_timeout_ms;
            }
            set_member(std::move(m));
            return;
        }
        case consumer_group_target_assignment_metadata_type:
            if (!r.tombstone) assignment_epoch_ = r.epoch;
            return;
        case consumer_group_target_assignment_member_type:
            if (r.tombstone) {
                target_.erase(r.member_id);
            } else {
                target_.insert_or_assign(r.member_id, r.partitions);
            }
            return;
        case consumer_group_current_member_assignment_type: {
            if (r.tombstone) {
                // The member's metadata tombstone follows and removes it; until then it owns nothing.
                auto it = members_.find(r.member_id);
                if (it == members_.end()) return;
                consumer_member m = it->second;
                m.assigned.clear();
                m.pending_revocation.clear();
                set_member(std::move(m));
                return;
            }
            consumer_member m = member_or_new(r.member_id);
            m.member_epoch = r.assignment.member_epoch;
            m.previous_member_epoch = r.assignment.previous_member_epoch;
            m.state = r.assignment.state;
            m.assigned = r.assignment.assigned;
            m.pending_revocation = r.assignment.pending_revocation;
            set_member(std::move(m));
            return;
        }
        default: return;
    }
}

void consumer_group::restart_timers(std::int64_t now_ms, std::int32_t session_timeout_ms) {
    for (auto& [_, m] : members_) {
        m.session_deadline_ms = now_ms + (m.classic ? m.classic->session_timeout_ms : session_timeout_ms);
        m.join_deadline_ms.reset();
        m.sync_deadline_ms.reset();
        if (m.state == member_state::unrevoked_partitions) {
            m.rebalance_deadline_ms = now_ms + std::max(0, m.rebalance_timeout_ms);
        } else {
            m.rebalance_deadline_ms.reset();
        }
    }
}

protocol::consumer_group_describe_response::described_group consumer_group::describe(
    const topic_view& topics, const consumer_group_config& config) const {
    using resp = protocol::consumer_group_describe_response;
    auto convert = [&](const topic_partitions& in) {
        resp::assignment_type a;
        for (const auto& [topic, partitions] : in) {
            auto name = topics.name_of(topic);
            if (!name) continue;
            resp::topic_partitions_type tp;
            tp.topic_id = topic;
            tp.topic_name = *name;
            tp.partitions.assign(partitions.begin(), partitions.end());
            a.topic_partitions.push_back(std::move(tp));
        }
        return a;
    };
    resp::described_group g;
    g.group_id = group_id_;
    g.group_state = std::string(to_string(state()));
    g.group_epoch = group_epoch_;
    g.assignment_epoch = assignment_epoch_;
    g.assignor_name = std::string(preferred_assignor(config).name());
    for (const auto& [id, m] : members_) {
        resp::member out;
        out.member_id = id;
        out.instance_id = m.instance_id;
        out.rack_id = m.rack_id;
        out.member_epoch = m.member_epoch;
        out.client_id = m.client_id;
        out.client_host = m.client_host;
        out.subscribed_topic_names = m.subscribed_topic_names;
        if (!m.subscribed_topic_regex.empty()) out.subscribed_topic_regex = m.subscribed_topic_regex;
        out.assignment = convert(m.assigned);
        out.target_assignment = convert(target_assignment(id));
        out.member_type = m.classic ? 0 : 1;  // KIP-1099: 0 classic, 1 consumer protocol
        g.members.push_back(std::move(out));
    }
    return g;
}

}  // namespace tributary::groups
