#include "cluster/controller.h"

#include <spdlog/spdlog.h>

#include <set>
#include <stdexcept>

#include "cluster/raft_transport.h"
#include "protocol/messages/allocate_producer_ids_request.h"
#include "protocol/messages/allocate_producer_ids_response.h"
#include "protocol/messages/create_topics_request.h"
#include "protocol/messages/create_topics_response.h"

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

void controller::enable_quorum(raft_transport& transport, std::vector<model::node_id> voters,
                               replication_options timing) {
    transport_ = &transport;
    voters_ = std::move(voters);
    timing_ = std::move(timing);
}

std::vector<model::node_id> controller::brokers() const {
    if (voters_.empty()) return {node_};
    auto out = voters_;
    std::sort(out.begin(), out.end());
    return out;
}

bool controller::leads() const {
    const auto* r = log_ ? log_->replica() : nullptr;
    return r != nullptr && r->running() && r->raft().role() == raft::role::leader;
}

template <typename F>
auto controller::on_controller(F fn) -> std::invoke_result_t<F> {
    return shards_.invoke_on(0, std::move(fn));
}

bool controller::apply_record(topic_table::builder& builder, const decoded_record& d, std::string& error) {
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
}

awaitable<void> controller::start() {
    if (transport_ != nullptr) {
        auto ex = co_await asio::this_coro::executor;
        changed_ = std::make_unique<net::event>(ex);
        applier_done_ = std::make_unique<net::event>(ex);
        metadata_quorum q;
        q.self = node_;
        q.voters = voters_;
        q.transport = transport_;
        q.raft = timing_.raft;
        q.replica = timing_.replica;
        auto opened = co_await metadata_log::open_replicated(env_, data_dir_, std::move(q));
        if (!opened)
            throw std::runtime_error("cannot open the metadata log in " +
                                     (data_dir_ / metadata_log_dir_name).string() + ": " +
                                     std::string(storage::to_string(opened.error())));
        log_ = std::move(*opened);
        caught_up_at_ = log_->end_offset();
        auto* r = log_->replica();
        r->on_leadership([this](model::leader_epoch epoch, std::optional<model::node_id> leader) {
            if (leader) spdlog::info("metadata log: epoch {}, the controller is node {}", epoch.value(), leader->value());
            cache_.set_controller_id(leader.value_or(model::node_id(-1)));
            changed_->notify();
        });
        transport_->add(metadata_group(), *r);
        r->start();
        applier_running_ = true;
        asio::co_spawn(ex, applier(), [this](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    spdlog::critical("metadata applier stopped: {}", x.what());
                }
            }
            applier_running_ = false;
            applier_done_->notify();
        });
        spdlog::info("metadata log: a Raft group of {} voter(s); {} record(s) on disk to catch up with",
                     voters_.size(), caught_up_at_.value());
        co_return;
    }
    auto opened = co_await metadata_log::open(env_, data_dir_);
    if (!opened)
        throw std::runtime_error("cannot open the metadata log in " + (data_dir_ / metadata_log_dir_name).string() +
                                 ": " + std::string(storage::to_string(opened.error())));
    log_ = std::move(*opened);

    topic_table::builder builder(*table_);
    std::size_t records = 0;
    auto apply = [&](model::offset, const decoded_record& d, std::string& error) {
        ++records;
        return apply_record(builder, d, error);
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
    co_await stop_changes();
    if (log_) co_await log_->close();
}

awaitable<void> controller::abandon() {
    co_await stop_changes();
    if (log_) co_await log_->abandon();
}

awaitable<void> controller::stop_changes() {
    co_await acquire();
    stopped_ = true;
    release();
    for (auto& [id, c] : controller_clients_) co_await c->close();
    if (log_ && log_->replica() != nullptr) {
        transport_->remove(metadata_group());
        co_await log_->replica()->stop();  // ends the applier's wait
        changed_->notify();
        while (applier_running_) co_await applier_done_->wait();
    }
}

awaitable<void> controller::applier() {
    auto* r = log_->replica();
    while (!stopped_ && r->running()) {
        const auto committed = log_->committed_end();
        if (committed <= applied_) {
            co_await r->wait_high_watermark_above(applied_);
            continue;
        }
        if (!co_await apply_committed(committed)) co_return;
        // Not before this broker has what it had at start: an older table would make the shards drop
        // the partitions of topics created since.
        if (!published_ && applied_ < std::min(caught_up_at_, log_->end_offset())) continue;
        published_ = true;
        co_await publish(table_);
        changed_->notify();
    }
}

awaitable<bool> controller::apply_committed(model::offset end) {
    topic_table::builder builder(*table_);
    std::size_t records = 0;
    auto apply = [&](model::offset, const decoded_record& d, std::string& error) {
        ++records;
        return apply_record(builder, d, error);
    };
    metadata_log::replay_fn fn = apply;
    auto replay = log_->replay(std::move(fn), applied_, end);
    if (auto error = co_await std::move(replay); !error.empty()) {
        spdlog::critical("metadata log: {}; this broker applies no further metadata", error);
        co_return false;
    }
    applied_ = end;
    if (records > 0) table_ = builder.build(std::max(end.value(), table_->version() + 1));
    co_return true;
}

awaitable<rpc::client*> controller::controller_client() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer pause(ex);
    // An election takes a second or two; a caller waits that long rather than fail at once.
    for (int attempt = 0; attempt < 100 && !stopped_; ++attempt) {
        const auto leader = cache_.controller_id();
        if (leader == node_) co_return nullptr;
        if (leader.value() >= 0) {
            const auto* b = cache_.find_broker(leader);
            if (b == nullptr) co_return nullptr;
            auto& c = controller_clients_[leader];
            if (!c) {
                rpc::client_config cfg;
                cfg.host = b->host;
                cfg.port = static_cast<std::uint16_t>(b->port);
                cfg.client_id = std::string(forwarding_client_id);
                c = std::make_unique<rpc::client>(ex, std::move(cfg));
            }
            co_return c.get();
        }
        pause.expires_after(std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::use_awaitable);
    }
    co_return nullptr;
}

awaitable<std::vector<create_topic_result>> controller::forward_auto_create(std::vector<topic_spec> specs) {
    protocol::create_topics_request req;
    req.timeout_ms = 30'000;
    for (const auto& s : specs) {
        protocol::create_topics_request::creatable_topic t;
        t.name = s.name;
        t.num_partitions = s.num_partitions;
        t.replication_factor = s.replication_factor;
        for (const auto& [name, value] : s.configs) {
            protocol::create_topics_request::creatable_topic_config c;
            c.name = name;
            c.value = value;
            t.configs.push_back(std::move(c));
        }
        req.topics.push_back(std::move(t));
    }
    std::map<std::string, api_error, std::less<>> errors;
    auto answer = co_await forward_here<protocol::create_topics_response>(std::move(req), 7);
    if (!answer) {
        for (const auto& s : specs)
            errors[s.name] = make_error(model::error_code::not_controller, "The controller could not be reached.");
    } else {
        for (const auto& t : answer->topics) {
            const auto code = static_cast<model::error_code>(t.error_code);
            // Created by someone else meanwhile: what auto-creation wanted.
            if (code != model::error_code::none && code != model::error_code::topic_already_exists)
                errors[t.name] = make_error(code, t.error_message.value_or(""));
        }
    }
    // The controller answered once the topics were committed; this broker applies them shortly after.
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer pause(ex);
    auto missing = [&] {
        for (const auto& s : specs)
            if (!errors.contains(s.name) && cache_.topics(0)->find(s.name) == nullptr) return true;
        return false;
    };
    for (int attempt = 0; attempt < 250 && missing() && !stopped_; ++attempt) {
        pause.expires_after(std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
    }
    std::vector<create_topic_result> out;
    for (const auto& s : specs) {
        create_topic_result r;
        r.name = s.name;
        if (auto it = errors.find(s.name); it != errors.end()) {
            r.error = it->second;
        } else if (const auto* t = cache_.topics(0)->find(s.name)) {
            r.id = t->id;
            r.num_partitions = t->partition_count();
            r.replication_factor = t->replication_factor();
        } else {
            r.error = make_error(model::error_code::request_timed_out, "The topic was created but is not known here yet.");
        }
        out.push_back(std::move(r));
    }
    co_return out;
}

awaitable<bool> controller::ready_to_lead() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer deadline(ex, std::chrono::seconds(5));
    bool expired = false;
    deadline.async_wait([this, &expired](const boost::system::error_code& ec) {
        if (!ec) {
            expired = true;
            changed_->notify();
        }
    });
    bool ready = false;
    while (!stopped_ && !expired && leads()) {
        const auto& core = log_->replica()->raft();
        // Everything in the log is committed, so this epoch's first entry is, and all of it is applied.
        if (published_ && core.high_watermark() == core.log_end().value() && applied_ == core.log_end()) {
            ready = true;
            break;
        }
        co_await changed_->wait();
    }
    deadline.cancel();
    if (!ready && leads()) {
        const auto& core = log_->replica()->raft();
        spdlog::warn("controller: not ready to lead after 5 s: applied {} of a log ending at {} (high watermark {}){}",
                     applied_.value(), core.log_end().value(), core.high_watermark(),
                     published_ ? "" : ", not caught up with its log yet");
    }
    co_return ready;
}

awaitable<bool> controller::applied_through(model::offset last) {
    while (!stopped_ && applier_running_ && applied_ <= last) co_await changed_->wait();
    co_return applied_ > last;
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
    if (transport_ != nullptr && !co_await ready_to_lead()) {
        auto p = make_plan(*table_);
        for (auto& r : p.results)
            if (error_of(r).ok()) error_of(r) = make_error(model::error_code::not_controller, "This broker is not the active controller.");
        co_return std::move(p.results);
    }
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
    if (log_->replica() != nullptr) {
        // The applier applies and publishes it, on every broker alike.
        if (!appended || !co_await applied_through(*appended)) co_return model::error_code::not_controller;
        co_return model::error_code::none;
    }
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
        return plan_create_topics(t, topics, brokers());
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
    planner<create_topic_result> p = [this, names](const topic_table& t) {
        std::vector<topic_spec> specs;
        std::set<std::string, std::less<>> planned;
        for (const auto& n : names)
            if (!t.find(n) && planned.insert(n).second) specs.push_back(auto_create_spec(n, t.broker_configs()));
        auto created = plan_create_topics(t, specs, brokers());
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
    auto task = [this, p = std::move(p), names]() mutable -> awaitable<std::vector<create_topic_result>> {
        if (forwards()) {
            // Only what is missing here goes to the controller; the rest is answered from the table.
            std::vector<topic_spec> specs;
            std::set<std::string, std::less<>> planned;
            for (const auto& n : names)
                if (!cache_.topics(0)->find(n) && planned.insert(n).second)
                    specs.push_back(auto_create_spec(n, cache_.topics(0)->broker_configs()));
            auto created = co_await forward_auto_create(std::move(specs));
            std::map<std::string, create_topic_result, std::less<>> by_name;
            for (auto& r : created) by_name.emplace(r.name, std::move(r));
            std::vector<create_topic_result> out;
            for (const auto& n : names) {
                if (auto it = by_name.find(n); it != by_name.end()) {
                    out.push_back(it->second);
                    continue;
                }
                create_topic_result r;
                r.name = n;
                if (const auto* t = cache_.topics(0)->find(n)) {
                    r.id = t->id;
                    r.num_partitions = t->partition_count();
                    r.replication_factor = t->replication_factor();
                }
                out.push_back(std::move(r));
            }
            co_return out;
        }
        auto executing = execute<create_topic_result>(std::move(p), false);
        co_return co_await std::move(executing);
    };
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
        return plan_create_partitions(t, topics, brokers());
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
    if (transport_ != nullptr && next_producer_id_ >= producer_id_block_end_ && forwards()) {
        // A block from the active controller (AllocateProducerIds); not durable here, as in Kafka: a
        // restart asks for a new block, and the controller never gives one twice.
        protocol::allocate_producer_ids_request req;
        req.broker_id = node_;
        auto answer = co_await forward_here<protocol::allocate_producer_ids_response>(req, 0);
        if (!answer) co_return producer_id_allocation{.error = model::error_code::coordinator_load_in_progress};
        if (answer->error_code != 0)
            co_return producer_id_allocation{.error = static_cast<model::error_code>(answer->error_code)};
        next_producer_id_ = answer->producer_id_start.value();
        producer_id_block_end_ = next_producer_id_ + answer->producer_id_len;
        co_return producer_id_allocation{.id = model::producer_id(next_producer_id_++)};
    }
    if (transport_ != nullptr && next_producer_id_ >= producer_id_block_end_ && !co_await ready_to_lead())
        co_return producer_id_allocation{.error = model::error_code::not_controller};
    if (next_producer_id_ >= producer_id_block_end_) {
        if (failed_) co_return producer_id_allocation{.error = model::error_code::kafka_storage_error};
        protocol::producer_ids_record block;
        block.broker_id = node_;
        block.next_producer_id = next_producer_id_block_ + producer_id_block_size;
        const auto start = next_producer_id_block_;  // the applier moves next_producer_id_block_ on
        const metadata_record records[] = {block};
        auto appended = co_await log_->append(records);
        if (log_->replica() != nullptr && (!appended || !co_await applied_through(*appended)))
            co_return producer_id_allocation{.error = model::error_code::not_controller};
        if (!appended) {
            failed_ = true;
            spdlog::error("metadata log write failed ({}): no metadata changes until restart",
                          storage::to_string(appended.error()));
            co_return producer_id_allocation{.error = model::error_code::kafka_storage_error};
        }
        next_producer_id_ = start;
        producer_id_block_end_ = block.next_producer_id;
        next_producer_id_block_ = block.next_producer_id;
    }
    co_return producer_id_allocation{.id = model::producer_id(next_producer_id_++)};
}

}  // namespace tributary::cluster

namespace tributary::cluster {

awaitable<producer_id_block> controller::allocate_producer_block(model::node_id broker) {
    auto task = [this, broker]() -> awaitable<producer_id_block> {
        co_await acquire();
        struct releaser {
            controller* c;
            ~releaser() { c->release(); }
        } guard{this};
        if (stopped_ || transport_ == nullptr || !co_await ready_to_lead())
            co_return producer_id_block{.error = model::error_code::not_controller};
        protocol::producer_ids_record block;
        block.broker_id = broker;
        block.next_producer_id = next_producer_id_block_ + producer_id_block_size;
        const auto start = next_producer_id_block_;
        const metadata_record records[] = {block};
        auto appended = co_await log_->append(records);
        if (!appended || !co_await applied_through(*appended))
            co_return producer_id_block{.error = model::error_code::not_controller};
        co_return producer_id_block{.start = model::producer_id(start),
                                    .length = static_cast<std::int32_t>(producer_id_block_size)};
    };
    auto op = on_controller(std::move(task));
    co_return co_await std::move(op);
}

}  // namespace tributary::cluster
