#include "raft/replica.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/record_batch.h"

namespace tributary::raft {

namespace {

// Wall-clock time for the control batches' timestamps.
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

log_shape shape_of(const storage::log& log, std::vector<voter_set> voters) {
    log_shape s;
    s.log_start = log.log_start_offset();
    s.log_end = log.log_end_offset();
    s.epochs = log.leader_epochs().entries();
    // The epoch before the log start is not kept on disk. The cache's first entry starts at the log start
    // once the start moved, with the epoch in force there; that is the epoch before it unless an epoch
    // began exactly at the log start, and then a follower fetching at that point is only sent back to the
    // log start (reset), which loses nothing committed. For an empty log it is the last epoch written.
    if (!s.epochs.empty()) s.log_start_epoch = model::leader_epoch(s.epochs.front().epoch);
    // The log opens with its high watermark at the log start: committed, so a safe hint.
    s.high_watermark = log.high_watermark().value();
    s.voter_sets = voter_sets_for(std::move(voters), s.log_start, s.log_end);
    return s;
}

replica::replica(asio::any_io_executor executor, wire::group_key group, config cfg, persistent_state state,
                 std::vector<voter_set> voters, std::unique_ptr<storage::log> log, state_store& store, transport& net,
                 replica_options options)
    : executor_(executor),
      group_(std::move(group)),
      core_(std::move(cfg), state, shape_of(*log, voters)),
      log_(std::move(log)),
      store_(store),
      net_(net),
      options_(options),
      saved_voters_(voter_sets_for(std::move(voters), log_->log_start_offset(), log_->log_end_offset())),
      work_(executor),
      flush_needed_(executor),
      write_finished_(executor),
      tick_timer_(executor),
      high_watermark_moved_(executor, asio::steady_timer::time_point::max()),
      tasks_done_(executor) {
    collect();
}

replica::~replica() = default;

void replica::start() {
    running_ = true;
    seen_leader_ = core_.leader();
    if (leadership_listener_) leadership_listener_(core_.epoch(), core_.leader());
    auto spawn = [this](awaitable<void> task) {
        ++tasks_;
        asio::co_spawn(executor_, std::move(task), [this](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    fail(std::string("stopped by an error: ") + x.what());
                }
            }
            if (--tasks_ == 0) tasks_done_.notify();
        });
    };
    spawn(ticker());
    spawn(worker());
    spawn(flusher());
}

awaitable<void> replica::stop() {
    // Also after a failed write stopped the replica (running_ already false): its coroutines may still
    // be waiting, and must be finished before the replica goes.
    running_ = false;
    tick_timer_.cancel();
    work_.notify();
    flush_needed_.notify();
    wake_waiters();
    while (tasks_ > 0) co_await tasks_done_.wait();
    for (auto& w : pending_) {
        if (auto* a = std::get_if<std::shared_ptr<client_append>>(&w)) finish(**a, std::nullopt);
    }
    pending_.clear();
}

template <typename F>
void replica::feed(F input) {
    if (!running_) return;
    if (writing_) {
        deferred_.push_back(std::move(input));
        return;
    }
    guarded(input);
}

template <typename F>
void replica::guarded(F& input) {
    try {
        input();
        collect();
    } catch (const std::exception& e) {
        fail(std::string("stopped by an error: ") + e.what());
    }
}

void replica::log_start_moved() {
    feed([this] {
        if (log_->log_start_offset() > core_.log_start()) core_.advance_log_start(log_->log_start_offset());
    });
}

void replica::receive(envelope e) {
    feed([this, e = std::move(e)] { core_.receive(e); });
}

void replica::fail(const std::string& why) {
    if (running_) spdlog::error("raft {}-{}: {}; the replica stops", group_.topic, group_.partition, why);
    running_ = false;
    // Its coroutines and waiters see it at once; stop() still waits for them.
    tick_timer_.cancel();
    work_.notify();
    flush_needed_.notify();
    wake_waiters();
}

bool replica::failed(const std::string& op, storage::storage_error e) {
    spdlog::error("raft {}-{}: {} failed: {}", group_.topic, group_.partition, op, storage::to_string(e));
    return false;
}

void replica::answer_parked_fetch(model::node_id follower) {
    feed([this, follower] { core_.answer_parked_fetch(follower); });
}

void replica::collect() {
    // Waiters of an epoch or a role this replica no longer has must look again.
    if (core_.epoch() != seen_epoch_ || core_.role() != seen_role_ || core_.leader() != seen_leader_) {
        const bool leadership_changed = core_.epoch() != seen_epoch_ || core_.leader() != seen_leader_;
        seen_epoch_ = core_.epoch();
        seen_role_ = core_.role();
        seen_leader_ = core_.leader();
        wake_waiters();
        if (leadership_changed && leadership_listener_ && running_) leadership_listener_(seen_epoch_, seen_leader_);
    }
    if (core_.role() == role::leader || !seen_in_sync_.empty()) {
        const auto tick_ms = std::max<std::int64_t>(1, options_.tick.count());
        auto isr = core_.in_sync(options_.in_sync_lag.count() / tick_ms);
        if (isr != seen_in_sync_) {
            seen_in_sync_ = std::move(isr);
            if (in_sync_listener_ && running_) in_sync_listener_(core_.epoch(), seen_in_sync_);
        }
    }
    auto out = core_.take_output();
    if (out.empty()) return;
    pending_.push_back(std::move(out));
    work_.notify();
}

void replica::wake_waiters() { high_watermark_moved_.cancel(); }

awaitable<std::optional<model::offset>> replica::replicate(bytes::byte_vector batch) {
    auto header = protocol::parse_header(batch);
    if (!header) co_return std::nullopt;
    const auto record_count = std::int64_t{header->last_offset_delta} + 1;
    // A proposal reserves offsets at once: not while a client's write is under way.
    while (running_ && writing_) co_await write_finished_.wait();
    const auto epoch = core_.epoch();
    auto owned = std::make_shared<const bytes::byte_vector>(std::move(batch));
    auto data = std::make_shared<const wire::batch_bytes>(wire::batch_bytes{bytes::bytes_view(*owned), owned});
    auto base = core_.propose(record_count, std::move(data));
    if (!base) co_return std::nullopt;
    collect();
    const auto last = base->value() + record_count - 1;
    // Until it commits, or this replica stops leading the epoch that wrote it (then it is undecided).
    while (running_ && core_.high_watermark() <= last && core_.epoch() == epoch && core_.role() == role::leader) {
        boost::system::error_code ec;
        high_watermark_moved_.expires_at(asio::steady_timer::time_point::max());
        co_await high_watermark_moved_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (core_.high_watermark() > last && core_.epoch() == epoch) co_return base;
    co_return std::nullopt;
}

bool replica::change_voters(std::vector<model::node_id> voters) {
    if (writing_) return false;  // refused for now: a client's write is under way
    const bool ok = core_.propose_voters(std::move(voters));
    collect();
    return ok;
}

awaitable<bool> replica::delete_records_before(model::offset offset) {
    if (offset.value() > core_.high_watermark()) co_return false;
    auto r = co_await log_->delete_records_before(offset);
    if (!r) co_return false;
    feed([this, start = *r] { core_.advance_log_start(start); });
    co_return true;
}

awaitable<std::optional<util::result<storage::append_result, storage::storage_error>>> replica::append(
    bytes::mutable_bytes_view batches, storage::append_options options) {
    if (!running_ || core_.role() != role::leader) co_return std::nullopt;
    auto a = std::make_shared<client_append>(executor_, batches, options, core_.epoch());
    pending_.push_back(a);
    work_.notify();
    while (!a->done) co_await a->finished.wait();
    co_return std::move(a->result);
}

void replica::finish(client_append& a, std::optional<util::result<storage::append_result, storage::storage_error>> r) {
    a.result = std::move(r);
    a.done = true;
    a.finished.notify();
}

awaitable<void> replica::apply_append(std::shared_ptr<client_append> a) {
    if (core_.role() != role::leader || core_.epoch() != a->epoch) {
        finish(*a, std::nullopt);
        co_return;
    }
    if (log_->log_end_offset() != core_.log_end()) {
        // A write the core reserved before this append was queued is still behind it (a proposal or a
        // voters batch): this append goes after it.
        const bool output_behind = std::any_of(pending_.begin(), pending_.end(),
                                               [](const work& w) { return std::holds_alternative<output>(w); });
        if (!output_behind) {
            fail("the log and the core disagree on the log end");
            finish(*a, std::nullopt);
            co_return;
        }
        pending_.push_back(std::move(a));
        co_return;
    }
    writing_ = true;
    auto r = co_await log_->append(a->batches, a->epoch, a->options);
    if (r.ok() && !r->duplicate) {
        const auto count = r->last_offset.value() - r->base_offset.value() + 1;
        if (r->base_offset != core_.log_end() || log_->log_end_offset().value() != r->last_offset.value() + 1) {
            fail("a client append landed away from the log end");
        } else {
            core_.note_appended(count);
            flush_needed_.notify();
        }
    }
    writing_ = false;
    write_finished_.notify();
    finish(*a, std::move(r));
    // The inputs that waited for the write, in their order.
    for (auto& input : std::exchange(deferred_, {})) {
        if (running_) guarded(input);
    }
    collect();
}

awaitable<bool> replica::wait_committed(model::offset last, model::leader_epoch epoch) {
    while (running_ && core_.high_watermark() <= last.value() && core_.epoch() == epoch && core_.role() == role::leader) {
        boost::system::error_code ec;
        high_watermark_moved_.expires_at(asio::steady_timer::time_point::max());
        co_await high_watermark_moved_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return core_.high_watermark() > last.value() && core_.epoch() == epoch;
}

awaitable<void> replica::wait_high_watermark_above(model::offset o) {
    while (running_ && log_->high_watermark() <= o) {
        boost::system::error_code ec;
        high_watermark_moved_.expires_at(asio::steady_timer::time_point::max());
        co_await high_watermark_moved_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

awaitable<void> replica::ticker() {
    while (running_) {
        boost::system::error_code ec;
        tick_timer_.expires_after(options_.tick);
        co_await tick_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!running_) break;
        feed([this] { core_.tick(); });
    }
}

awaitable<void> replica::worker() {
    while (running_) {
        if (pending_.empty()) {
            co_await work_.wait();
            continue;
        }
        auto next = std::move(pending_.front());
        pending_.pop_front();
        if (auto* out = std::get_if<output>(&next)) co_await apply(std::move(*out));
        else co_await apply_append(std::get<std::shared_ptr<client_append>>(std::move(next)));
    }
}

// core.h's order: persist, log, messages, high watermark.
awaitable<void> replica::apply(output out) {
    if (out.persist && !co_await store_.save(*out.persist)) {
        // Nothing that depends on the state may go out: stop this replica (the broker marks it offline).
        fail("saving the quorum state failed");
        co_return;
    }
    bool appended = false;
    for (const auto& op : out.log) {
        if (!co_await apply_log_op(op)) {
            fail("a log operation failed");
            co_return;
        }
        appended = appended || std::holds_alternative<batch>(op);
    }
    if (appended) flush_needed_.notify();
    for (auto& e : out.messages) co_await send(std::move(e));
    if (out.high_watermark) {
        log_->set_high_watermark(model::offset(*out.high_watermark));
        wake_waiters();
    }
}

awaitable<bool> replica::apply_log_op(const log_op& op) {
    if (const auto* t = std::get_if<truncate_op>(&op)) {
        auto r = co_await log_->truncate_to(t->end);
        if (!r.ok()) co_return failed("truncate", r.error());
        // A set written in the removed suffix must go from the checkpoint before anything is appended
        // where it was.
        if (std::erase_if(saved_voters_, [&](const voter_set& s) { return s.offset >= t->end; }) > 0) {
            co_return co_await store_.save_voters(saved_voters_);
        }
        co_return true;
    }
    if (const auto* reset = std::get_if<reset_op>(&op)) {
        saved_voters_ = {{model::offset(reset->start.offset.value() - 1), reset->voters}};
        if (!co_await store_.save_voters(saved_voters_)) co_return false;
        auto r = co_await log_->truncate_fully_and_start_at(reset->start.offset);
        co_return r.ok() || failed("reset", r.error());
    }
    const auto& b = std::get<batch>(op);
    if (b.kind == batch_kind::voters) {
        // Written before the batch, so the checkpoint is never behind the log.
        std::erase_if(saved_voters_, [&](const voter_set& s) { return s.offset >= b.base; });
        saved_voters_.push_back({b.base, b.voters});
        if (!co_await store_.save_voters(saved_voters_)) co_return false;
    }
    bytes::byte_vector bytes;
    if (!b.data) {
        // The control batches the core writes itself.
        bytes = b.kind == batch_kind::voters ? wire::build_voters_batch(b.base, b.epoch, now_ms(), b.voters)
                                             : wire::build_leader_change_batch(b.base, b.epoch, now_ms(),
                                                                               core_.cfg().self, core_.voters());
    } else {
        // A proposal or a fetched batch: the bytes as written, stamped with the offset and epoch the core
        // gave them (for a fetched batch that changes nothing; both fields are outside the CRC).
        const auto& view = static_cast<const wire::batch_bytes*>(b.data.get())->bytes;
        bytes.assign(view.begin(), view.end());
        protocol::set_base_offset(bytes, b.base);
        protocol::set_partition_leader_epoch(bytes, b.epoch);
    }
    auto r = co_await log_->append(bytes, b.epoch, {.origin = storage::append_origin::replication});
    co_return r.ok() || failed("append at " + std::to_string(b.base.value()), r.error());
}

awaitable<void> replica::send(envelope e) {
    protocol::records records;
    if (auto* f = std::get_if<fetch_response>(&e.message); f && f->read_log) {
        f->read_log = false;
        auto r = co_await log_->read(f->fetch_offset, options_.fetch_max_bytes, log_->log_end_offset(), true);
        if (r.ok()) records = protocol::records::borrowed(r->records, r->buffer);
    }
    net_.send(group_, std::move(e), std::move(records));
}

awaitable<void> replica::flusher() {
    while (running_) {
        const auto end = log_->log_end_offset();
        if (core_.durable_end() >= end) {
            co_await flush_needed_.wait();
            continue;
        }
        const auto last = model::offset(end.value() - 1);
        if (auto e = co_await log_->wait_durable(last); e != storage::storage_error::none) {
            if (e != storage::storage_error::truncated) fail("flushing failed: " + std::string(storage::to_string(e)));
            continue;
        }
        if (!running_) break;
        feed([this, end] { core_.on_flushed(end); });
    }
}

}  // namespace tributary::raft
