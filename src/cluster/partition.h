// A partition this broker leads: its log plus the state Kafka keeps beside it (leader epoch, waiters
// for new data). Owned by one shard; every member is used only on that shard's event loop.
#pragma once

#include <memory>
#include <vector>

#include "model/fundamental.h"
#include "model/topic_partition.h"
#include "net/asio.h"
#include "storage/log.h"

namespace tributary::cluster {

// Someone (a Fetch waiting for min_bytes, on any shard) who wants to hear when a partition's high
// watermark moves. notify() is posted to the waiter's own executor, so the waiter needs no lock.
class data_waiter {
public:
    explicit data_waiter(asio::any_io_executor ex) : executor_(ex), event_(ex) {}
    asio::any_io_executor executor() const { return executor_; }
    // REQUIRES: on executor().
    void notify() { event_.notify(); }
    awaitable<void> wait() { return event_.wait(); }

private:
    asio::any_io_executor executor_;
    net::event event_;
};

class partition {
public:
    // REQUIRES: `executor` is the owning shard's, the one `log` was opened on.
    partition(asio::any_io_executor executor, model::topic_partition tp, model::uuid topic_id,
              std::unique_ptr<storage::log> log);
    ~partition();

    const model::topic_partition& tp() const { return tp_; }
    const model::uuid& topic_id() const { return topic_id_; }
    storage::log& log() { return *log_; }
    const storage::log& log() const { return *log_; }
    // Single-node: the leader epoch is fixed at 0 until replication changes leaders.
    model::leader_epoch leader_epoch() const { return model::leader_epoch(0); }

    // Registers `w` to be notified once, on its own executor, when the high watermark moves above
    // `seen`; notifies at once if it already has. Waiters that went away are simply skipped.
    void watch(model::offset seen, std::weak_ptr<data_waiter> w);

    // Closes the log cleanly (flush, indexes, snapshot, clean-shutdown marker). Waiters are woken.
    // REQUIRES: called once; the partition may be destroyed when it completes.
    awaitable<void> close();

private:
    awaitable<void> watch_loop();
    void notify_watchers();

    asio::any_io_executor executor_;
    model::topic_partition tp_;
    model::uuid topic_id_;
    std::unique_ptr<storage::log> log_;
    std::vector<std::weak_ptr<data_waiter>> watchers_;
    model::offset notified_hw_{-1};
    bool watching_ = false;
    bool closing_ = false;
    net::event watch_stopped_{executor_};
};

}  // namespace tributary::cluster
