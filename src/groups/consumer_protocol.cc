#include "groups/consumer_protocol.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>

#include "groups/consumer_group_entry.h"
#include "groups/consumer_group_records.h"
#include "groups/group_manager.h"

namespace tributary::groups {
namespace {

using ec = model::error_code;

// What a group_manager's group holds for a consumer group: the state machine, seen through the
// interface the code shared by both protocols uses (ListGroups, DeleteGroups, OffsetDelete, expiry).
class consumer_group_entry final : public consumer_group_state {
public:
    explicit consumer_group_entry(std::string id) : group(std::move(id)) {}
    std::string_view state_name() const override { return to_string(group.state()); }
    bool is_empty() const override { return group.members().empty(); }
    bool is_subscribed_to(std::string_view topic) const override { return group.is_subscribed_to(topic); }
    std::vector<coordinator_record> tombstones() const override { return group.tombstones(); }

    consumer_group group;

    // The writes of this group's changes whose outcome is not known yet, oldest first, each with the
    // group as it was before its change (write_change).
    struct pending_write {
        std::uint64_t id = 0;
        consumer_group::persisted_state before;
        std::optional<classic_group> converted_from;  // the empty classic group this change converted
    };
    std::deque<pending_write> pending;
    std::uint64_t next_write = 0;
};

consumer_group& consumer_of(group& g) {
    return static_cast<consumer_group_entry&>(*g.consumer).group;
}

protocol::consumer_group_heartbeat_response error(ec code, std::string message) {
    return heartbeat_error_response(heartbeat_error{code, std::move(message)});
}

std::vector<group_record> to_group_records(std::vector<coordinator_record> in) {
    std::vector<group_record> out;
    out.reserve(in.size());
    for (auto& r : in) out.push_back(group_record{std::move(r.key), std::move(r.value)});
    return out;
}

// Makes `g` a consumer group (a new entry, or the conversion of a classic group).
consumer_group& make_consumer(group& g) {
    if (g.type() != group_type::consumer || !g.consumer) {
        g.set_type(group_type::consumer);
        g.consumer = std::make_shared<consumer_group_entry>(g.id());
    }
    return consumer_of(g);
}

}  // namespace

// The consumer group inside a group's entry, for the migration code (consumer_group_entry.h).
consumer_group& consumer_group_of(group& g) {
    return consumer_of(g);
}

consumer_group& consumer_group_of(consumer_group_state& entry) {
    return static_cast<consumer_group_entry&>(entry).group;
}

std::shared_ptr<consumer_group_state> new_consumer_group_entry(std::string id) {
    return std::make_shared<consumer_group_entry>(std::move(id));
}

std::int64_t monotonic_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count();
}

std::int64_t table_topic_view::version() const {
    return table_->version();
}

std::optional<topic_info> table_topic_view::find(std::string_view name) const {
    const auto* t = table_->find(name);
    if (!t) return std::nullopt;
    return topic_info{t->id, t->partition_count()};
}

std::optional<std::string> table_topic_view::name_of(const model::uuid& id) const {
    const auto* t = table_->find(id);
    if (!t) return std::nullopt;
    return t->name;
}

void table_topic_view::for_each(const std::function<void(const std::string&, const topic_info&)>& fn) const {
    for (const auto& [name, t] : table_->topics()) fn(name, topic_info{t->id, t->partition_count()});
}

consumer_protocol::consumer_protocol(group_manager& manager, const cluster::metadata_cache& metadata,
                                     consumer_group_config config)
    : manager_(manager), metadata_(metadata), config_(std::move(config)) {
    manager_.add_timer_hook([this](clock::time_point now) {
        expire(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    });
    manager_.validate_consumer_commit = [](group& g, const std::string& member_id, std::int32_t member_epoch,
                                           std::int16_t api_version) {
        return consumer_of(g).validate_offset_commit(member_id, member_epoch, api_version);
    };
    manager_.validate_consumer_fetch = [](group& g, const std::optional<std::string>& member_id,
                                          std::int32_t member_epoch) {
        std::optional<std::string_view> id;
        if (member_id) id = *member_id;
        return consumer_of(g).validate_offset_fetch(id, member_epoch);
    };
    manager_.replay_consumer_record = [this](group_manager&, std::int32_t partition, const record_key& key,
                                             std::optional<bytes::bytes_view> value) {
        replay(partition, key, value);
    };
    manager_.add_loaded_hook([this](std::int32_t partition) { loaded(partition); });
}

void consumer_protocol::replay(std::int32_t partition, const record_key& key, std::optional<bytes::bytes_view> value) {
    std::string err;
    auto r = decode_consumer_group_record(key.type, key.body, value, err);
    if (!r) {
        spdlog::warn("{}-{}: skipping consumer group record of group {}: {}", "__consumer_offsets", partition,
                     key.group, err);
        return;
    }
    group* g = manager_.find_group(r->group_id);
    if (r->type == consumer_group_metadata_type && r->tombstone) {
        // The group was deleted (its other tombstones came first); offsets written later stay.
        if (g && g->type() == group_type::consumer) {
            if (g->offsets.empty()) {
                manager_.remove_group(r->group_id);
            } else {
                g->consumer.reset();
                g->set_type(group_type::classic);
                g->classic = classic_group{};
            }
        }
        return;
    }
    if (r->tombstone && (!g || g->type() != group_type::consumer)) return;
    if (!g) g = &manager_.create_group(r->group_id, group_type::consumer, partition);
    // A classic group's record read earlier (offsets, or the group before an upgrade): it is a
    // consumer group from here on.
    auto& cg = make_consumer(*g);
    cg.replay(*r, monotonic_ms(), config_.session_timeout_ms);
}

void consumer_protocol::loaded(std::int32_t partition) {
    const auto now = monotonic_ms();
    for (const auto& [id, g] : manager_.groups()) {
        if (g->partition() != partition || g->type() != group_type::consumer || !g->consumer) continue;
        auto& cg = consumer_of(*g);
        cg.restart_timers(now, config_.session_timeout_ms);
        if (!cg.members().empty())
            spdlog::info("group {}: loaded at epoch {} with {} member(s)", id, cg.group_epoch(), cg.members().size());
    }
}

table_topic_view consumer_protocol::topics() const {
    return table_topic_view(metadata_.topics(manager_.shard()));
}

awaitable<protocol::consumer_group_heartbeat_response> consumer_protocol::heartbeat(
    const protocol::consumer_group_heartbeat_request& req, std::int16_t api_version, std::int32_t partition,
    std::string client_id, std::string client_host) {
    if (auto err = validate_heartbeat(req, api_version, config_)) co_return heartbeat_error_response(*err);
    if (auto status = manager_.partition_status(partition); status != ec::none) {
        co_return error(status, {});
    }
    const bool joining = req.member_epoch == join_group_member_epoch;
    const bool leaving =
        req.member_epoch == leave_group_member_epoch || req.member_epoch == leave_group_static_member_epoch;

    group* g = manager_.find_group(req.group_id);
    std::optional<classic_group> converted_from;
    if (g && g->type() == group_type::classic) {
        if (!g->classic.members.empty()) {
            if (!joining) {
                co_return error(ec::group_id_not_found,
                                fmt::format("Group {} is not a consumer group.", req.group_id));
            }
            // KIP-848 online upgrade (consumer_migration.cc).
            auto upgrading = upgrade_and_join(req, api_version, partition, std::move(client_id), std::move(client_host));
            co_return co_await std::move(upgrading);
        }
        if (joining) {
            // An empty classic group becomes a consumer group (its committed offsets stay).
            spdlog::info("group {}: converting the empty classic group to a consumer group", req.group_id);
            converted_from = g->classic;
            make_consumer(*g);
        } else {
            // Only committed offsets are known: as if there were no group, so the member is told to
            // rejoin.
            g = nullptr;
        }
    }
    if (!g) {
        if (leaving) co_return error(ec::group_id_not_found, fmt::format("Group {} not found.", req.group_id));
        if (!joining) {
            // The group is gone (its records were deleted, e.g. with the whole __consumer_offsets):
            // the member must rejoin. Kafka answers GROUP_ID_NOT_FOUND, fatal for clients
            // (docs/compatibility.md).
            co_return error(ec::unknown_member_id,
                         fmt::format("Member {} is not a member of group {}.", req.member_id, req.group_id));
        }
        g = &manager_.create_group(req.group_id, group_type::consumer, partition);
        make_consumer(*g);
    }

    auto& cg = consumer_of(*g);
    if (req.member_epoch == leave_group_member_epoch && should_downgrade(cg, req.member_id)) {
        // The last consumer-protocol member leaves a group of classic members: it becomes classic.
        const auto* leaving = cg.find_member(req.member_id);
        if (!req.instance_id || leaving->instance_id == req.instance_id) {
            auto downgrading = downgrade_on_leave(req, partition);
            co_return co_await std::move(downgrading);
        }
    }
    auto before = cg.persisted();
    heartbeat_context ctx;
    ctx.api_version = api_version;
    ctx.client_id = std::move(client_id);
    ctx.client_host = "/" + client_host;
    ctx.now_ms = monotonic_ms();
    const auto epoch_before = cg.group_epoch();
    auto view = topics();
    auto resp = cg.heartbeat(req, ctx, view, config_);
    if (resp.error_code == 0 && cg.group_epoch() != epoch_before) {
        spdlog::info("group {}: epoch {} ({} members, {})", req.group_id, cg.group_epoch(),
                     cg.members().size(), to_string(cg.state()));
    }
    // A first join that failed leaves nothing behind.
    if (cg.members().empty() && cg.group_epoch() == 0 && g->offsets.empty()) {
        manager_.remove_group(req.group_id);
        co_return resp;
    }
    // Answered once the change is durable, as Kafka answers after its records are committed; a
    // heartbeat that changed nothing writes nothing.
    auto writing = write_change(req.group_id, partition, std::move(before), std::move(converted_from));
    const ec written = co_await std::move(writing);
    if (written != ec::none) {
        spdlog::warn("group {}: heartbeat state not written ({}); the group is back to its state before it",
                     req.group_id, model::error_name(written));
        co_return error(written == ec::not_coordinator ? ec::not_coordinator : ec::coordinator_not_available, {});
    }
    co_return resp;
}

awaitable<model::error_code> consumer_protocol::write_change(std::string group_id, std::int32_t partition,
                                                             consumer_group::persisted_state before,
                                                             std::optional<classic_group> converted_from) {
    group* g = manager_.find_group(group_id);
    if (g == nullptr || g->type() != group_type::consumer || !g->consumer) co_return ec::none;
    // Holds the entry across the write: the group may be deleted or replaced meanwhile.
    const std::shared_ptr<consumer_group_state> held = g->consumer;
    auto& entry = static_cast<consumer_group_entry&>(*held);
    auto records = to_group_records(entry.group.records_since(before));
    if (records.empty()) co_return ec::none;
    const std::uint64_t id = entry.next_write++;
    entry.pending.push_back(consumer_group_entry::pending_write{id, std::move(before), std::move(converted_from)});
    auto persisting = manager_.persist(partition, std::move(records));
    auto written = co_await std::move(persisting);

    auto it = std::find_if(entry.pending.begin(), entry.pending.end(),
                           [id](const auto& w) { return w.id == id; });
    if (it == entry.pending.end()) {
        // An earlier write of the group failed and undid this change with its own (the log fails the
        // appends queued behind a failed one, so this one failed too).
        co_return written.error == ec::none ? ec::coordinator_not_available : written.error;
    }
    if (written.error == ec::none) {
        entry.pending.erase(it);
        co_return ec::none;
    }
    // Kafka's CoordinatorRuntime reverts to the state before a failed batch and fails the batch's
    // requests: the group goes back to its state before this change, and the changes made after it
    // (which built on it, and whose writes fail behind this one) go with it.
    consumer_group_entry::pending_write undo = std::move(*it);
    entry.pending.erase(it, entry.pending.end());
    g = manager_.find_group(group_id);
    if (g != nullptr && g->consumer == held) {
        entry.group.restore(undo.before, monotonic_ms(), config_.session_timeout_ms);
        if (undo.converted_from) {
            g->consumer.reset();
            g->set_type(group_type::classic);
            g->classic = std::move(*undo.converted_from);
        } else if (entry.group.members().empty() && entry.group.group_epoch() == 0 && g->offsets.empty()) {
            manager_.remove_group(group_id);  // the first join: nothing was there before it
        }
    }
    co_return written.error;
}

protocol::consumer_group_describe_response::described_group consumer_protocol::describe(
    const std::string& group_id, std::int32_t partition) {
    protocol::consumer_group_describe_response::described_group out;
    out.group_id = group_id;
    if (auto status = manager_.partition_status(partition); status != ec::none) {
        out.error_code = model::to_int(status);
        return out;
    }
    group* g = manager_.find_group(group_id);
    if (!g) {
        out.error_code = model::to_int(ec::group_id_not_found);
        out.error_message = fmt::format("Group {} not found.", group_id);
        return out;
    }
    if (g->type() != group_type::consumer) {
        out.error_code = model::to_int(ec::group_id_not_found);
        out.error_message = fmt::format("Group {} is not a consumer group.", group_id);
        return out;
    }
    auto view = topics();
    return consumer_of(*g).describe(view, config_);
}

void consumer_protocol::expire(std::int64_t now_ms) {
    if (expiring_) return;
    bool due = false;
    for (const auto& [id, g] : manager_.groups()) {
        if (g->type() != group_type::consumer || !g->consumer) continue;
        auto next = consumer_of(*g).next_deadline();
        if (next && *next <= now_ms) {
            due = true;
            break;
        }
    }
    if (!due) return;
    // Fencing changes the group, and its records must be appended right after the change (nothing in
    // between may write the same keys): a task does both, one group after the other.
    expiring_ = true;
    manager_.spawn(expire_due());
}

awaitable<void> consumer_protocol::expire_due() {
    struct done_guard {
        bool& flag;
        ~done_guard() { flag = false; }
    } done{expiring_};
    const auto now_ms = monotonic_ms();
    std::vector<std::string> due;
    for (const auto& [id, g] : manager_.groups()) {
        if (g->type() != group_type::consumer || !g->consumer) continue;
        auto next = consumer_of(*g).next_deadline();
        if (next && *next <= now_ms) due.push_back(id);
    }
    for (const auto& id : due) {
        group* g = manager_.find_group(id);
        if (g == nullptr || g->type() != group_type::consumer || !g->consumer) continue;
        // Members of a partition still loading get their sessions when the load completes.
        if (manager_.partition_status(g->partition()) != ec::none) continue;
        auto& cg = consumer_of(*g);
        auto view = topics();
        const std::vector<std::string> leaving = cg.due_members(now_ms);
        if (leaving.size() == 1 && should_downgrade(cg, leaving.front())) {
            // The last consumer-protocol member is fenced and classic members remain (KIP-848 downgrade).
            spdlog::info("group {}: member {} fenced (session or rebalance timeout)", id, leaving.front());
            auto records = downgrade(*g, leaving.front());
            auto downgrading = manager_.persist(g->partition(), std::move(records));
            auto written = co_await std::move(downgrading);
            if (written.error != ec::none)
                spdlog::warn("group {}: downgrade not written ({})", id, model::error_name(written.error));
            continue;
        }
        auto before = cg.persisted();
        for (const auto& member : cg.expire(now_ms, view)) {
            spdlog::info("group {}: member {} fenced (session or rebalance timeout); epoch {}", id, member,
                         cg.group_epoch());
        }
        // A fence that cannot be written is undone: the members get a new session and are fenced
        // again when it ends.
        auto writing = write_change(id, g->partition(), std::move(before), std::nullopt);
        const ec written = co_await std::move(writing);
        if (written != ec::none)
            spdlog::warn("group {}: fenced members not written ({}); they stay", id, model::error_name(written));
    }
}

}  // namespace tributary::groups
