#include "groups/group_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "cluster/topic_name.h"
#include "groups/classic_protocol.h"
#include "groups/consumer_group_config.h"
#include "groups/consumer_protocol.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_reader.h"

namespace tributary::groups {
namespace {

using model::error_code;

constexpr auto tick_interval = std::chrono::milliseconds(100);
constexpr std::size_t load_read_bytes = 1 << 20;

// Kafka's mapping of append failures for coordinator writes (GroupMetadataManager / CoordinatorRuntime):
// the client retries elsewhere or later.
error_code append_error(storage::storage_error e) {
    switch (e) {
        case storage::storage_error::message_too_large:
        case storage::storage_error::record_list_too_large: return error_code::invalid_commit_offset_size;
        case storage::storage_error::log_closed:
        case storage::storage_error::truncated:
        case storage::storage_error::not_leader: return error_code::not_coordinator;
        default: return error_code::coordinator_not_available;
    }
}

}  // namespace

group_manager::group_manager(unsigned shard, cluster::partition_manager& pm, const cluster::metadata_cache& metadata,
                             asio::any_io_executor executor)
    : shard_(shard), pm_(pm), metadata_(metadata), executor_(executor), timer_(executor), idle_(executor) {
    classic_ = std::make_unique<classic_protocol>(*this);
    // group.consumer.* are static configs, checked at start-up (app/config_file.cc).
    consumer_group_config consumer_config;
    if (auto e = load_consumer_group_config(configs().static_props, consumer_config)) {
        spdlog::error("consumer group configs: {}; using the defaults", *e);
        consumer_config = consumer_group_config{};
    }
    consumer_ = std::make_unique<consumer_protocol>(*this, metadata, std::move(consumer_config));
}

group_manager::~group_manager() = default;

const cluster::broker_config_layers& group_manager::configs() const {
    return metadata_.topics(shard_)->broker_configs();
}

std::int64_t group_manager::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void group_manager::start() {
    for (const auto& [tp, p] : pm_.partitions())
        if (tp.topic == cluster::consumer_offsets_topic) (void)partition_status(tp.partition);
    timer_running_ = true;
    // As Kafka schedules its first cleanup one interval after a coordinator loads.
    next_retention_check_ =
        clock::now() + std::chrono::milliseconds(configs().integer("offsets.retention.check.interval.ms"));
    asio::co_spawn(executor_, timer_loop(), asio::detached);
}

awaitable<void> group_manager::stop() {
    stopped_ = true;
    for (auto& hook : stop_hooks_) hook();
    timer_.cancel();
    while (timer_running_ || loads_in_flight_ > 0 || tasks_in_flight_ > 0) co_await idle_.wait();
}

void group_manager::spawn(awaitable<void> work) {
    ++tasks_in_flight_;
    asio::co_spawn(executor_, run_task(std::move(work)), asio::detached);
}

awaitable<void> group_manager::run_task(awaitable<void> work) {
    try {
        co_await std::move(work);
    } catch (const std::exception& e) {
        spdlog::error("group coordinator (shard {}): background task failed: {}", shard_, e.what());
    }
    --tasks_in_flight_;
    if (stopped_) idle_.notify();
}

model::error_code group_manager::partition_status(std::int32_t partition) {
    if (stopped_) return error_code::not_coordinator;
    auto p = pm_.get(cluster::consumer_offsets_topic, partition);
    auto it = partitions_.find(partition);
    if (p == nullptr) {
        // The topic is being created (or was deleted): its groups are not here.
        if (it != partitions_.end() && it->second.state == load_state::loaded) forget_partition(partition);
        return error_code::coordinator_not_available;
    }
    if (!p->leads()) {
        // A replica of a replicated partition that another broker leads: its groups are coordinated there.
        if (it != partitions_.end() && it->second.state == load_state::loaded) forget_partition(partition);
        return error_code::not_coordinator;
    }
    if (it != partitions_.end() && it->second.partition != p) {
        // The topic was deleted and created again: what we loaded belongs to the old one.
        if (it->second.state == load_state::loading) return error_code::coordinator_load_in_progress;
        forget_partition(partition);
        it = partitions_.end();
    }
    if (it == partitions_.end()) {
        partitions_[partition] = partition_entry{load_state::loading, p};
        ++loads_in_flight_;
        asio::co_spawn(executor_, load(partition, p), asio::detached);
        return error_code::coordinator_load_in_progress;
    }
    return it->second.state == load_state::loaded ? error_code::none : error_code::coordinator_load_in_progress;
}

void group_manager::forget_partition(std::int32_t partition) {
    partitions_.erase(partition);
    for (auto it = groups_.begin(); it != groups_.end();) {
        if (it->second->partition() == partition)
            it = groups_.erase(it);
        else
            ++it;
    }
}

awaitable<void> group_manager::load(std::int32_t partition, std::shared_ptr<cluster::partition> p) {
    const auto started = clock::now();
    model::offset next = p->log_start_offset();
    std::size_t records = 0;
    std::string failure;
    protocol::record_reader reader;
    while (!stopped_ && next < p->log_end_offset()) {
        auto read = co_await p->read(next, load_read_bytes, cluster::read_bound::log_end);
        if (!read) {
            failure = std::string(storage::to_string(read.error()));
            break;
        }
        if (read->records.empty()) break;
        protocol::batch_iterator batches(read->records);
        while (batches.next()) {
            const auto& h = batches.header();
            if (h.is_control()) continue;  // transaction markers: no transactional offsets yet
            if (auto e = reader.open(batches.batch()); e != protocol::batch_error::none) {
                failure = "batch at offset " + std::to_string(h.base_offset.value()) + ": " +
                          std::string(protocol::to_string(e));
                break;
            }
            while (reader.next()) {
                const auto& r = reader.record();
                if (!r.key) continue;
                std::string error;
                auto key = decode_record_key(*r.key, error);
                if (!key) {
                    spdlog::warn("{}-{}: skipping record at offset {}: {}", cluster::consumer_offsets_topic,
                                 partition, r.offset.value(), error);
                    continue;
                }
                replay(partition, r.offset, *key, r.value);
                ++records;
            }
            if (reader.error() != protocol::batch_error::none) {
                failure = "records at offset " + std::to_string(h.base_offset.value()) + ": " +
                          std::string(protocol::to_string(reader.error()));
                break;
            }
        }
        if (!failure.empty()) break;
        if (batches.error() != protocol::batch_error::none) {
            failure = std::string(protocol::to_string(batches.error()));
            break;
        }
        if (read->next_offset <= next) break;
        next = read->next_offset;
    }
    --loads_in_flight_;
    auto it = partitions_.find(partition);
    if (it != partitions_.end() && it->second.partition == p && !stopped_) {
        if (failure.empty()) {
            it->second.state = load_state::loaded;
            // Members of loaded groups get a fresh session: their heartbeats resume now.
            const auto now = clock::now();
            for (auto& [id, g] : groups_) {
                if (g->partition() != partition || g->type() != group_type::classic) continue;
                for (auto& [mid, m] : g->classic.members)
                    m.session_deadline = now + std::chrono::milliseconds(m.session_timeout_ms);
            }
            for (auto& hook : loaded_hooks_) hook(partition);
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count();
            spdlog::info("{}-{}: loaded {} record(s) in {} ms", cluster::consumer_offsets_topic, partition, records,
                         ms);
        } else {
            // Answering from a partial state could hand out stale offsets: stay unavailable.
            spdlog::error("{}-{}: cannot load group metadata: {}", cluster::consumer_offsets_topic, partition,
                          failure);
            forget_partition(partition);
        }
    }
    if (stopped_) idle_.notify();
}

void group_manager::replay(std::int32_t partition, model::offset offset, const record_key& key,
                           std::optional<bytes::bytes_view> value) {
    std::string error;
    if (key.is_offset_commit()) {
        model::topic_partition tp{key.topic, key.partition};
        group* g = find_group(key.group);
        if (!value) {
            if (g) g->offsets.erase(tp);
            return;
        }
        auto v = decode_offset_commit_value(*value, error);
        if (!v) {
            spdlog::warn("{}-{}: skipping offset commit at {}: {}", cluster::consumer_offsets_topic, partition,
                         offset.value(), error);
            return;
        }
        // An offset commit without group metadata is a simple group's (Kafka creates it likewise).
        if (!g) g = &create_group(key.group, group_type::classic, partition);
        g->offsets[tp] = committed_offset{*v, offset};
    } else if (key.is_group_metadata()) {
        group* g = find_group(key.group);
        if (!value) {
            // Deleted (their offsets' tombstones came first), or converted into a consumer group
            // (KIP-848 upgrade: the consumer group's records follow), which keeps its offsets.
            if (g && g->type() == group_type::classic) {
                if (g->offsets.empty()) {
                    remove_group(key.group);
                } else {
                    g->classic = classic_group{};
                }
            }
            return;
        }
        auto v = decode_group_metadata_value(*value, error);
        if (!v) {
            spdlog::warn("{}-{}: skipping group metadata at {}: {}", cluster::consumer_offsets_topic, partition,
                         offset.value(), error);
            return;
        }
        if (!g) g = &create_group(key.group, group_type::classic, partition);
        if (g->type() != group_type::classic) {
            // A classic group written after a consumer group of the same id: the type changed.
            g->consumer.reset();
            g->set_type(group_type::classic);
        }
        auto& c = g->classic;
        c = classic_group{};
        c.generation = v->generation;
        if (!v->protocol_type.empty()) c.protocol_type = v->protocol_type;
        c.protocol_name = v->protocol;
        c.leader_id = v->leader;
        c.state_timestamp_ms = v->current_state_timestamp;
        for (auto& m : v->members) {
            classic_member member;
            member.member_id = m.member_id;
            member.group_instance_id = m.group_instance_id;
            member.client_id = m.client_id;
            member.client_host = m.client_host;
            member.rebalance_timeout_ms = m.rebalance_timeout;
            member.session_timeout_ms = m.session_timeout;
            member.protocol_type = v->protocol_type;
            if (v->protocol) member.protocols.emplace_back(*v->protocol, m.subscription);
            member.assignment = m.assignment;
            if (m.group_instance_id) c.static_members[*m.group_instance_id] = m.member_id;
            c.members.emplace(m.member_id, std::move(member));
        }
        c.state = c.members.empty() ? classic_state::empty : classic_state::stable;
    } else if (key.type >= first_consumer_group_key_version) {
        if (replay_consumer_record)
            replay_consumer_record(*this, partition, key, value);
        else
            spdlog::warn("{}-{}: record type {} at {} is not known to this version; skipped",
                         cluster::consumer_offsets_topic, partition, key.type, offset.value());
    }
}

group* group_manager::find_group(std::string_view id) {
    auto it = groups_.find(id);
    return it == groups_.end() ? nullptr : it->second.get();
}

group& group_manager::create_group(const std::string& id, group_type type, std::int32_t partition) {
    auto [it, inserted] = groups_.emplace(id, std::make_unique<group>(id, type, partition));
    return *it->second;
}

void group_manager::remove_group(const std::string& id) {
    auto it = groups_.find(id);
    if (it == groups_.end()) return;
    // A request may still hold the group across a co_await: it learns from dead() that it is gone.
    it->second->set_type(group_type::classic);
    it->second->classic.state = classic_state::dead;
    groups_.erase(it);
}

awaitable<persist_result> group_manager::persist(std::int32_t partition, std::vector<group_record> records) {
    persist_result out;
    auto p = pm_.get(cluster::consumer_offsets_topic, partition);
    if (p == nullptr || stopped_) {
        out.error = error_code::not_coordinator;
        co_return out;
    }
    if (records.empty()) co_return out;
    protocol::record_batch_builder builder;
    const std::int64_t now = now_ms();
    for (const auto& r : records) {
        std::optional<bytes::bytes_view> value;
        if (r.value) value = bytes::bytes_view(*r.value);
        builder.add(now, bytes::bytes_view(r.key), value);
    }
    auto batch = builder.build();
    if (!batch) {
        out.error = error_code::unknown_server_error;
        co_return out;
    }
    if (batch->size() > static_cast<std::size_t>(p->config().max_message_bytes)) {
        out.error = error_code::invalid_commit_offset_size;
        co_return out;
    }
    auto appended = co_await p->replicate(bytes::mutable_bytes_view(*batch),
                                          {.acks_all = true, .origin = storage::append_origin::client});
    if (!appended) {
        spdlog::warn("{}-{}: group metadata write failed: {}", cluster::consumer_offsets_topic, partition,
                     storage::to_string(appended.error()));
        out.error = append_error(appended.error());
        co_return out;
    }
    out.first_offset = appended->base_offset;
    co_return out;
}

model::error_code group_manager::validate_classic_commit(group* g, const offset_commit_args& args) const {
    // Kafka's ClassicGroup.validateOffsetCommit.
    const auto& c = g->classic;
    if (c.state == classic_state::dead) return error_code::coordinator_not_available;
    if (args.generation_or_member_epoch < 0 && c.state == classic_state::empty) return error_code::none;
    if (args.generation_or_member_epoch >= 0 || !args.member_id.empty() || args.group_instance_id) {
        if (args.group_instance_id) {
            const std::string* existing = c.static_member_id(*args.group_instance_id);
            if (existing == nullptr) return error_code::unknown_member_id;
            if (*existing != args.member_id) return error_code::fenced_instance_id;
        } else if (!c.has_member(args.member_id)) {
            return error_code::unknown_member_id;
        }
        if (args.generation_or_member_epoch != c.generation) return error_code::illegal_generation;
    } else if (c.state != classic_state::empty) {
        return error_code::unknown_member_id;
    }
    if (c.state == classic_state::completing_rebalance) return error_code::rebalance_in_progress;
    return error_code::none;
}

awaitable<std::vector<model::error_code>> group_manager::commit_offsets(offset_commit_args args) {
    std::vector<error_code> results(args.entries.size(), error_code::none);
    auto fail_all = [&](error_code e) {
        std::fill(results.begin(), results.end(), e);
        return results;
    };
    if (args.entries.empty()) co_return results;

    group* g = find_group(args.group_id);
    const std::int32_t partition = g ? g->partition() : -1;
    bool created = false;
    if (g == nullptr) {
        if (args.generation_or_member_epoch >= 0)
            co_return fail_all(args.api_version >= 9 ? error_code::group_id_not_found : error_code::illegal_generation);
        // A commit from outside group management (the admin client, an assign()ing consumer): a
        // so-called simple group, created on demand.
        created = true;
    } else if (g->type() == group_type::consumer) {
        error_code e = validate_consumer_commit
                           ? validate_consumer_commit(*g, args.member_id, args.generation_or_member_epoch,
                                                      args.api_version)
                           : error_code::unknown_member_id;
        if (e != error_code::none) co_return fail_all(e);
    } else if (auto e = validate_classic_commit(g, args); e != error_code::none) {
        co_return fail_all(e);
    }

    const std::int64_t max_metadata = configs().integer("offset.metadata.max.bytes");
    const std::int64_t now = now_ms();
    std::vector<group_record> records;
    std::vector<std::size_t> written;  // entry index of each record
    std::vector<offset_commit_value> values;
    for (std::size_t i = 0; i < args.entries.size(); ++i) {
        const auto& e = args.entries[i];
        const std::string metadata = e.metadata.value_or("");
        if (static_cast<std::int64_t>(metadata.size()) > max_metadata) {
            results[i] = error_code::offset_metadata_too_large;
            continue;
        }
        offset_commit_value v;
        v.offset = e.offset;
        v.leader_epoch = e.leader_epoch;
        v.metadata = metadata;
        v.commit_timestamp = now;
        if (args.retention_time_ms >= 0) v.expire_timestamp = now + args.retention_time_ms;
        records.push_back(group_record{encode_offset_commit_key(args.group_id, e.tp.topic, e.tp.partition),
                                       encode_offset_commit_value(v)});
        written.push_back(i);
        values.push_back(std::move(v));
    }
    if (records.empty()) co_return results;

    const std::int32_t target = g ? partition : args.partition;
    auto persisting = persist(target, std::move(records));
    auto done = co_await std::move(persisting);
    if (done.error != error_code::none) {
        for (auto i : written) results[i] = done.error;
        co_return results;
    }
    // The group may have been created (a simple group) or deleted meanwhile: look it up again.
    g = find_group(args.group_id);
    if (g == nullptr) g = &create_group(args.group_id, group_type::classic, target);
    for (std::size_t k = 0; k < written.size(); ++k) {
        const model::offset at(done.first_offset.value() + static_cast<std::int64_t>(k));
        auto& slot = g->offsets[args.entries[written[k]].tp];
        if (slot.record_offset < at) slot = committed_offset{std::move(values[k]), at};
    }
    (void)created;
    co_return results;
}

offset_fetch_result group_manager::fetch_offsets(const offset_fetch_args& args) {
    offset_fetch_result out;
    group* g = find_group(args.group_id);
    if (g != nullptr && g->type() == group_type::consumer && validate_consumer_fetch) {
        out.error = validate_consumer_fetch(*g, args.member_id, args.member_epoch);
        if (out.error != error_code::none) return out;
    } else if (g != nullptr && g->dead()) {
        g = nullptr;
    } else if (g == nullptr && args.member_id && args.member_epoch >= 0) {
        // A KIP-848 member asking about a group that does not exist (Kafka: GROUP_ID_NOT_FOUND).
        out.error = error_code::group_id_not_found;
        return out;
    }
    if (!args.partitions) {
        if (g == nullptr) return out;
        for (const auto& [tp, c] : g->offsets) {
            fetched_offset f;
            f.tp = tp;
            f.offset = c.value.offset;
            f.leader_epoch = c.value.leader_epoch;
            f.metadata = c.value.metadata;
            out.offsets.push_back(std::move(f));
        }
        return out;
    }
    for (const auto& tp : *args.partitions) {
        fetched_offset f;
        f.tp = tp;
        f.metadata = "";
        if (g != nullptr) {
            if (auto it = g->offsets.find(tp); it != g->offsets.end()) {
                f.offset = it->second.value.offset;
                f.leader_epoch = it->second.value.leader_epoch;
                f.metadata = it->second.value.metadata;
            }
        }
        out.offsets.push_back(std::move(f));
    }
    return out;
}

awaitable<model::error_code> group_manager::delete_offsets(group& g, std::vector<model::topic_partition> tps) {
    std::vector<group_record> records;
    std::vector<model::topic_partition> present;
    for (auto& tp : tps) {
        if (!g.offsets.contains(tp)) continue;
        records.push_back(group_record{encode_offset_commit_key(g.id(), tp.topic, tp.partition), std::nullopt});
        present.push_back(std::move(tp));
    }
    if (records.empty()) co_return error_code::none;
    const std::string id = g.id();
    auto persisting = persist(g.partition(), std::move(records));
    auto done = co_await std::move(persisting);
    if (done.error != error_code::none) co_return done.error;
    if (group* now = find_group(id)) {
        for (std::size_t k = 0; k < present.size(); ++k) {
            // A commit that landed after the tombstone stays.
            auto it = now->offsets.find(present[k]);
            const model::offset at(done.first_offset.value() + static_cast<std::int64_t>(k));
            if (it != now->offsets.end() && it->second.record_offset < at) now->offsets.erase(it);
        }
    }
    co_return error_code::none;
}

std::int64_t group_manager::offsets_retention_ms() const {
    const std::int64_t testing = configs().integer("tributary.test.offsets.retention.ms");
    if (testing >= 0) return testing;
    return configs().integer("offsets.retention.minutes") * 60'000;
}

namespace {

// The topics the members of a Stable classic consumer group subscribe to (Kafka's
// ClassicGroup.computeSubscribedTopics), or nullopt when the coordinator cannot tell: no protocol
// chosen, or a member's metadata does not parse as a ConsumerProtocolSubscription.
std::optional<std::set<std::string, std::less<>>> classic_subscribed_topics(const classic_group& c) {
    if (!c.protocol_name) return std::nullopt;
    std::set<std::string, std::less<>> out;
    for (const auto& [id, m] : c.members) {
        const bytes::byte_vector* md = m.metadata_for(*c.protocol_name);
        if (md == nullptr) return std::nullopt;
        auto topics = consumer_subscription_topics(*md);
        if (!topics) return std::nullopt;
        out.insert(topics->begin(), topics->end());
    }
    return out;
}

// No members: DeleteGroups may delete it, and expiry does once its offsets are gone (Kafka's
// Group.isEmpty).
bool has_no_members(const group& g) {
    if (g.type() == group_type::consumer) return g.consumer == nullptr || g.consumer->is_empty();
    return g.classic.state == classic_state::empty;
}

}  // namespace

group_manager::expiry_plan group_manager::plan_expiry(const group& g, std::int64_t now_ms, std::int64_t retention_ms) {
    // Kafka's OffsetMetadataManager.cleanupExpiredOffsets with the group's offsetExpirationCondition
    // and isSubscribedToTopic:
    //   - consumer groups (KIP-848): offsets of topics no member subscribes to expire by commit time;
    //   - classic groups without a protocol type (simple groups, admin commits): by commit time;
    //   - Empty classic groups: by the time the group became empty (by commit time if the group
    //     metadata does not say);
    //   - Stable classic groups of the consumer protocol: offsets of topics no member subscribes to,
    //     by commit time, if every member's subscription can be read;
    //   - otherwise (a classic group rebalancing, or of another protocol with members): none.
    // An offset committed with an explicit retention (OffsetCommit v2-4) expires at its expire
    // timestamp instead. The group itself goes once every offset has expired and it has no members.
    expiry_plan plan;
    std::optional<std::int64_t> since_state;
    std::function<bool(const std::string&)> subscribed = [](const std::string&) { return false; };
    if (g.type() == group_type::consumer) {
        if (g.consumer == nullptr) return plan;
        const auto* state = g.consumer.get();
        subscribed = [state](const std::string& topic) { return state->is_subscribed_to(topic); };
    } else {
        const auto& c = g.classic;
        if (!c.protocol_type) {
            // A simple group: commit time.
        } else if (c.state == classic_state::empty) {
            if (c.state_timestamp_ms >= 0) since_state = c.state_timestamp_ms;
        } else if (*c.protocol_type == "consumer" && c.state == classic_state::stable) {
            auto topics = classic_subscribed_topics(c);
            if (!topics) return plan;
            subscribed = [names = std::move(*topics)](const std::string& topic) { return names.contains(topic); };
        } else {
            return plan;
        }
    }
    bool all_expired = true;
    for (const auto& [tp, o] : g.offsets) {
        if (subscribed(tp.topic)) {
            all_expired = false;
            continue;
        }
        const std::int64_t base = since_state.value_or(o.value.commit_timestamp);
        const bool expired = o.value.expire_timestamp >= 0 ? now_ms >= o.value.expire_timestamp
                                                           : now_ms - base >= retention_ms;
        if (expired)
            plan.expired.push_back(tp);
        else
            all_expired = false;
    }
    plan.delete_group = all_expired && has_no_members(g);
    return plan;
}

awaitable<void> group_manager::expire_offsets() {
    const std::int64_t retention_ms = offsets_retention_ms();
    const std::int64_t now = now_ms();
    // partition_status() may forget a deleted partition's groups: ask it before walking the groups.
    std::set<std::int32_t> partitions;
    for (const auto& [id, g] : groups_) partitions.insert(g->partition());
    std::set<std::int32_t> usable;
    for (auto partition : partitions)
        if (partition_status(partition) == error_code::none) usable.insert(partition);
    std::vector<std::string> ids;
    for (const auto& [id, g] : groups_)
        if (usable.contains(g->partition())) ids.push_back(id);

    std::size_t expired = 0;
    std::size_t groups_deleted = 0;
    for (const auto& id : ids) {
        group* g = find_group(id);
        if (g == nullptr || g->dead()) continue;
        const std::int32_t partition = g->partition();
        if (partition_status(partition) != error_code::none) continue;
        g = find_group(id);
        if (g == nullptr || g->dead()) continue;
        auto plan = plan_expiry(*g, now, retention_ms);
        if (plan.expired.empty() && !plan.delete_group) continue;

        // One batch: the offsets' tombstones, then (if the group goes) the group's, as Kafka's
        // cleanupGroupMetadata writes them; replaying it after a restart ends in the same place.
        const group_type type = g->type();
        std::vector<group_record> records;
        for (const auto& tp : plan.expired)
            records.push_back(group_record{encode_offset_commit_key(id, tp.topic, tp.partition), std::nullopt});
        if (plan.delete_group) {
            records.push_back(group_record{encode_group_metadata_key(id), std::nullopt});
            if (type == group_type::consumer && g->consumer) {
                for (auto& r : g->consumer->tombstones())
                    records.push_back(group_record{std::move(r.key), std::nullopt});
            }
        }
        auto persisting = persist(partition, std::move(records));
        auto done = co_await std::move(persisting);
        if (done.error != error_code::none) {
            spdlog::warn("group {}: expired offsets not deleted ({})", id, model::error_name(done.error));
            continue;
        }
        // Apply what is still true after the write: a commit that landed after a tombstone stays,
        // and a group that got a member or an offset meanwhile stays (its later records follow the
        // tombstones in the log, so a restart rebuilds it too).
        g = find_group(id);
        if (g == nullptr || g->dead()) continue;
        for (std::size_t k = 0; k < plan.expired.size(); ++k) {
            auto it = g->offsets.find(plan.expired[k]);
            const model::offset at(done.first_offset.value() + static_cast<std::int64_t>(k));
            if (it != g->offsets.end() && it->second.record_offset < at) {
                g->offsets.erase(it);
                ++expired;
            }
        }
        if (plan.delete_group && g->type() == type && g->offsets.empty() && has_no_members(*g)) {
            remove_group(id);
            ++groups_deleted;
        }
    }
    if (expired > 0 || groups_deleted > 0)
        spdlog::info("group coordinator (shard {}): expired {} offset(s), removed {} empty group(s)", shard_, expired,
                     groups_deleted);
}

awaitable<void> group_manager::timer_loop() {
    while (!stopped_) {
        timer_.expires_after(tick_interval);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopped_) break;
        const auto now = clock::now();
        for (auto& hook : timer_hooks_) hook(now);
        if (now >= next_retention_check_) {
            next_retention_check_ =
                now + std::chrono::milliseconds(configs().integer("offsets.retention.check.interval.ms"));
            try {
                co_await expire_offsets();
            } catch (const std::exception& e) {
                spdlog::error("group coordinator (shard {}): offset expiration failed: {}", shard_, e.what());
            }
        }
    }
    timer_running_ = false;
    idle_.notify();
}

}  // namespace tributary::groups
