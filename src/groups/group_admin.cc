#include "groups/group_admin.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "groups/classic_protocol.h"

namespace tributary::groups {
namespace {

using model::error_code;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string state_of(const group& g) {
    if (g.type() == group_type::consumer && g.consumer) return std::string(g.consumer->state_name());
    return std::string(to_string(g.classic.state));
}

bool is_empty(const group& g) {
    if (g.type() == group_type::consumer) return g.consumer == nullptr || g.consumer->is_empty();
    return g.classic.state == classic_state::empty;
}

}  // namespace

list_groups_result list_groups(group_manager& m, const std::vector<std::string>& states,
                               const std::vector<std::string>& types) {
    list_groups_result out;
    // partition_status() may forget a deleted partition's groups: ask it outside any walk of groups().
    std::set<std::int32_t> partitions;
    for (const auto& [id, g] : m.groups()) partitions.insert(g->partition());
    std::map<std::int32_t, error_code> status;
    for (auto partition : partitions) {
        const error_code e = m.partition_status(partition);
        status[partition] = e;
        if (e == error_code::coordinator_load_in_progress) out.error = e;
    }
    std::set<std::string> state_filter, type_filter;
    for (const auto& s : states) state_filter.insert(lower(s));
    for (const auto& t : types) type_filter.insert(lower(t));
    for (const auto& [id, g] : m.groups()) {
        const auto known = status.find(g->partition());
        if (g->dead() || known == status.end() || known->second != error_code::none) continue;
        listed_group l;
        l.group_id = id;
        l.type = g->type();
        l.state = state_of(*g);
        l.protocol_type = g->type() == group_type::consumer ? "consumer" : g->classic.protocol_type.value_or("");
        if (!state_filter.empty() && !state_filter.contains(lower(l.state))) continue;
        if (!type_filter.empty() && !type_filter.contains(std::string(to_string(l.type)))) continue;
        out.groups.push_back(std::move(l));
    }
    return out;
}

described_group describe_group(group_manager& m, const std::string& group_id, std::int32_t partition,
                               std::int16_t api_version) {
    described_group out;
    if (auto e = m.partition_status(partition); e != error_code::none) {
        out.error = e;
        return out;
    }
    group* g = m.find_group(group_id);
    auto dead = [&](std::string message) {
        out.state = "Dead";
        if (api_version >= 6) {
            out.error = error_code::group_id_not_found;
            out.error_message = std::move(message);
        }
        return out;
    };
    if (g == nullptr || g->dead()) return dead("Group " + group_id + " not found.");
    if (g->type() != group_type::classic) return dead("Group " + group_id + " is not a classic group.");
    const auto& c = g->classic;
    out.state = std::string(to_string(c.state));
    out.protocol_type = c.protocol_type.value_or("");
    const bool stable = c.state == classic_state::stable && c.protocol_name;
    out.protocol_data = stable ? *c.protocol_name : "";
    for (const auto& [id, member] : c.members) {
        described_member d;
        d.member_id = id;
        d.group_instance_id = member.group_instance_id;
        d.client_id = member.client_id;
        d.client_host = member.client_host;
        if (stable) {
            if (const auto* md = member.metadata_for(*c.protocol_name)) d.metadata = *md;
            d.assignment = member.assignment;
        }
        out.members.push_back(std::move(d));
    }
    return out;
}

awaitable<model::error_code> delete_group(group_manager& m, std::string group_id, std::int32_t partition) {
    if (group_id.empty()) co_return error_code::invalid_group_id;
    if (auto e = m.partition_status(partition); e != error_code::none) co_return e;
    group* g = m.find_group(group_id);
    if (g == nullptr || g->dead()) co_return error_code::group_id_not_found;
    if (!is_empty(*g)) co_return error_code::non_empty_group;
    std::vector<group_record> records;
    for (const auto& [tp, o] : g->offsets)
        records.push_back(group_record{encode_offset_commit_key(group_id, tp.topic, tp.partition), std::nullopt});
    records.push_back(group_record{encode_group_metadata_key(group_id), std::nullopt});
    if (g->type() == group_type::consumer && g->consumer) {
        // A consumer group's own records (it has no members: only the group-level ones are left).
        for (auto& r : g->consumer->tombstones()) records.push_back(group_record{std::move(r.key), std::nullopt});
    }
    auto persisting = m.persist(g->partition(), std::move(records));
    auto done = co_await std::move(persisting);
    if (done.error != error_code::none) co_return done.error;
    g = m.find_group(group_id);
    if (g != nullptr && is_empty(*g)) m.remove_group(group_id);
    co_return error_code::none;
}

awaitable<offset_delete_result> delete_group_offsets(group_manager& m, std::string group_id, std::int32_t partition,
                                                     std::vector<model::topic_partition> partitions) {
    offset_delete_result out;
    if (group_id.empty()) {
        out.error = error_code::invalid_group_id;
        co_return out;
    }
    if (auto e = m.partition_status(partition); e != error_code::none) {
        out.error = e;
        co_return out;
    }
    group* g = m.find_group(group_id);
    if (g == nullptr || g->dead()) {
        out.error = error_code::group_id_not_found;
        co_return out;
    }
    // Which topics the group consumes now.
    std::set<std::string> subscribed;
    bool check_subscriptions = false;
    if (g->type() == group_type::consumer) {
        check_subscriptions = !is_empty(*g);
    } else if (g->classic.state != classic_state::empty) {
        if (g->classic.protocol_type != "consumer") {
            out.error = error_code::non_empty_group;
            co_return out;
        }
        check_subscriptions = true;
        for (const auto& [id, member] : g->classic.members) {
            const bytes::byte_vector* md =
                g->classic.protocol_name ? member.metadata_for(*g->classic.protocol_name) : nullptr;
            if (md == nullptr && !member.protocols.empty()) md = &member.protocols.front().second;
            if (md == nullptr) continue;
            if (auto topics = consumer_subscription_topics(*md))
                subscribed.insert(topics->begin(), topics->end());
        }
    }
    out.partitions.assign(partitions.size(), error_code::none);
    std::vector<model::topic_partition> deletable;
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        const auto& tp = partitions[i];
        const bool in_use = check_subscriptions && (g->type() == group_type::consumer
                                                        ? g->consumer && g->consumer->is_subscribed_to(tp.topic)
                                                        : subscribed.contains(tp.topic));
        if (in_use)
            out.partitions[i] = error_code::group_subscribed_to_topic;
        else
            deletable.push_back(tp);
    }
    if (!deletable.empty()) {
        auto deleting = m.delete_offsets(*g, std::move(deletable));
        if (auto e = co_await std::move(deleting); e != error_code::none) {
            out.error = e;
            out.partitions.clear();
        }
    }
    co_return out;
}

}  // namespace tributary::groups
