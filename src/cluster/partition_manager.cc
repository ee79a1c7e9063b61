#include "cluster/partition_manager.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "cluster/leader_table.h"
#include "cluster/raft_transport.h"
#include "cluster/topic_table.h"
#include "raft/state_store.h"

namespace tributary::cluster {

unsigned owner_shard(std::string_view topic, std::int32_t partition, unsigned shard_count) {
    // The metadata log lives with the controller, on shard 0.
    if (topic == "__cluster_metadata") return 0;
    // FNV-1a: stable across builds and runs (std::hash is not promised to be).
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&h](unsigned char c) {
        h ^= c;
        h *= 1099511628211ull;
    };
    for (char c : topic) mix(static_cast<unsigned char>(c));
    for (int i = 0; i < 4; ++i) mix(static_cast<unsigned char>(static_cast<std::uint32_t>(partition) >> (8 * i)));
    return static_cast<unsigned>(h % shard_count);
}

partition_manager::partition_manager(unsigned shard, unsigned shard_count, asio::any_io_executor executor,
                                     storage::log_env env, std::filesystem::path data_dir)
    : shard_(shard), shard_count_(shard_count), executor_(executor), env_(env), data_dir_(std::move(data_dir)) {}

partition_manager::~partition_manager() = default;

void partition_manager::enable_replication(raft_transport& transport, replication_options options) {
    transport_ = &transport;
    replication_ = std::move(options);
}

bool partition_manager::hosts(const std::vector<model::node_id>& replicas) const {
    return transport_ == nullptr || std::find(replicas.begin(), replicas.end(), replication_.self) != replicas.end();
}

std::shared_ptr<partition> partition_manager::get(const model::topic_partition& tp) {
    auto it = partitions_.find(tp);
    return it == partitions_.end() ? nullptr : it->second;
}

std::shared_ptr<partition> partition_manager::get(std::string_view topic, std::int32_t index) {
    return get(model::topic_partition{std::string(topic), index});
}

awaitable<void> partition_manager::reconcile(std::shared_ptr<const topic_table> topics) {
    if (stopped_) co_return;
    // Partitions to drop: their topic is gone, re-created under another id, or shrank (never happens
    // through Kafka's APIs, but a table is the truth).
    std::vector<std::pair<model::topic_partition, bool>> drop;
    for (const auto& [tp, p] : partitions_) {
        const topic_metadata* t = topics->find(tp.topic);
        if (t == nullptr || t->id != p->topic_id() || tp.partition >= t->partition_count() ||
            !hosts(t->partition(tp.partition)->replicas)) {
            drop.emplace_back(tp, true);
        }
    }
    for (auto& [tp, delete_data] : drop) co_await remove_partition(tp, delete_data);

    for (const auto& [name, topic] : topics->topics()) {
        const auto& t = *topic;
        for (std::int32_t i = 0; i < t.partition_count(); ++i) {
            if (owner_shard(t.name, i, shard_count_) != shard_) continue;
            const auto& replicas = t.partition(i)->replicas;
            if (!hosts(replicas)) continue;
            model::topic_partition tp{t.name, i};
            if (auto p = get(tp)) {
                p->log().update_config(t.log_config);
                continue;
            }
            co_await open_partition(std::move(tp), t.id, t.log_config, replicas);
        }
    }
}

awaitable<void> partition_manager::open_partition(model::topic_partition tp, model::uuid topic_id,
                                                  storage::log_config config, std::vector<model::node_id> replicas) {
    auto dir = data_dir_ / tp.to_string();
    auto opened = co_await storage::log::open(env_, dir, config, topic_id);
    if (!opened && opened.error() == storage::storage_error::inconsistent_topic_id) {
        // The directory belongs to an earlier topic of the same name, deleted while we were down.
        // Set it aside rather than delete it: it is unreachable, but an operator may want it.
        auto aside = dir;
        aside += ".stray-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
        spdlog::warn("{}: directory holds another topic id; moved to {}", tp.to_string(), aside.string());
        std::error_code ec;
        std::filesystem::rename(dir, aside, ec);
        opened = co_await storage::log::open(env_, dir, config, topic_id);
    }
    if (!opened) {
        spdlog::error("{}: cannot open log: {}", tp.to_string(), storage::to_string(opened.error()));
        co_return;
    }
    if (transport_ == nullptr || replicas.size() <= 1) {
        auto p = std::make_shared<partition>(executor_, tp, topic_id, std::move(*opened));
        partitions_.emplace(std::move(tp), std::move(p));
        co_return;
    }
    // The epoch, the vote and the voter sets come back from the partition directory after a restart.
    auto store = std::make_unique<raft::quorum_state_file>(env_.disk, env_.fs, dir);
    auto saved = co_await store->load();
    auto voters = co_await store->load_voters();
    if (!saved || !voters) {
        spdlog::error("{}: cannot read the quorum state in {}; the partition stays offline", tp.to_string(),
                      dir.string());
        co_await (*opened)->close();
        co_return;
    }
    raft::config cfg = replication_.raft;
    cfg.self = replication_.self;
    cfg.voters = std::move(replicas);
    cfg.seed = (static_cast<std::uint64_t>(replication_.self.value()) << 32) ^ std::hash<std::string>{}(tp.to_string()) ^
               (++replicas_started_ * 0x9e3779b97f4a7c15ull) ^
               static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    raft::wire::group_key group{tp.topic, topic_id, tp.partition};
    auto r = std::make_unique<raft::replica>(executor_, group, std::move(cfg), saved->state, std::move(*voters),
                                             std::move(*opened), *store, *transport_, replication_.replica);
    if (auto* leaders = replication_.leaders) {
        r->on_leadership([leaders, tp](model::leader_epoch epoch, std::optional<model::node_id> leader) {
            leaders->update(tp, {leader, epoch, {}});
        });
        r->on_in_sync([leaders, tp](model::leader_epoch epoch, const std::vector<model::node_id>& isr) {
            leaders->set_in_sync(tp, epoch, isr);
        });
    }
    transport_->add(group, *r);
    auto p = std::make_shared<partition>(executor_, tp, topic_id, std::move(store), std::move(r));
    partitions_.emplace(std::move(tp), std::move(p));
}

awaitable<void> partition_manager::remove_partition(model::topic_partition tp, bool delete_data) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) co_return;
    auto p = std::move(it->second);
    partitions_.erase(it);
    if (transport_ != nullptr && p->replica() != nullptr) {
        transport_->remove({tp.topic, p->topic_id(), tp.partition});
        if (replication_.leaders != nullptr) replication_.leaders->erase(tp);
    }
    co_await p->close();
    auto dir = p->log().dir();
    p.reset();
    if (delete_data) {
        auto task = [dir] {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
            return ec.value();
        };
        int err = co_await storage::run_on_disk(env_.disk, std::move(task));
        if (err != 0) spdlog::warn("{}: could not delete {}: {}", tp.to_string(), dir.string(), std::strerror(err));
        else spdlog::info("{}: deleted", tp.to_string());
    }
}

awaitable<void> partition_manager::apply_retention() {
    std::vector<model::topic_partition> tps;
    tps.reserve(partitions_.size());
    for (const auto& [tp, p] : partitions_) tps.push_back(tp);
    for (const auto& tp : tps) {
        auto p = get(tp);  // may have been removed while we waited
        if (p == nullptr) continue;
        auto r = co_await p->apply_retention();
        if (r && r->segments_deleted > 0)
            spdlog::info("{}: retention deleted {} segment(s), {} bytes; log start offset {}", tp.to_string(),
                         r->segments_deleted, r->bytes_deleted, r->log_start_offset.value());
    }
}

awaitable<std::size_t> partition_manager::compact() {
    std::vector<model::topic_partition> tps;
    for (const auto& [tp, p] : partitions_) {
        if (p->log().config().compact) tps.push_back(tp);
    }
    std::size_t cleaned = 0;
    for (const auto& tp : tps) {
        auto p = get(tp);  // may have been removed while we waited
        if (p == nullptr || stopped_) continue;
        auto r = co_await p->log().compact();
        if (!r) {
            spdlog::warn("{}: compaction failed: {}", tp.to_string(), storage::to_string(r.error()));
            continue;
        }
        if (!r->cleaned) continue;
        ++cleaned;
        spdlog::info("{}: compacted {} segment(s) into {}, {} -> {} bytes, {} record(s) removed (dirty ratio {:.2f}); "
                     "clean up to offset {}",
                     tp.to_string(), r->segments_before, r->segments_after, r->bytes_before, r->bytes_after,
                     r->records_removed, r->dirty_ratio, r->cleaned_up_to.value());
    }
    co_return cleaned;
}

awaitable<void> partition_manager::stop() {
    stopped_ = true;
    std::vector<model::topic_partition> tps;
    for (const auto& [tp, p] : partitions_) tps.push_back(tp);
    for (const auto& tp : tps) co_await remove_partition(tp, false);
}

}  // namespace tributary::cluster
