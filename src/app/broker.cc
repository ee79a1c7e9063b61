#include "app/broker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <thread>

namespace tributary::app {

namespace {
constexpr const char* version_string = "0.1.0";
// Released Fetch read buffers kept for reuse, per shard.
constexpr std::size_t read_buffer_cache_bytes = 32u << 20;
// fsyncs in flight at once, across every shard's partitions (storage::thread_pool_disk_executor).
constexpr unsigned fsync_threads = 4;

// A cluster's id as every broker of it computes it from the voters, so that all of them give clients the
// same one (a single broker keeps the random id of its data directory).
std::string cluster_id_of(std::vector<server::quorum_voter> voters) {
    std::sort(voters.begin(), voters.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    std::string text;
    for (const auto& v : voters) text += std::to_string(v.id) + "@" + v.host + ":" + std::to_string(v.port) + ",";
    model::uuid id;
    for (int half = 0; half < 2; ++half) {
        std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint64_t>(half);
        for (char c : text) {
            h ^= static_cast<unsigned char>(c);
            h *= 1099511628211ull;
        }
        for (int i = 0; i < 8; ++i) id.bytes[static_cast<std::size_t>(half * 8 + i)] = static_cast<std::uint8_t>(h >> (8 * i));
    }
    return id.to_string();
}
}  // namespace

broker::broker(server::broker_config config) : config_(std::move(config)) {}

broker::~broker() { stop(); }

template <typename F>
void broker::on_every_shard(F fn) {
    std::vector<std::future<void>> done;
    for (unsigned i = 0; i < shards_->size(); ++i) {
        auto task = [fn, i]() { return fn(i); };
        done.push_back(asio::co_spawn(shards_->context(i), std::move(task), asio::use_future));
    }
    for (auto& f : done) f.get();
}

void broker::start() {
    data_dir_.emplace(storage::data_dir::open(config_.data_dir, config_.node_id));
    spdlog::info("tributary {} node {} cluster {} data {}", version_string, config_.node_id,
                 data_dir_->identity().cluster_id, data_dir_->path().string());

    const bool clustered = !config_.quorum_voters.empty();
    metadata_.cluster_id = clustered ? cluster_id_of(config_.quorum_voters) : data_dir_->identity().cluster_id;
    if (clustered) {
        // The controller is the metadata log's leader, named once it is elected.
        for (const auto& v : config_.quorum_voters)
            metadata_.brokers.push_back(cluster::broker_endpoint{model::node_id(v.id), v.host, v.port, std::nullopt});
    } else {
        metadata_.set_controller_id(model::node_id(config_.node_id));
        metadata_.brokers.push_back(cluster::broker_endpoint{model::node_id(config_.node_id),
                                                             config_.advertised_host_or_listen(),
                                                             config_.advertised_port_or_listen(), std::nullopt});
    }
    cluster::replication_options replication;
    replication.self = model::node_id(config_.node_id);
    replication.leaders = &metadata_.leaders;
    replication.replica.in_sync_lag = std::chrono::milliseconds(config_.replica_lag_time_max_ms);

    unsigned shard_count = config_.smp != 0 ? config_.smp : std::max(1u, std::thread::hardware_concurrency());
    cluster::broker_config_layers layers;
    layers.node_id = config_.node_id;
    layers.static_props = config_.static_configs;
    metadata_.init_shards(shard_count, cluster::topic_table::empty(layers));
    shards_ = std::make_unique<net::shard_set>(shard_count);
    sync_pool_ = std::make_unique<storage::thread_pool_disk_executor>("fsync", fsync_threads);
    for (unsigned i = 0; i < shard_count; ++i) {
        disks_.push_back(std::make_unique<storage::thread_disk_executor>("disk-" + std::to_string(i)));
        read_buffers_.push_back(std::make_unique<storage::read_buffer_pool>(read_buffer_cache_bytes));
        storage::log_env env(*disks_.back(), storage::posix_file_system(), storage::default_clock(),
                             *read_buffers_.back());
        env.sync = sync_pool_.get();
        partitions_.push_back(std::make_unique<cluster::partition_manager>(i, shard_count, shards_->executor(i),
                                                                           env, data_dir_->path()));
        if (clustered) {
            transports_.push_back(
                std::make_unique<cluster::raft_transport>(shards_->executor(i), model::node_id(config_.node_id)));
            for (const auto& v : config_.quorum_voters) {
                if (v.id != config_.node_id) transports_.back()->set_peer(model::node_id(v.id), v.host, v.port);
            }
            partitions_.back()->enable_replication(*transports_.back(), replication);
            services_.raft_transports.push_back(transports_.back().get());
        }
        fetch_sessions_.push_back(std::make_unique<kafka::fetch_session_cache>(i));
        group_managers_.push_back(
            std::make_unique<groups::group_manager>(i, *partitions_.back(), metadata_, shards_->executor(i)));
    }
    std::vector<groups::group_manager*> managers;
    for (auto& m : group_managers_) managers.push_back(m.get());
    groups_ = std::make_unique<groups::coordinator>(*shards_, metadata_, std::move(managers));

    services_.data_dir = config_.data_dir;
    services_.metadata = &metadata_;
    services_.node_id = model::node_id(config_.node_id);
    services_.shards = shards_.get();
    services_.groups = groups_.get();
    for (unsigned i = 0; i < shard_count; ++i) {
        services_.partition_managers.push_back(partitions_[i].get());
        services_.fetch_sessions.push_back(fetch_sessions_[i].get());
    }

    // The controller replays the metadata log and has every shard's partition manager open its
    // partitions before the server accepts a connection.
    metadata_disk_ = std::make_unique<storage::thread_disk_executor>("metadata-disk");
    controller_ = std::make_unique<cluster::controller>(*shards_, metadata_, storage::log_env(*metadata_disk_),
                                                        data_dir_->path(), layers);
    metadata_.controller = controller_.get();
    if (clustered) {
        std::vector<model::node_id> voters;
        for (const auto& v : config_.quorum_voters) voters.emplace_back(v.id);
        controller_->enable_quorum(*transports_[0], std::move(voters), replication);
    }
    controller_->set_reconciler([this](unsigned shard, std::shared_ptr<const cluster::topic_table> t) {
        return partitions_[shard]->reconcile(std::move(t));
    });

    shards_->start();
    running_ = true;  // from here on stop() (also from the destructor, if a step below throws) undoes it
    asio::co_spawn(shards_->context(0), controller_->start(), asio::use_future).get();
    // Each shard's group manager starts replaying the __consumer_offsets partitions it owns; requests
    // for their groups answer COORDINATOR_LOAD_IN_PROGRESS until it is done.
    on_every_shard([this](unsigned i) -> awaitable<void> {
        group_managers_[i]->start();
        co_return;
    });
    start_retention();
    if (config_.log_cleaner_enable) start_cleaner();
    server_ = std::make_unique<server::server>(*shards_, config_, services_);
    server_->start();
}

void broker::start_retention() {
    const auto interval = std::chrono::milliseconds(config_.log_retention_check_interval_ms);
    for (unsigned i = 0; i < shards_->size(); ++i) {
        auto* pm = partitions_[i].get();
        auto loop = [pm, interval]() -> awaitable<void> {
            asio::steady_timer timer(co_await asio::this_coro::executor);
            for (;;) {
                timer.expires_after(interval);
                co_await timer.async_wait(asio::use_awaitable);
                co_await pm->apply_retention();
            }
        };
        shards_->submit_to(i, std::move(loop));
    }
}

void broker::start_cleaner() {
    // One cleaner per shard, for the compacted partitions the shard owns. A round that cleaned something
    // is followed at once by another (a log may still be dirty); an idle one sleeps log.cleaner.backoff.ms.
    const auto backoff = std::chrono::milliseconds(config_.log_cleaner_backoff_ms);
    for (unsigned i = 0; i < shards_->size(); ++i) {
        auto* pm = partitions_[i].get();
        auto loop = [pm, backoff]() -> awaitable<void> {
            asio::steady_timer timer(co_await asio::this_coro::executor);
            for (;;) {
                timer.expires_after(backoff);
                co_await timer.async_wait(asio::use_awaitable);
                for (int round = 0; round < 8 && co_await pm->compact() > 0; ++round) {
                }
            }
        };
        shards_->submit_to(i, std::move(loop));
    }
}

void broker::stop() {
    if (!running_) return;
    running_ = false;
    if (server_) server_->stop();
    on_every_shard([this](unsigned i) { return group_managers_[i]->stop(); });
    asio::co_spawn(shards_->context(0), controller_->stop(), asio::use_future).get();
    on_every_shard([this](unsigned i) { return partitions_[i]->stop(); });
    if (!transports_.empty()) on_every_shard([this](unsigned i) { return transports_[i]->stop(); });
    shards_->stop();
    shards_->join();
    disks_.clear();  // runs what is queued, then joins the disk threads
    spdlog::info("stopped");
}

}  // namespace tributary::app
