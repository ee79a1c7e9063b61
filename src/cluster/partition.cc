#include "cluster/partition.h"

namespace tributary::cluster {

partition::partition(asio::any_io_executor executor, model::topic_partition tp, model::uuid topic_id,
                     std::unique_ptr<storage::log> log)
    : executor_(executor), tp_(std::move(tp)), topic_id_(topic_id), log_(std::move(log)) {}

partition::~partition() = default;

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
    co_await log_->close();  // also ends any wait_high_watermark_above()
    while (watching_) co_await watch_stopped_.wait();
}

}  // namespace tributary::cluster
