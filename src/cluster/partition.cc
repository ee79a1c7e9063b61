#include "cluster/partition.h"

namespace tributary::cluster {

partition::partition(asio::any_io_executor executor, model::topic_partition tp, model::uuid topic_id,
                     std::unique_ptr<storage::log> log)
    : executor_(executor), tp_(std::move(tp)), topic_id_(topic_id), owned_log_(std::move(log)), log_(owned_log_.get()) {
    // What recovery kept is on disk; one replica needs nothing else to call it committed.
    advance_high_watermark();
    // This broker leads the partition from here on, in its leader epoch.
    log_->begin_epoch(leader_epoch().value());
}

partition::partition(asio::any_io_executor executor, model::topic_partition tp, model::uuid topic_id,
                     std::unique_ptr<raft::quorum_state_file> store, std::unique_ptr<raft::replica> replica)
    : executor_(executor),
      tp_(std::move(tp)),
      topic_id_(topic_id),
      store_(std::move(store)),
      replica_(std::move(replica)),
      log_(&replica_->log()) {
    replica_->start();
}

partition::~partition() = default;

bool partition::leads() const {
    return !replica_ || (replica_->running() && replica_->raft().role() == raft::role::leader);
}

std::optional<model::node_id> partition::leader() const {
    if (!replica_) return std::nullopt;
    return replica_->raft().leader();
}

model::leader_epoch partition::leader_epoch() const {
    return replica_ ? replica_->raft().epoch() : model::leader_epoch(0);
}

model::error_code partition::check_leader_epoch(std::int32_t current_leader_epoch) const {
    const auto epoch = leader_epoch().value();
    if (current_leader_epoch < 0 || current_leader_epoch == epoch) return model::error_code::none;
    return current_leader_epoch > epoch ? model::error_code::unknown_leader_epoch
                                        : model::error_code::fenced_leader_epoch;
}

epoch_end_offset partition::offset_for_leader_epoch(std::int32_t current_leader_epoch,
                                                    std::int32_t leader_epoch) const {
    epoch_end_offset out;
    if (log_->offline()) {
        out.error = model::error_code::kafka_storage_error;
        return out;
    }
    if (auto e = check_leader_epoch(current_leader_epoch); e != model::error_code::none) {
        out.error = e;
        return out;
    }
    if (!leads()) {
        out.error = model::error_code::not_leader_or_follower;
        return out;
    }
    if (auto found = log_->end_offset_for_epoch(leader_epoch)) {
        out.leader_epoch = found->first;
        out.end_offset = found->second.value();
    }
    return out;
}

model::offset partition::offset_of(read_bound bound) const {
    switch (bound) {
    case read_bound::high_watermark:
        return log_->high_watermark();
    case read_bound::last_stable:
        return log_->last_stable_offset();
    case read_bound::log_end:
        break;
    }
    return log_->log_end_offset();
}

void partition::advance_high_watermark() {
    if (log_->durable_offset() > log_->high_watermark()) log_->set_high_watermark(log_->durable_offset());
}

awaitable<storage::storage_error> partition::commit(model::offset last) {
    auto e = co_await log_->wait_durable(last);
    advance_high_watermark();
    co_return e;
}

awaitable<util::result<storage::append_result, storage::storage_error>> partition::replicate(
    bytes::mutable_bytes_view batches, replicate_options options) {
    if (replica_) {
        if (!leads()) co_return storage::storage_error::not_leader;
        if (options.acks_all &&
            static_cast<std::int32_t>(replica_->in_sync().size()) < options.min_insync_replicas)
            co_return storage::storage_error::not_enough_replicas;
        const auto epoch = leader_epoch();
        auto r = co_await replica_->append(batches, {.origin = options.origin});
        if (!r) co_return storage::storage_error::not_leader;
        // A duplicate waits too: its first copy may not be committed yet.
        if (r->ok() && options.acks_all && !co_await replica_->wait_committed((*r)->last_offset, epoch))
            co_return storage::storage_error::not_leader;
        co_return std::move(*r);
    }
    auto r = co_await log_->append(batches, leader_epoch(), {.origin = options.origin});
    if (!r) co_return r;
    if (options.acks_all) {
        // A duplicate too: its first copy may still be waiting for its fsync.
        if (auto e = co_await commit(r->last_offset); e != storage::storage_error::none) co_return e;
        co_return r;
    }
    advance_high_watermark();
    if (log_->high_watermark() < log_->log_end_offset() && !committing_ && !closing_) {
        committing_ = true;
        asio::co_spawn(executor_, commit_loop(), asio::detached);
    }
    co_return r;
}

awaitable<void> partition::commit_loop() {
    // One loop per partition while acks=1 data waits for its fsync; it sleeps on the log.
    while (!closing_ && !log_->offline() && log_->high_watermark() < log_->log_end_offset()) {
        const auto e = co_await commit(model::offset(log_->log_end_offset().value() - 1));
        if (e == storage::storage_error::log_offline || e == storage::storage_error::log_closed) break;
    }
    committing_ = false;
    commit_stopped_.notify();
}

awaitable<util::result<storage::read_result, storage::storage_error>> partition::read(model::offset from,
                                                                                      std::size_t max_bytes,
                                                                                      read_bound bound,
                                                                                      bool zero_copy) {
    if (!leads()) co_return storage::storage_error::not_leader;
    co_return co_await log_->read(from, max_bytes, offset_of(bound), /*min_one_batch=*/true, zero_copy);
}

awaitable<util::result<std::optional<storage::timestamp_offset>, storage::storage_error>>
partition::offset_for_timestamp(std::int64_t timestamp, read_bound bound) {
    if (!leads()) co_return storage::storage_error::not_leader;
    co_return co_await log_->offset_for_timestamp(timestamp, offset_of(bound));
}

awaitable<util::result<std::optional<storage::timestamp_offset>, storage::storage_error>>
partition::max_timestamp_offset(read_bound bound) {
    if (!leads()) co_return storage::storage_error::not_leader;
    co_return co_await log_->max_timestamp_offset(offset_of(bound));
}

awaitable<util::result<model::offset, storage::storage_error>> partition::delete_records_before(model::offset offset) {
    // One co_return at the end: with `if (...) co_return co_await ...;` first, GCC 12 built a coroutine
    // that crashed on every DeleteRecords (test_partition_admin.py).
    util::result<model::offset, storage::storage_error> out = storage::storage_error::not_leader;
    if (!replica_) {
        out = co_await log_->delete_records_before(offset);
    } else if (leads()) {
        if (offset > log_->high_watermark()) {
            out = storage::storage_error::offset_out_of_range;
        } else {
            const bool deleted = co_await replica_->delete_records_before(offset);
            out = deleted ? util::result<model::offset, storage::storage_error>(log_->log_start_offset())
                          : util::result<model::offset, storage::storage_error>(storage::storage_error::io_error);
        }
    }
    co_return out;
}

awaitable<util::result<storage::retention_result, storage::storage_error>> partition::apply_retention() {
    const auto start = log_->log_start_offset();
    auto r = co_await log_->apply_retention();
    if (replica_ && r.ok() && log_->log_start_offset() > start) replica_->log_start_moved();
    co_return r;
}

void partition::watch(model::offset seen, std::weak_ptr<data_waiter> w) {
    if (log_->high_watermark() > seen || closing_) {
        if (auto waiter = w.lock()) asio::post(waiter->executor(), [waiter] { waiter->notify(); });
        return;
    }
    watchers_.push_back(std::move(w));
    if (notified_hw_ < model::offset(0) || seen < notified_hw_) notified_hw_ = seen;
    if (!watching_) {
        watching_ = true;
        asio::co_spawn(executor_, watch_loop(), asio::detached);
    }
}

void partition::notify_watchers() {
    for (auto& weak : watchers_)
        if (auto waiter = weak.lock()) asio::post(waiter->executor(), [waiter] { waiter->notify(); });
    watchers_.clear();
}

awaitable<void> partition::watch_loop() {
    // One loop per partition while anyone waits: it sleeps on the log, not on a timer.
    while (!watchers_.empty() && !closing_) {
        co_await log_->wait_high_watermark_above(notified_hw_);
        notified_hw_ = log_->high_watermark();
        notify_watchers();
    }
    watching_ = false;
    watch_stopped_.notify();
}

awaitable<void> partition::close() {
    closing_ = true;
    notify_watchers();
    // The replica first: nothing of it may write to the log once the log is closing.
    if (replica_) co_await replica_->stop();
    co_await log_->close();  // also ends any wait_high_watermark_above() and wait_durable()
    while (watching_) co_await watch_stopped_.wait();
    while (committing_) co_await commit_stopped_.wait();
}

}  // namespace tributary::cluster
