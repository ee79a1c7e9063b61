// KIP-848 online migration between classic groups and consumer groups, on the coordinator's side: the
// upgrade on a consumer-protocol join, the classic APIs of a consumer group's classic members, and the
// downgrade when the last consumer-protocol member goes (consumer_protocol.h). The group state
// machine's side is consumer_group_classic.cc.
//
// Durability: the upgrade writes, in one batch, the classic group's GroupMetadata tombstone and the
// consumer group's records (members with their ClassicMemberMetadata); the downgrade the consumer
// group's tombstones and the classic group's GroupMetadata. Committed offsets stay with the group.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "groups/consumer_group_entry.h"
#include "groups/consumer_protocol.h"
#include "groups/group_manager.h"
#include "groups/group_records.h"

namespace tributary::groups {
namespace {

using ec = model::error_code;
using hb_response = protocol::consumer_group_heartbeat_response;

hb_response error(ec code, std::string message) {
    return heartbeat_error_response(heartbeat_error{code, std::move(message)});
}

void append_records(std::vector<group_record>& out, std::vector<coordinator_record> in) {
    for (auto& r : in) out.push_back(group_record{std::move(r.key), std::move(r.value)});
}

// What a failed write is answered with (as the heartbeat answers it).
ec write_error(ec e) {
    return e == ec::not_coordinator ? ec::not_coordinator : ec::coordinator_not_available;
}

}  // namespace

awaitable<hb_response> consumer_protocol::upgrade_and_join(const protocol::consumer_group_heartbeat_request& req,
                                                           std::int16_t api_version, std::int32_t partition,
                                                           std::string client_id, std::string client_host) {
    group* g = manager_.find_group(req.group_id);
    auto refuse = [&](std::string_view why) {
        spdlog::info("group {}: cannot upgrade the classic group to a consumer group: {}", req.group_id, why);
        return error(ec::group_id_not_found, fmt::format("Group {} is not a consumer group", req.group_id));
    };
    if (!upgrade_enabled(config_.migration)) co_return refuse("the online upgrade is disabled");
    const auto& c = g->classic;
    const std::int32_t generation = c.generation;
    if (c.protocol_type != "consumer") co_return refuse("the group does not use the consumer embedded protocol");
    if (static_cast<std::int64_t>(c.members.size()) > config_.max_size)
        co_return refuse("the group is larger than group.consumer.max.size");

    // The consumer group is built aside: the classic group stays as it is unless the join succeeds.
    std::vector<classic_member_snapshot> members;
    for (const auto& [id, m] : c.members) {
        classic_member_snapshot s;
        s.member_id = id;
        s.instance_id = m.group_instance_id;
        s.client_id = m.client_id;
        s.client_host = m.client_host;  // "/host", as JoinGroup's handler gives it
        s.rebalance_timeout_ms = m.rebalance_timeout_ms;
        s.session_timeout_ms = m.session_timeout_ms;
        s.protocols = m.protocols;
        // The group's protocol; a group still in its first join phase has none yet: the member's first.
        const bytes::byte_vector* md = c.protocol_name ? m.metadata_for(*c.protocol_name) : nullptr;
        if (md == nullptr && !m.protocols.empty()) md = &m.protocols.front().second;
        if (md != nullptr) s.subscription = *md;
        s.assignment = m.assignment;
        members.push_back(std::move(s));
    }
    auto entry = new_consumer_group_entry(req.group_id);
    consumer_group& built = consumer_group_of(*entry);
    auto view = topics();
    heartbeat_context ctx;
    ctx.api_version = api_version;
    ctx.client_id = std::move(client_id);
    ctx.client_host = "/" + client_host;
    ctx.now_ms = monotonic_ms();
    if (auto bad = built.adopt_classic_members(generation, members, view, ctx.now_ms)) {
        spdlog::warn("group {}: cannot upgrade: {}", req.group_id, *bad);
        co_return error(ec::group_id_not_found,
                        fmt::format("Cannot upgrade the classic group {} to consumer group because the embedded "
                                    "consumer protocol is malformed.",
                                    req.group_id));
    }
    auto resp = built.heartbeat(req, ctx, view, config_);
    if (resp.error_code != 0) co_return resp;

    // The join succeeded: the classic group's waiting requests are told to rejoin (they will find a
    // consumer group), and the group changes type.
    manager_.classic().abandon_requests(*g, ec::rebalance_in_progress);
    std::vector<group_record> records;
    records.push_back(group_record{encode_group_metadata_key(req.group_id), std::nullopt});
    append_records(records, built.records_since(consumer_group::persisted_state{}));
    classic_group classic_before = std::move(g->classic);
    g->classic = classic_group{};
    g->set_type(group_type::consumer);
    g->consumer = entry;
    spdlog::info("group {}: upgraded from a classic group (generation {}, {} member(s)) to a consumer group; "
                 "epoch {}",
                 req.group_id, generation, members.size(), built.group_epoch());
    auto persisting = manager_.persist(partition, std::move(records));
    auto written = co_await std::move(persisting);
    if (written.error != ec::none) {
        // Undone, as Kafka reverts a failed batch: the group is the classic group it was (the changes
        // made to the consumer group meanwhile failed behind this write and go with it).
        spdlog::warn("group {}: upgrade not written ({}); the group stays classic", req.group_id,
                     model::error_name(written.error));
        g = manager_.find_group(req.group_id);
        if (g != nullptr && g->consumer == entry) {
            g->consumer.reset();
            g->set_type(group_type::classic);
            g->classic = std::move(classic_before);
        }
        co_return error(write_error(written.error), {});
    }
    co_return resp;
}

bool consumer_protocol::should_downgrade(const consumer_group& cg, std::string_view leaving) const {
    if (!cg.all_classic_except(leaving) || cg.members().size() <= 1) return false;
    if (!downgrade_enabled(config_.migration)) {
        spdlog::info("group {}: not downgraded to a classic group: the online downgrade is disabled", cg.group_id());
        return false;
    }
    const auto max_size = manager_.configs().integer("group.max.size");
    if (static_cast<std::int64_t>(cg.members().size() - 1) > max_size) {
        spdlog::info("group {}: not downgraded to a classic group: more members than group.max.size", cg.group_id());
        return false;
    }
    return true;
}

std::vector<group_record> consumer_protocol::downgrade(group& g, std::string_view leaving) {
    auto& cg = consumer_group_of(g);
    auto view = topics();
    auto members = cg.classic_members_except(leaving, view);
    const std::int32_t generation = cg.group_epoch();
    std::vector<group_record> records;
    append_records(records, cg.tombstones());
    g.consumer.reset();
    g.set_type(group_type::classic);
    records.push_back(manager_.classic().adopt_consumer_members(g, generation, members));
    return records;
}

awaitable<hb_response> consumer_protocol::downgrade_on_leave(const protocol::consumer_group_heartbeat_request& req,
                                                             std::int32_t partition) {
    group* g = manager_.find_group(req.group_id);
    spdlog::info("group {}: member {} left; only classic members remain", req.group_id, req.member_id);
    auto records = downgrade(*g, req.member_id);
    hb_response resp;
    resp.member_id = req.member_id;
    resp.member_epoch = req.member_epoch;
    auto persisting = manager_.persist(partition, std::move(records));
    auto written = co_await std::move(persisting);
    if (written.error != ec::none) {
        spdlog::warn("group {}: downgrade not written ({})", req.group_id, model::error_name(written.error));
        co_return error(write_error(written.error), {});
    }
    co_return resp;
}

// ---------------------------------------------------------------------------------------------------
// The classic APIs on a consumer group

awaitable<join_result> consumer_protocol::classic_join(join_args args) {
    auto fail = [&](ec e) {
        join_result r;
        r.error = e;
        r.generation = -1;
        r.member_id = args.member_id;
        return r;
    };
    group* g = manager_.find_group(args.group_id);
    if (g == nullptr || g->type() != group_type::consumer || !g->consumer) co_return fail(ec::unknown_member_id);
    auto& cg = consumer_group_of(*g);
    const bool unknown = args.member_id.empty();
    const std::string member_id = unknown ? model::uuid::random().to_string() : args.member_id;
    if (!cg.supports_classic_protocols(args.protocol_type, args.protocols)) co_return fail(ec::inconsistent_group_protocol);
    if (unknown && !args.group_instance_id && args.api_version >= 4) {
        // The member must come back with this id (KIP-394); nothing is kept until it does.
        join_result r = fail(ec::member_id_required);
        r.member_id = member_id;
        co_return r;
    }
    classic_join_request req;
    req.member_id = member_id;
    req.instance_id = args.group_instance_id;
    req.session_timeout_ms = args.session_timeout_ms;
    req.rebalance_timeout_ms = args.rebalance_timeout_ms;
    req.protocol_type = args.protocol_type;
    req.protocols = args.protocols;
    heartbeat_context ctx;
    ctx.api_version = args.api_version;
    ctx.client_id = args.client_id;
    ctx.client_host = args.client_host;  // already "/host"
    ctx.now_ms = monotonic_ms();
    auto view = topics();
    auto before = cg.persisted();
    const auto epoch_before = cg.group_epoch();
    auto out = cg.classic_join(req, ctx, view, config_);
    if (out.error.code != ec::none) co_return fail(out.error.code);
    if (cg.group_epoch() != epoch_before) {
        spdlog::info("group {}: epoch {} ({} members, {}; classic member {} joined)", args.group_id, cg.group_epoch(),
                     cg.members().size(), to_string(cg.state()), member_id);
    }
    join_result r;
    r.generation = out.generation;
    r.protocol_type = "consumer";
    r.protocol_name = out.protocol_name;
    r.member_id = member_id;
    // Answered once durable; a write that fails is undone, as for a heartbeat.
    auto writing = write_change(args.group_id, args.partition, std::move(before), std::nullopt);
    const ec written = co_await std::move(writing);
    if (written != ec::none) {
        spdlog::warn("group {}: classic join not written ({}); undone", args.group_id, model::error_name(written));
        co_return fail(write_error(written));
    }
    co_return r;
}

sync_result consumer_protocol::classic_sync(const sync_args& args) {
    group* g = manager_.find_group(args.group_id);
    if (g == nullptr || g->type() != group_type::consumer || !g->consumer)
        return sync_result{ec::unknown_member_id, {}, {}, {}};
    auto view = topics();
    auto out = consumer_group_of(*g).classic_sync(args.member_id, args.group_instance_id, args.generation,
                                            args.protocol_type, args.protocol_name, monotonic_ms(), view);
    if (out.error.code != ec::none) return sync_result{out.error.code, {}, {}, {}};
    return sync_result{ec::none, std::string("consumer"), out.protocol_name, std::move(out.assignment)};
}

model::error_code consumer_protocol::classic_heartbeat(const heartbeat_args& args) {
    group* g = manager_.find_group(args.group_id);
    if (g == nullptr || g->type() != group_type::consumer || !g->consumer) return ec::unknown_member_id;
    return consumer_group_of(*g).classic_heartbeat(args.member_id, args.group_instance_id, args.generation, monotonic_ms());
}

awaitable<leave_result> consumer_protocol::classic_leave(std::string group_id, std::int32_t partition,
                                                         std::vector<leaving_member> members) {
    leave_result out;
    group* g = manager_.find_group(group_id);
    if (g == nullptr || g->type() != group_type::consumer || !g->consumer) {
        out.members.assign(members.size(), ec::unknown_member_id);
        co_return out;
    }
    auto& cg = consumer_group_of(*g);
    auto view = topics();
    auto before = cg.persisted();
    for (const auto& m : members) {
        const auto e = cg.classic_leave(m.member_id, m.group_instance_id, view);
        if (e == ec::none) spdlog::info("group {}: classic member {} left; epoch {}", group_id, m.member_id, cg.group_epoch());
        out.members.push_back(e);
    }
    auto writing = write_change(group_id, partition, std::move(before), std::nullopt);
    const ec written = co_await std::move(writing);
    if (written != ec::none) {
        spdlog::warn("group {}: classic leave not written ({}); undone", group_id, model::error_name(written));
        out.error = write_error(written);
        out.members.clear();
    }
    co_return out;
}

}  // namespace tributary::groups
