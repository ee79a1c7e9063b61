#include "groups/classic_protocol.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "bytes/reader.h"
#include "groups/consumer_protocol.h"
#include "groups/embedded_protocol.h"
#include "groups/group_manager.h"
#include "protocol/wire.h"

namespace tributary::groups {
namespace {

using model::error_code;

// Java's UUID.randomUUID().toString(): what Kafka appends to a client id to make a member id.
std::string random_uuid_text() {
    auto u = model::uuid::random();
    u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x40);  // version 4
    u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);  // IETF variant
    std::string out;
    out.reserve(36);
    char hex[3];
    for (std::size_t i = 0; i < u.bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        std::snprintf(hex, sizeof hex, "%02x", u.bytes[i]);
        out.append(hex, 2);
    }
    return out;
}

bool same_protocols(const std::vector<std::pair<std::string, bytes::byte_vector>>& a,
                    const std::vector<std::pair<std::string, bytes::byte_vector>>& b) {
    return a == b;
}

}  // namespace

classic_protocol::classic_protocol(group_manager& manager) : manager_(manager) {
    manager_.add_timer_hook([this](clock::time_point now) { tick(now); });
    manager_.add_stop_hook([this] { stop(); });
}

model::error_code classic_protocol::check_group_id(const std::string& group_id, std::int32_t partition) const {
    if (group_id.empty()) return error_code::invalid_group_id;
    return manager_.partition_status(partition);
}

join_result classic_protocol::join_error(model::error_code e, std::string member_id) const {
    join_result r;
    r.error = e;
    r.generation = -1;
    r.member_id = std::move(member_id);
    r.protocol_name.reset();
    return r;
}

void classic_protocol::transition(group& g, classic_state s) {
    g.classic.state = s;
    g.classic.state_timestamp_ms = manager_.now_ms();
}

void classic_protocol::touch(classic_member& m) const {
    m.session_deadline = clock::now() + std::chrono::milliseconds(m.session_timeout_ms);
}

std::int32_t classic_protocol::rebalance_timeout_ms(const group& g) const {
    std::int32_t t = 0;
    for (const auto& [id, m] : g.classic.members) t = std::max(t, m.rebalance_timeout_ms);
    return t;
}

bool classic_protocol::has_all_members_joined(const group& g) const {
    if (!g.classic.pending_members.empty()) return false;
    return std::all_of(g.classic.members.begin(), g.classic.members.end(),
                       [](const auto& kv) { return kv.second.awaiting_join != nullptr; });
}

bool classic_protocol::supports_protocols(const group& g, const std::string& protocol_type,
                                          const std::vector<std::pair<std::string, bytes::byte_vector>>& protocols) const {
    if (protocol_type.empty() || protocols.empty()) return false;
    const auto& c = g.classic;
    if (c.state == classic_state::empty || c.members.empty()) return true;
    if (c.protocol_type != protocol_type) return false;
    for (const auto& [name, md] : protocols) {
        const bool everyone = std::all_of(c.members.begin(), c.members.end(), [&name](const auto& kv) {
            return kv.second.metadata_for(name) != nullptr;
        });
        if (everyone) return true;
    }
    return false;
}

std::string classic_protocol::select_protocol(const group& g) const {
    // Candidates: the protocols every member supports, in the order of the first member's preference.
    const auto& members = g.classic.members;
    std::vector<std::string> candidates;
    for (const auto& [name, md] : members.begin()->second.protocols) {
        const bool everyone = std::all_of(members.begin(), members.end(),
                                          [&name](const auto& kv) { return kv.second.metadata_for(name) != nullptr; });
        if (everyone) candidates.push_back(name);
    }
    // Each member votes for its most preferred candidate; the most votes win (ties: the earlier candidate).
    std::map<std::string, int> votes;
    for (const auto& [id, m] : members) {
        for (const auto& [name, md] : m.protocols) {
            if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) {
                ++votes[name];
                break;
            }
        }
    }
    std::string best;
    int best_votes = -1;
    for (const auto& name : candidates) {
        if (votes[name] > best_votes) {
            best = name;
            best_votes = votes[name];
        }
    }
    return best;
}

// ---------------------------------------------------------------------------------------------------
// JoinGroup

awaitable<join_result> classic_protocol::wait_join(std::shared_ptr<waiter<join_result>> w) {
    while (!w->done) co_await w->ready.wait();
    co_return w->result;
}

awaitable<join_result> classic_protocol::join(join_args args) {
    if (auto e = check_group_id(args.group_id, args.partition); e != error_code::none)
        co_return join_error(e, args.member_id);
    const auto& cfg = manager_.configs();
    if (args.session_timeout_ms < cfg.integer("group.min.session.timeout.ms") ||
        args.session_timeout_ms > cfg.integer("group.max.session.timeout.ms"))
        co_return join_error(error_code::invalid_session_timeout, args.member_id);
    if (args.rebalance_timeout_ms < 0) args.rebalance_timeout_ms = args.session_timeout_ms;

    group* g = manager_.find_group(args.group_id);
    if (g == nullptr) {
        if (!args.member_id.empty()) co_return join_error(error_code::unknown_member_id, args.member_id);
        g = &manager_.create_group(args.group_id, group_type::classic, args.partition);
        g->classic.state_timestamp_ms = manager_.now_ms();
    }
    if (g->type() == group_type::consumer && g->consumer && !g->consumer->is_empty()) {
        // A consumer group with members takes the member in as a classic member (KIP-848 migration).
        auto joining = manager_.consumer().classic_join(std::move(args));
        co_return co_await std::move(joining);
    }
    if (g->type() == group_type::consumer && g->consumer && g->consumer->is_empty()) {
        // An empty consumer group becomes a classic group, as in Kafka (maybeDeleteEmptyConsumerGroup):
        // its consumer group records are deleted, its committed offsets stay. The conversion happens
        // before the write so that nothing can join the consumer group in between.
        if (!args.member_id.empty()) co_return join_error(error_code::unknown_member_id, args.member_id);
        std::vector<group_record> records;
        for (auto& r : g->consumer->tombstones()) records.push_back(group_record{std::move(r.key), std::nullopt});
        spdlog::info("group {}: converting the empty consumer group to a classic group", args.group_id);
        g->consumer.reset();
        g->set_type(group_type::classic);
        g->classic = classic_group{};
        g->classic.state_timestamp_ms = manager_.now_ms();
        auto persisting = manager_.persist(args.partition, std::move(records));
        auto written = co_await std::move(persisting);
        if (written.error != error_code::none) co_return join_error(written.error, args.member_id);
        if (auto e = check_group_id(args.group_id, args.partition); e != error_code::none)
            co_return join_error(e, args.member_id);
        g = manager_.find_group(args.group_id);
        if (g == nullptr) {
            g = &manager_.create_group(args.group_id, group_type::classic, args.partition);
            g->classic.state_timestamp_ms = manager_.now_ms();
        }
    }
    if (g->type() != group_type::classic) co_return join_error(error_code::inconsistent_group_protocol, args.member_id);
    auto& c = g->classic;
    if (c.state == classic_state::dead) co_return join_error(error_code::coordinator_not_available, args.member_id);
    if (!supports_protocols(*g, args.protocol_type, args.protocols))
        co_return join_error(error_code::inconsistent_group_protocol, args.member_id);

    // group.max.size (Kafka's acceptJoiningMember).
    const auto max_size = static_cast<std::size_t>(cfg.integer("group.max.size"));
    const bool known = !args.member_id.empty() && c.has_member(args.member_id);
    bool accept = true;
    if (c.state == classic_state::preparing_rebalance) {
        std::size_t awaiting = 0;
        for (const auto& [id, m] : c.members) awaiting += m.awaiting_join != nullptr;
        accept = (known && c.members.at(args.member_id).awaiting_join) || awaiting < max_size;
    } else if (c.state == classic_state::completing_rebalance || c.state == classic_state::stable) {
        accept = known || c.members.size() < max_size;
    }
    if (!accept) co_return join_error(error_code::group_max_size_reached, args.member_id);

    std::shared_ptr<waiter<join_result>> wait;
    join_result immediate =
        args.member_id.empty() ? new_member_join(*g, args, wait) : current_member_join(*g, args, wait);
    // The last member to arrive ends the join phase (Kafka checks the DelayedJoin after every join).
    if (group* now = manager_.find_group(args.group_id); now && now->type() == group_type::classic)
        maybe_complete_join(*now);
    if (!wait) co_return immediate;
    co_return co_await wait_join(std::move(wait));
}

join_result classic_protocol::new_member_join(group& g, const join_args& args,
                                              std::shared_ptr<waiter<join_result>>& wait) {
    const std::string new_id = (args.group_instance_id ? *args.group_instance_id : args.client_id) + "-" +
                               random_uuid_text();
    if (args.group_instance_id) return static_member_join(g, args, new_id, wait);
    if (args.api_version >= 4) {
        // KIP-394: the member must come back with this id, so a client that never does costs nothing.
        g.classic.pending_members[new_id] = clock::now() + std::chrono::milliseconds(args.session_timeout_ms);
        return join_error(error_code::member_id_required, new_id);
    }
    add_member_and_rebalance(g, args, new_id, wait);
    return {};
}

join_result classic_protocol::static_member_join(group& g, const join_args& args, const std::string& new_id,
                                                 std::shared_ptr<waiter<join_result>>& wait) {
    auto& c = g.classic;
    const std::string* existing = c.static_member_id(*args.group_instance_id);
    if (existing == nullptr) {
        add_member_and_rebalance(g, args, new_id, wait);
        return {};
    }
    // A known static member restarted: it takes over its old member's place under a new id, and the old
    // id is fenced (KIP-345).
    const std::string old_id = *existing;
    const std::optional<std::string> old_leader = c.leader_id;
    auto node = c.members.extract(old_id);
    classic_member m = std::move(node.mapped());
    if (m.awaiting_join) m.awaiting_join->complete(join_error(error_code::fenced_instance_id, old_id));
    m.awaiting_join.reset();
    if (m.awaiting_sync) m.awaiting_sync->complete(sync_result{error_code::fenced_instance_id, {}, {}, {}});
    m.awaiting_sync.reset();
    const bool metadata_changed = !same_protocols(m.protocols, args.protocols);
    m.member_id = new_id;
    m.protocols = args.protocols;
    m.rebalance_timeout_ms = args.rebalance_timeout_ms;
    m.session_timeout_ms = args.session_timeout_ms;
    m.client_id = args.client_id;
    m.client_host = args.client_host;
    touch(m);
    c.static_members[*args.group_instance_id] = new_id;
    if (c.leader_id == old_id) c.leader_id = new_id;
    auto& placed = c.members.emplace(new_id, std::move(m)).first->second;

    spdlog::info("group {}: static member {} rejoined as {}", g.id(), *args.group_instance_id, new_id);
    switch (c.state) {
        case classic_state::stable: {
            const bool protocol_same = c.protocol_name && select_protocol(g) == *c.protocol_name;
            if (protocol_same && !metadata_changed) {
                // Nothing about the assignment changes: no rebalance, only the new id is stored. The
                // leader (KIP-814, v9+) gets the members and is told to skip the assignment; an older
                // client is told the old leader id, so it does not assign.
                join_result r = current_generation_answer(g, new_id, false);
                if (args.api_version >= 9 && c.leader_id == new_id) {
                    r = current_generation_answer(g, new_id, true);
                    r.skip_assignment = true;
                } else if (old_leader == old_id) {
                    r.leader = old_id;
                }
                wait = std::make_shared<waiter<join_result>>(manager_.executor());
                manager_.spawn(store_and_answer(g.id(), new_id, std::move(r), wait));
                return {};
            }
            placed.awaiting_join = wait = std::make_shared<waiter<join_result>>(manager_.executor());
            prepare_rebalance(g, "static member rejoined with a change of protocol");
            return {};
        }
        case classic_state::completing_rebalance:
            // The leader may already have been given the old id to assign to: assign again.
            placed.awaiting_join = wait = std::make_shared<waiter<join_result>>(manager_.executor());
            prepare_rebalance(g, "static member rejoined during the assignment");
            return {};
        case classic_state::preparing_rebalance:
            placed.awaiting_join = wait = std::make_shared<waiter<join_result>>(manager_.executor());
            return {};
        case classic_state::empty:
        case classic_state::dead: break;
    }
    return join_error(error_code::coordinator_not_available, new_id);
}

join_result classic_protocol::current_member_join(group& g, const join_args& args,
                                                  std::shared_ptr<waiter<join_result>>& wait) {
    auto& c = g.classic;
    const std::string& id = args.member_id;
    if (c.pending_members.contains(id) && !args.group_instance_id) {
        add_member_and_rebalance(g, args, id, wait);
        return {};
    }
    if (args.group_instance_id) {
        const std::string* existing = c.static_member_id(*args.group_instance_id);
        if (existing != nullptr && *existing != id) return join_error(error_code::fenced_instance_id, id);
    }
    auto it = c.members.find(id);
    if (it == c.members.end()) return join_error(error_code::unknown_member_id, id);
    auto& m = it->second;
    const bool matches = same_protocols(m.protocols, args.protocols);
    switch (c.state) {
        case classic_state::preparing_rebalance: update_member_and_rebalance(g, m, args, wait); return {};
        case classic_state::completing_rebalance:
            if (matches) return current_generation_answer(g, id, c.leader_id == id);
            update_member_and_rebalance(g, m, args, wait);
            return {};
        case classic_state::stable:
            if (c.leader_id == id || !matches) {
                // The leader rejoining in Stable asks for a rebalance (e.g. its metadata refresh found
                // a subscription change).
                update_member_and_rebalance(g, m, args, wait);
                return {};
            }
            return current_generation_answer(g, id, false);
        case classic_state::empty:
        case classic_state::dead: break;
    }
    return join_error(error_code::unknown_member_id, id);
}

void classic_protocol::add_member_and_rebalance(group& g, const join_args& args, const std::string& member_id,
                                                std::shared_ptr<waiter<join_result>>& wait) {
    auto& c = g.classic;
    classic_member m;
    m.member_id = member_id;
    m.group_instance_id = args.group_instance_id;
    m.client_id = args.client_id;
    m.client_host = args.client_host;
    m.rebalance_timeout_ms = args.rebalance_timeout_ms;
    m.session_timeout_ms = args.session_timeout_ms;
    m.protocol_type = args.protocol_type;
    m.protocols = args.protocols;
    m.is_new = true;
    m.session_deadline = clock::now() + new_member_join_timeout;
    m.awaiting_join = wait = std::make_shared<waiter<join_result>>(manager_.executor());
    if (args.group_instance_id) c.static_members[*args.group_instance_id] = member_id;
    c.pending_members.erase(member_id);
    if (c.members.empty()) c.protocol_type = args.protocol_type;
    if (!c.leader_id) c.leader_id = member_id;
    if (c.state == classic_state::preparing_rebalance && c.generation == 0) c.new_member_added = true;
    c.members.emplace(member_id, std::move(m));
    maybe_prepare_rebalance(g, "a new member joined");
}

void classic_protocol::update_member_and_rebalance(group& g, classic_member& m, const join_args& args,
                                                   std::shared_ptr<waiter<join_result>>& wait) {
    if (m.awaiting_join) m.awaiting_join->complete(join_error(error_code::rebalance_in_progress, m.member_id));
    m.protocols = args.protocols;
    m.rebalance_timeout_ms = args.rebalance_timeout_ms;
    m.session_timeout_ms = args.session_timeout_ms;
    m.awaiting_join = wait = std::make_shared<waiter<join_result>>(manager_.executor());
    maybe_prepare_rebalance(g, "a member rejoined");
}

join_result classic_protocol::current_generation_answer(const group& g, const std::string& member_id,
                                                        bool with_members) const {
    const auto& c = g.classic;
    join_result r;
    r.generation = c.generation;
    r.protocol_type = c.protocol_type;
    r.protocol_name = c.protocol_name;
    r.leader = c.leader_id.value_or("");
    r.member_id = member_id;
    if (with_members && c.protocol_name) {
        for (const auto& [id, m] : c.members) {
            const auto* md = m.metadata_for(*c.protocol_name);
            r.members.push_back(join_result::member{id, m.group_instance_id, md ? *md : bytes::byte_vector{}});
        }
    }
    return r;
}

// ---------------------------------------------------------------------------------------------------
// The join phase

void classic_protocol::maybe_prepare_rebalance(group& g, std::string_view reason) {
    const auto s = g.classic.state;
    if (s == classic_state::stable || s == classic_state::completing_rebalance || s == classic_state::empty)
        prepare_rebalance(g, reason);
}

void classic_protocol::prepare_rebalance(group& g, std::string_view reason) {
    auto& c = g.classic;
    if (c.state == classic_state::completing_rebalance)
        reset_and_propagate_assignment_error(g, error_code::rebalance_in_progress);
    const auto now = clock::now();
    const std::int32_t timeout = rebalance_timeout_ms(g);
    if (c.state == classic_state::empty) {
        const std::int64_t delay = manager_.configs().integer("group.initial.rebalance.delay.ms");
        c.initial_delay_active = true;
        c.new_member_added = false;
        c.initial_delay_remaining_ms = std::max<std::int64_t>(timeout - delay, 0);
        c.rebalance_deadline = now + std::chrono::milliseconds(delay);
    } else {
        c.initial_delay_active = false;
        c.rebalance_deadline = now + std::chrono::milliseconds(timeout);
    }
    spdlog::info("group {}: preparing to rebalance (generation {}): {}", g.id(), c.generation, reason);
    transition(g, classic_state::preparing_rebalance);
    maybe_complete_join(g);
}

void classic_protocol::maybe_complete_join(group& g) {
    const auto& c = g.classic;
    if (c.state == classic_state::preparing_rebalance && !c.initial_delay_active && has_all_members_joined(g))
        complete_join(g);
}

void classic_protocol::on_join_deadline(group& g, clock::time_point now) {
    auto& c = g.classic;
    if (c.initial_delay_active) {
        if (c.new_member_added && c.initial_delay_remaining_ms > 0) {
            // Members are still arriving: wait another delay, within the rebalance timeout.
            const std::int64_t delay = std::min<std::int64_t>(
                manager_.configs().integer("group.initial.rebalance.delay.ms"), c.initial_delay_remaining_ms);
            c.new_member_added = false;
            c.initial_delay_remaining_ms = std::max<std::int64_t>(c.initial_delay_remaining_ms - delay, 0);
            c.rebalance_deadline = now + std::chrono::milliseconds(delay);
            return;
        }
        c.initial_delay_active = false;
    }
    complete_join(g);
}

void classic_protocol::complete_join(group& g) {
    auto& c = g.classic;
    // Dynamic members that did not rejoin in time are out; static members keep their place.
    std::vector<std::string> gone;
    for (const auto& [id, m] : c.members)
        if (!m.awaiting_join && !m.group_instance_id) gone.push_back(id);
    for (const auto& id : gone) {
        spdlog::info("group {}: member {} did not rejoin within the rebalance timeout", g.id(), id);
        auto it = c.members.find(id);
        if (it->second.awaiting_sync) it->second.awaiting_sync->complete(sync_result{error_code::unknown_member_id, {}, {}, {}});
        c.members.erase(it);
    }
    if (c.leader_id && !c.members.contains(*c.leader_id)) c.leader_id.reset();
    // The leader must be a member that rejoined (Kafka's maybeElectNewJoinedLeader).
    if (!c.members.empty()) {
        auto leader = c.leader_id ? c.members.find(*c.leader_id) : c.members.end();
        if (leader == c.members.end() || !leader->second.awaiting_join) {
            auto joined = std::find_if(c.members.begin(), c.members.end(),
                                       [](const auto& kv) { return kv.second.awaiting_join != nullptr; });
            if (joined == c.members.end()) {
                // Only static members that have not rejoined: wait another rebalance timeout for them
                // to come back or for their sessions to expire.
                c.rebalance_deadline = clock::now() + std::chrono::milliseconds(rebalance_timeout_ms(g));
                return;
            }
            c.leader_id = joined->first;
        }
    }
    ++c.generation;
    if (c.members.empty()) {
        c.protocol_name.reset();
        c.leader_id.reset();
        transition(g, classic_state::empty);
        spdlog::info("group {}: generation {} is empty", g.id(), c.generation);
        store_group_in_background(g);
        return;
    }
    c.protocol_name = select_protocol(g);
    transition(g, classic_state::completing_rebalance);
    spdlog::info("group {}: generation {} with {} member(s), protocol {}, leader {}", g.id(), c.generation,
                 c.members.size(), *c.protocol_name, *c.leader_id);
    for (auto& [id, m] : c.members) {
        join_result r = current_generation_answer(g, id, c.leader_id == id);
        if (m.awaiting_join) {
            m.awaiting_join->complete(std::move(r));
            m.awaiting_join.reset();
        }
        touch(m);
        m.is_new = false;
    }
}

void classic_protocol::reset_and_propagate_assignment_error(group& g, model::error_code e) {
    for (auto& [id, m] : g.classic.members) {
        m.assignment.clear();
        if (m.awaiting_sync) {
            m.awaiting_sync->complete(sync_result{e, {}, {}, {}});
            m.awaiting_sync.reset();
        }
    }
}

void classic_protocol::propagate_assignment(group& g) {
    const auto& c = g.classic;
    for (auto& [id, m] : g.classic.members) {
        if (m.awaiting_sync) {
            m.awaiting_sync->complete(sync_result{error_code::none, c.protocol_type, c.protocol_name, m.assignment});
            m.awaiting_sync.reset();
        }
        touch(m);
    }
}

void classic_protocol::remove_pending_member(group& g, const std::string& member_id) {
    g.classic.pending_members.erase(member_id);
    maybe_complete_join(g);
}

void classic_protocol::remove_member(group& g, const std::string& member_id, std::string_view reason) {
    auto& c = g.classic;
    auto it = c.members.find(member_id);
    if (it == c.members.end()) return;
    spdlog::info("group {}: removing member {}: {}", g.id(), member_id, reason);
    auto& m = it->second;
    if (m.awaiting_join) m.awaiting_join->complete(join_error(error_code::unknown_member_id, member_id));
    if (m.awaiting_sync) m.awaiting_sync->complete(sync_result{error_code::unknown_member_id, {}, {}, {}});
    if (m.group_instance_id) {
        auto s = c.static_members.find(*m.group_instance_id);
        if (s != c.static_members.end() && s->second == member_id) c.static_members.erase(s);
    }
    c.members.erase(it);
    c.pending_members.erase(member_id);
    if (c.leader_id == member_id) {
        if (c.members.empty())
            c.leader_id.reset();
        else
            c.leader_id = c.members.begin()->first;
    }
    switch (c.state) {
        case classic_state::stable:
        case classic_state::completing_rebalance: maybe_prepare_rebalance(g, reason); break;
        case classic_state::preparing_rebalance: maybe_complete_join(g); break;
        case classic_state::empty:
        case classic_state::dead: break;
    }
}

// ---------------------------------------------------------------------------------------------------
// SyncGroup

awaitable<sync_result> classic_protocol::sync(sync_args args) {
    auto fail = [](error_code e) { return sync_result{e, {}, {}, {}}; };
    if (auto e = check_group_id(args.group_id, args.partition); e != error_code::none) co_return fail(e);
    group* g = manager_.find_group(args.group_id);
    if (g != nullptr && g->type() == group_type::consumer && g->consumer) co_return manager_.consumer().classic_sync(args);
    if (g == nullptr || g->type() != group_type::classic) co_return fail(error_code::unknown_member_id);
    auto& c = g->classic;
    if (c.state == classic_state::dead) co_return fail(error_code::coordinator_not_available);
    if (args.group_instance_id) {
        const std::string* existing = c.static_member_id(*args.group_instance_id);
        if (existing != nullptr && *existing != args.member_id) co_return fail(error_code::fenced_instance_id);
    }
    auto it = c.members.find(args.member_id);
    if (it == c.members.end()) co_return fail(error_code::unknown_member_id);
    if (args.generation != c.generation) co_return fail(error_code::illegal_generation);
    if ((args.protocol_type && c.protocol_type != *args.protocol_type) ||
        (args.protocol_name && c.protocol_name != *args.protocol_name))
        co_return fail(error_code::inconsistent_group_protocol);

    switch (c.state) {
        case classic_state::empty:
        case classic_state::dead: co_return fail(error_code::unknown_member_id);
        case classic_state::preparing_rebalance: co_return fail(error_code::rebalance_in_progress);
        case classic_state::stable: {
            touch(it->second);
            co_return sync_result{error_code::none, c.protocol_type, c.protocol_name, it->second.assignment};
        }
        case classic_state::completing_rebalance: break;
    }

    auto& m = it->second;
    if (m.awaiting_sync) m.awaiting_sync->complete(fail(error_code::rebalance_in_progress));
    auto wait = std::make_shared<waiter<sync_result>>(manager_.executor());
    m.awaiting_sync = wait;
    if (c.leader_id == args.member_id) {
        // The leader's assignment: members it left out get an empty one. Stored first, then handed out.
        std::map<std::string, bytes::byte_vector> assignment;
        for (auto& [id, a] : args.assignments)
            if (c.members.contains(id)) assignment[id] = std::move(a);
        for (const auto& [id, member] : c.members) assignment.try_emplace(id);
        const std::int32_t generation = c.generation;
        auto storing = store_group_with(args.group_id, assignment);
        const auto e = co_await std::move(storing);
        group* now = manager_.find_group(args.group_id);
        if (now != nullptr && now->type() == group_type::classic && now->classic.generation == generation &&
            now->classic.state == classic_state::completing_rebalance) {
            if (e != error_code::none) {
                reset_and_propagate_assignment_error(*now, e);
                maybe_prepare_rebalance(*now, "the group's assignment could not be stored");
            } else {
                for (auto& [id, member] : now->classic.members) member.assignment = assignment[id];
                propagate_assignment(*now);
                transition(*now, classic_state::stable);
                spdlog::info("group {}: generation {} is stable", now->id(), generation);
            }
        }
    }
    while (!wait->done) co_await wait->ready.wait();
    co_return wait->result;
}

// ---------------------------------------------------------------------------------------------------
// Heartbeat and LeaveGroup

model::error_code classic_protocol::heartbeat(const heartbeat_args& args) {
    if (auto e = check_group_id(args.group_id, args.partition); e != error_code::none) return e;
    group* g = manager_.find_group(args.group_id);
    if (g != nullptr && g->type() == group_type::consumer && g->consumer) return manager_.consumer().classic_heartbeat(args);
    if (g == nullptr || g->type() != group_type::classic) return error_code::unknown_member_id;
    auto& c = g->classic;
    if (c.state == classic_state::dead) return error_code::coordinator_not_available;
    if (args.group_instance_id) {
        const std::string* existing = c.static_member_id(*args.group_instance_id);
        if (existing != nullptr && *existing != args.member_id) return error_code::fenced_instance_id;
    }
    auto it = c.members.find(args.member_id);
    if (it == c.members.end()) return error_code::unknown_member_id;
    if (args.generation != c.generation) return error_code::illegal_generation;
    switch (c.state) {
        case classic_state::empty:
        case classic_state::dead: return error_code::unknown_member_id;
        case classic_state::completing_rebalance:
        case classic_state::stable: touch(it->second); return error_code::none;
        case classic_state::preparing_rebalance: touch(it->second); return error_code::rebalance_in_progress;
    }
    return error_code::none;
}

awaitable<leave_result> classic_protocol::leave(std::string group_id, std::int32_t partition,
                                                std::vector<leaving_member> members) {
    leave_result out;
    if (auto e = check_group_id(group_id, partition); e != error_code::none) {
        out.error = e;
        co_return out;
    }
    group* g = manager_.find_group(group_id);
    if (g != nullptr && g->type() == group_type::consumer && g->consumer) {
        auto leaving = manager_.consumer().classic_leave(std::move(group_id), partition, std::move(members));
        co_return co_await std::move(leaving);
    }
    if (g == nullptr || g->type() != group_type::classic) {
        out.members.assign(members.size(), error_code::unknown_member_id);
        co_return out;
    }
    if (g->dead()) {
        out.error = error_code::coordinator_not_available;
        co_return out;
    }
    for (const auto& leaving : members) {
        auto& c = g->classic;
        error_code e = error_code::none;
        if (leaving.member_id.empty()) {
            // KIP-345 administrative removal by instance id.
            const std::string* id = leaving.group_instance_id ? c.static_member_id(*leaving.group_instance_id) : nullptr;
            if (id == nullptr) {
                e = error_code::unknown_member_id;
            } else {
                const std::string member = *id;
                remove_member(*g, member, "removed by an administrator");
            }
        } else if (c.pending_members.contains(leaving.member_id)) {
            remove_pending_member(*g, leaving.member_id);
        } else {
            const std::string* existing =
                leaving.group_instance_id ? c.static_member_id(*leaving.group_instance_id) : nullptr;
            if (existing != nullptr && *existing != leaving.member_id)
                e = error_code::fenced_instance_id;
            else if (!c.has_member(leaving.member_id))
                e = error_code::unknown_member_id;
            else
                remove_member(*g, leaving.member_id, "the member left the group");
        }
        out.members.push_back(e);
    }
    co_return out;
}

// ---------------------------------------------------------------------------------------------------
// KIP-848 online migration

void classic_protocol::abandon_requests(group& g, model::error_code e) {
    for (auto& [id, m] : g.classic.members) {
        if (m.awaiting_join) m.awaiting_join->complete(join_error(e, id));
        if (m.awaiting_sync) m.awaiting_sync->complete(sync_result{e, {}, {}, {}});
        m.awaiting_join.reset();
        m.awaiting_sync.reset();
    }
}

group_record classic_protocol::adopt_consumer_members(group& g, std::int32_t generation,
                                                      const std::vector<classic_member_snapshot>& members) {
    auto& c = g.classic;
    c = classic_group{};
    c.generation = generation;
    c.protocol_type = "consumer";
    for (const auto& in : members) {
        classic_member m;
        m.member_id = in.member_id;
        m.group_instance_id = in.instance_id;
        m.client_id = in.client_id;
        m.client_host = in.client_host;
        m.rebalance_timeout_ms = in.rebalance_timeout_ms;
        m.session_timeout_ms = in.session_timeout_ms;
        m.protocol_type = "consumer";
        m.protocols = in.protocols;
        touch(m);
        if (m.group_instance_id) c.static_members[*m.group_instance_id] = m.member_id;
        if (!c.leader_id) c.leader_id = m.member_id;
        c.members.emplace(m.member_id, std::move(m));
    }
    transition(g, classic_state::stable);
    if (!c.members.empty()) {
        c.protocol_name = select_protocol(g);
        // Each member's target assignment, in the version of its subscription for the chosen protocol.
        for (const auto& in : members) {
            auto& m = c.members.at(in.member_id);
            const auto* md = m.metadata_for(*c.protocol_name);
            m.assignment = encode_embedded_assignment(in.target, md ? embedded_version(*md) : 0);
        }
    }
    group_record record{encode_group_metadata_key(g.id()), encode_group_metadata_value(metadata_value(g, nullptr))};
    spdlog::info("group {}: downgraded to a classic group at generation {} with {} member(s)", g.id(), generation,
                 c.members.size());
    if (!c.members.empty()) prepare_rebalance(g, "the group was downgraded from a consumer group to a classic group");
    return record;
}

// ---------------------------------------------------------------------------------------------------
// Persistence, timers, shutdown

group_metadata_value classic_protocol::metadata_value(const group& g,
                                                      const std::map<std::string, bytes::byte_vector>* assignment) const {
    const auto& c = g.classic;
    group_metadata_value v;
    v.protocol_type = c.protocol_type.value_or("");
    v.generation = c.generation;
    v.protocol = c.protocol_name;
    v.leader = c.leader_id;
    v.current_state_timestamp = c.state_timestamp_ms;
    for (const auto& [id, m] : c.members) {
        group_metadata_value::member_metadata out;
        out.member_id = id;
        out.group_instance_id = m.group_instance_id;
        out.client_id = m.client_id;
        out.client_host = m.client_host;
        out.rebalance_timeout = m.rebalance_timeout_ms;
        out.session_timeout = m.session_timeout_ms;
        if (c.protocol_name)
            if (const auto* md = m.metadata_for(*c.protocol_name)) out.subscription = *md;
        if (assignment != nullptr) {
            auto a = assignment->find(id);
            if (a != assignment->end()) out.assignment = a->second;
        } else {
            out.assignment = m.assignment;
        }
        v.members.push_back(std::move(out));
    }
    return v;
}

awaitable<model::error_code> classic_protocol::store_group_with(std::string group_id,
                                                                std::map<std::string, bytes::byte_vector> assignment) {
    group* g = manager_.find_group(group_id);
    if (g == nullptr || g->type() != group_type::classic) co_return error_code::coordinator_not_available;
    std::vector<group_record> records;
    records.push_back(group_record{encode_group_metadata_key(group_id),
                                   encode_group_metadata_value(metadata_value(*g, &assignment))});
    auto persisting = manager_.persist(g->partition(), std::move(records));
    auto done = co_await std::move(persisting);
    co_return done.error;
}

awaitable<model::error_code> classic_protocol::store_group(std::string group_id) {
    group* g = manager_.find_group(group_id);
    if (g == nullptr || g->type() != group_type::classic) co_return error_code::coordinator_not_available;
    std::vector<group_record> records;
    records.push_back(group_record{encode_group_metadata_key(group_id),
                                   encode_group_metadata_value(metadata_value(*g, nullptr))});
    auto persisting = manager_.persist(g->partition(), std::move(records));
    auto done = co_await std::move(persisting);
    co_return done.error;
}

awaitable<void> classic_protocol::store_and_answer(std::string group_id, std::string member_id, join_result answer,
                                                   std::shared_ptr<waiter<join_result>> w) {
    auto storing = store_group(group_id);
    auto e = co_await std::move(storing);
    w->complete(e == error_code::none ? std::move(answer) : join_error(e, member_id));
}

awaitable<void> classic_protocol::store_empty_group(std::string group_id) {
    auto storing = store_group(group_id);
    auto e = co_await std::move(storing);
    if (e != error_code::none)
        spdlog::warn("group {}: could not store the empty group: {}", group_id, model::error_name(e));
}

void classic_protocol::store_group_in_background(const group& g) { manager_.spawn(store_empty_group(g.id())); }

void classic_protocol::tick(clock::time_point now) {
    // partition_status() may forget a deleted partition's groups, so it is not called while iterating.
    std::vector<std::string> ids;
    for (const auto& [id, g] : manager_.groups())
        if (g->type() == group_type::classic) ids.push_back(id);
    for (const auto& id : ids) {
        group* g = manager_.find_group(id);
        if (g == nullptr || g->type() != group_type::classic) continue;
        if (manager_.partition_status(g->partition()) != error_code::none) continue;
        g = manager_.find_group(id);
        if (g == nullptr || g->type() != group_type::classic) continue;
        auto& c = g->classic;
        std::vector<std::string> lapsed;
        for (const auto& [mid, deadline] : c.pending_members)
            if (now >= deadline) lapsed.push_back(mid);
        for (const auto& mid : lapsed) remove_pending_member(*g, mid);
        std::vector<std::string> expired;
        for (const auto& [mid, m] : c.members) {
            const bool exempt = !m.is_new && (m.awaiting_join || m.awaiting_sync);
            if (!exempt && now >= m.session_deadline) expired.push_back(mid);
        }
        for (const auto& mid : expired) {
            g = manager_.find_group(id);
            if (g == nullptr) break;
            remove_member(*g, mid, "its session timed out");
        }
        g = manager_.find_group(id);
        if (g && g->classic.state == classic_state::preparing_rebalance && now >= g->classic.rebalance_deadline)
            on_join_deadline(*g, now);
    }
}

void classic_protocol::stop() {
    for (const auto& [id, g] : manager_.groups()) {
        if (g->type() != group_type::classic) continue;
        for (auto& [mid, m] : g->classic.members) {
            if (m.awaiting_join) m.awaiting_join->complete(join_error(error_code::not_coordinator, mid));
            if (m.awaiting_sync) m.awaiting_sync->complete(sync_result{error_code::not_coordinator, {}, {}, {}});
            m.awaiting_join.reset();
            m.awaiting_sync.reset();
        }
    }
}

std::optional<std::vector<std::string>> consumer_subscription_topics(bytes::bytes_view metadata) {
    // ConsumerProtocolSubscription: version:int16, then (v0-3, not flexible) topics:[string], ...
    bytes::reader r(metadata);
    const std::int16_t version = r.read_int16();
    if (!r.ok() || version < 0) return std::nullopt;
    const std::int32_t count = r.read_int32();
    if (!r.ok() || count < 0 || !r.check_count(static_cast<std::uint64_t>(count), 2)) return std::nullopt;
    std::vector<std::string> topics;
    for (std::int32_t i = 0; i < count; ++i) {
        auto t = protocol::wire::read_string(r, false);
        if (!r.ok()) return std::nullopt;
        topics.push_back(std::move(t));
    }
    return topics;
}

}  // namespace tributary::groups
