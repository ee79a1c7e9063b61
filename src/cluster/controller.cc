#include "cluster/controller.h"

#include <spdlog/spdlog.h>

#include <set>
#include <stdexcept>

namespace tributary::cluster {
namespace {

api_error& error_of(api_error& r) { return r; }
api_error& error_of(create_topic_result& r) { return r.error; }
api_error& error_of(delete_topic_result& r) { return r.error; }

std::string write_failure_message(model::error_code code) {
    return code == model::error_code::not_controller ? "The controller is shutting down."
                                                     : "The metadata log could not be written.";
}

}  // namespace

controller::controller(net::shard_set& shards, metadata_cache& cache, storage::log_env env,
                       std::filesystem::path data_dir, broker_config_layers static_layers)
    : shards_(shards),
      cache_(cache),
      env_(env),
      data_dir_(std::move(data_dir)),
      node_(static_layers.node_id),
      table_(topic_table::empty(std::move(static_layers))) {}

controller::~controller() = default;

template <typename F>
auto controller::on_controller(F fn) -> std::invoke_result_t<F> {
    return shards_.invoke_on(0, std::move(fn));
}

awaitable<void> controller::start() {
    auto opened = co_await metadata_log::open(env_, data_dir_);
    if (!opened)
        throw std::runtime_error("cannot open the metadata log in " + (data_dir_ / metadata_log_dir_name).string() +
                                 ": " + std::string(storage::to_string(opened.error())));
    log_ = std::move(*opened);

    topic_table::builder builder(*table_);
    std::size_t records = 0;
    auto apply = [&](model::offset, const decoded_record& d, std::string& error) {
        ++records;
        if (auto* f = std::get_if<protocol::feature_level_record>(&d.record)) {
            if (f->name == metadata_format_feature && f->feature_level > metadata_format_level) {
                error = "written by a newer Tributary (format level " + std::to_string(f->feature_level) +
                        ", this version reads up to " + std::to_string(metadata_format_level) + ")";
                return false;
            }
            return true;
        }
        if (auto* p = std::get_if<protocol::producer_ids_record>(&d.record)) {
            next_producer_id_block_ = std::max(next_producer_id_block_, p->next_producer_id);
            return true;
        }
        return builder.apply(d.record, &error);
    };
    metadata_log::replay_fn replay_fn = apply;
    auto replay = log_->replay(std::move(replay_fn));
    if (auto error = co_await std::move(replay); !error.empty()) {
        co_await log_->close();
        log_.reset();
        throw std::runtime_error("cannot replay the metadata log: " + error);
    }

    if (log_->end_offset() == model::offset(0)) {
        protocol::feature_level_record format;
        format.name = std::string(metadata_format_feature);
        format.feature_level = metadata_format_level;
        const metadata_record first[] = {format};
        auto appended = co_await log_->append(first);
        if (!appended) {
            co_await log_->close();
            log_.reset();
            throw std::runtime_error("cannot write the metadata log: " +
                                     std::string(storage::to_string(appended.error())));
        }
    }
    table_ = builder.build(log_->end_offset().value());
    spdlog::info("metadata log: {} record(s) replayed: {} topic(s), {} partition(s)", records, table_->size(),
                 table_->partition_count());
    co_await publish(table_);
}

awaitable<void> controller::stop() {
    co_await acquire();
    stopped_ = true;
    release();
    if (log_) co_await log_->close();
}

awaitable<void> controller::abandon() {
    co_await acquire();
    stopped_ = true;
    release();
    if (log_) co_await log_->abandon();
}

awaitable<void> controller::acquire() {
    if (!busy_) {
        busy_ = true;
        co_return;
    }
    auto waiter = std::make_shared<net::event>(co_await asio::this_coro::executor);
    waiters_.push_back(waiter);
    co_await waiter->wait();  // release() handed the lock over: busy_ stayed true
}

void controller::release() {
    if (waiters_.empty()) {
        busy_ = false;
        return;
    }
    auto next = std::move(waiters_.front());
    waiters_.pop_front();
    next->notify();
}

template <typename R>
awaitable<std::vector<R>> controller::execute(planner<R> make_plan, bool validate_only) {
    co_await acquire();
    struct releaser {
        controller* c;
        ~releaser() { c->release(); }
    } guard{this};
    auto p = make_plan(*table_);
    if (validate_only || p.records.empty()) co_return std::move(p.results);
    model::error_code failure = model::error_code::none;
    if (stopped_) {
        failure = model::error_code::not_controller;
    } else if (failed_) {
        failure = model::error_code::kafka_storage_error;
    } else {
        auto committing = commit(std::move(p.records));
        failure = co_await std::move(committing);
    }
    if (failure != model::error_code::none) {
        for (auto& r : p.results)
            if (error_of(r).ok()) error_of(r) = make_error(failure, write_failure_message(failure));
    }
    co_return std::move(p.results);
}

awaitable<model::error_code> controller::commit(std::vector<metadata_record> records) {
    auto appended = co_await log_->append(records);
    if (!appended) {
        failed_ = true;
        spdlog::error("metadata log write failed ({}): no metadata changes until restart",
                      storage::to_string(appended.error()));
        co_return model::error_code::kafka_storage_error;
    }
    topic_table::builder builder(*table_);
    for (const auto& r : records) {
        std::string error;
        if (!builder.apply(r, &error)) {
            // A plan is made against this very table, so this is a bug, not bad input.
            spdlog::critical("metadata record {} does not apply to the table it was planned on: {}", record_name(r),
                             error);
            std::abort();
        }
    }
    table_ = builder.build(log_->end_offset().value());
    co_await publish(table_);
    co_return model::error_code::none;
}

awaitable<void> controller::publish(std::shared_ptr<const topic_table> table) {
    auto home = co_await asio::this_coro::executor;
    auto done = std::make_shared<net::event>(home);
    auto left = std::make_shared<unsigned>(shards_.size());
    for (unsigned i = 0; i < shards_.size(); ++i) {
        asio::co_spawn(shards_.executor(i), publish_on(i, table), [home, done, left](std::exception_ptr) {
            asio::post(home, [done, left] {
                if (--*left == 0) done->notify();
            });
        });
    }
    co_await done->wait();
}

awaitable<void> controller::publish_on(unsigned shard, std::shared_ptr<const topic_table> table) {
    cache_.set_topics(shard, table);
    if (!reconcile_) co_return;
    try {
        co_await reconcile_(shard, std::move(table));
    } catch (const std::exception& e) {
        spdlog::error("shard {}: applying metadata version failed: {}", shard, e.what());
    }
}

awaitable<std::vector<create_topic_result>> controller::create_topics(std::vector<topic_spec> topics,
                                                                      bool validate_only) {
    planner<create_topic_result> p = [this, topics = std::move(topics)](const topic_table& t) {
        return plan_create_topics(t, topics, node_);
    };
    // GCC 12 destroys a lambda temporary inside a co_await expression twice, so every request
    // method names its task and its awaitable before awaiting.
    auto task = [this, p = std::move(p), validate_only]() mutable {
        return execute<create_topic_result>(std::move(p), validate_only);
    };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

awaitable<std::vector<create_topic_result>> controller::auto_create_topics(std::vector<std::string> names) {
    planner<create_topic_result> p = [this, names = std::move(names)](const topic_table& t) {
        std::vector<topic_spec> specs;
        std::set<std::string, std::less<>> planned;
        for (const auto& n : names)
            if (!t.find(n) && planned.insert(n).second) specs.push_back(auto_create_spec(n, t.broker_configs()));
        auto created = plan_create_topics(t, specs, node_);
        plan<create_topic_result> out;
        out.records = std::move(created.records);
        std::map<std::string, create_topic_result, std::less<>> by_name;
        for (auto& r : created.results) by_name.emplace(r.name, std::move(r));
        for (const auto& n : names) {
            if (const topic_metadata* existing = t.find(n)) {
                create_topic_result r;
                r.name = n;
                r.id = existing->id;
                r.num_partitions = existing->partition_count();
                r.replication_factor = existing->replication_factor();
                out.results.push_back(std::move(r));
            } else {
                out.results.push_back(by_name.at(n));
            }
        }
        return out;
    };
    auto task = [this, p = std::move(p)]() mutable { return execute<create_topic_result>(std::move(p), false); };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

awaitable<std::vector<delete_topic_result>> controller::delete_topics(std::vector<topic_ref> topics) {
    planner<delete_topic_result> p = [topics = std::move(topics)](const topic_table& t) {
        return plan_delete_topics(t, topics);
    };
    auto task = [this, p = std::move(p)]() mutable { return execute<delete_topic_result>(std::move(p), false); };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

awaitable<std::vector<api_error>> controller::create_partitions(std::vector<partition_increase> topics,
                                                                bool validate_only) {
    planner<api_error> p = [this, topics = std::move(topics)](const topic_table& t) {
        return plan_create_partitions(t, topics, node_);
    };
    auto task = [this, p = std::move(p), validate_only]() mutable {
        return execute<api_error>(std::move(p), validate_only);
    };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

awaitable<std::vector<api_error>> controller::alter_configs(std::vector<legacy_config_change> changes,
                                                            bool validate_only) {
    planner<api_error> p = [changes = std::move(changes)](const topic_table& t) {
        return plan_alter_configs(t, changes);
    };
    auto task = [this, p = std::move(p), validate_only]() mutable {
        return execute<api_error>(std::move(p), validate_only);
    };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

awaitable<std::vector<api_error>> controller::incremental_alter_configs(std::vector<incremental_config_change> changes,
                                                                        bool validate_only) {
    planner<api_error> p = [changes = std::move(changes)](const topic_table& t) {
        return plan_incremental_alter_configs(t, changes);
    };
    auto task = [this, p = std::move(p), validate_only]() mutable {
        return execute<api_error>(std::move(p), validate_only);
    };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

awaitable<producer_id_allocation> controller::allocate_producer_id() {
    auto task = [this] { return allocate_producer_id_here(); };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

awaitable<producer_id_allocation> controller::allocate_producer_id_here() {
    co_await acquire();
    struct releaser {
        controller* c;
        ~releaser() { c->release(); }
    } guard{this};
    if (stopped_) co_return producer_id_allocation{.error = model::error_code::not_controller};
    if (next_producer_id_ >= producer_id_block_end_) {
        if (failed_) co_return producer_id_allocation{.error = model::error_code::kafka_storage_error};
        protocol::producer_ids_record block;
        block.broker_id = node_;
        block.next_producer_id = next_producer_id_block_ + producer_id_block_size;
        const metadata_record records[] = {block};
        auto appended = co_await log_->append(records);
        if (!appended) {
            failed_ = true;
            spdlog::error("metadata log write failed ({}): no metadata changes until restart",
                          storage::to_string(appended.error()));
            co_return producer_id_allocation{.error = model::error_code::kafka_storage_error};
        }
        next_producer_id_ = next_producer_id_block_;
        producer_id_block_end_ = block.next_producer_id;
        next_producer_id_block_ = block.next_producer_id;
    }
    co_return producer_id_allocation{.id = model::producer_id(next_producer_id_++)};
}

}  // namespace tributary::cluster
