#include "raft/core.h"

#include <algorithm>
#include <string>

namespace tributary::raft {

namespace {

[[noreturn]] void fail(const std::string& what) { throw invariant_error("raft: " + what); }

#define RAFT_CHECK(cond, what) \
    do {                       \
        if (!(cond)) fail(what); \
    } while (0)

}  // namespace

const char* to_string(role r) {
    switch (r) {
        case role::unattached: return "unattached";
        case role::follower: return "follower";
        case role::prospective: return "prospective";
        case role::candidate: return "candidate";
        case role::leader: return "leader";
    }
    return "?";
}

core::core(config cfg, persistent_state state, log_shape log)
    : cfg_(std::move(cfg)),
      rng_(cfg_.seed),
      state_(state),
      log_start_(log.log_start),
      log_start_epoch_(log.log_start_epoch),
      log_end_(log.log_end),
      durable_end_(log.log_end),
      epochs_(std::move(log.epochs)),
      high_watermark_(std::clamp<std::int64_t>(log.high_watermark, log.log_start.value(), log.log_end.value())) {
    RAFT_CHECK(log_start_ <= log_end_, "log start beyond log end");
    voter_sets_.push_back({model::offset(-1), cfg_.voters});
    for (auto& v : log.voter_sets) voter_sets_.push_back(std::move(v));
    for (auto& v : voter_sets_) std::sort(v.voters.begin(), v.voters.end());
    RAFT_CHECK(cfg_.request_retry_ticks > cfg_.fetch_max_wait_ticks, "request_retry_ticks <= fetch_max_wait_ticks");
    // A crash after writing a batch of a new epoch but before persisting that epoch leaves the log ahead.
    if (last_epoch() > state_.epoch) {
        state_ = {last_epoch(), std::nullopt};
        persist();
    }
    // Sequences start at a random point, so an answer to a fetch sent before a restart is not taken
    // for an answer to one sent after it.
    fetch_sequence_ = answered_sequence_ = rng_() >> 16;
    election_deadline_ = now_ + random_election_timeout();
    if (is_voter(cfg_.self) && voters().size() == 1) become_prospective();
}

bool core::is_voter(model::node_id n) const {
    return std::find(voters().begin(), voters().end(), n) != voters().end();
}

std::size_t core::granted_by_voters() const {
    return static_cast<std::size_t>(std::count_if(granted_.begin(), granted_.end(), [&](auto n) { return is_voter(n); }));
}

const std::vector<model::node_id>& core::voters_at(model::offset o) const {
    const voter_set* in_force = &voter_sets_.front();
    for (const auto& v : voter_sets_) {
        if (v.offset < o) in_force = &v;
    }
    return in_force->voters;
}

model::leader_epoch core::last_epoch() const {
    if (log_end_ > log_start_ && !epochs_.entries().empty()) return model::leader_epoch(epochs_.entries().back().epoch);
    return log_start_epoch_;
}

int core::random_election_timeout() {
    const auto t = static_cast<std::uint64_t>(std::max(1, cfg_.election_timeout_ticks));
    return static_cast<int>(t + rng_() % t);
}

void core::send(model::node_id to, message m) { out_.messages.push_back({cfg_.self, to, std::move(m)}); }

void core::persist() { out_.persist = state_; }

output core::take_output() { return std::exchange(out_, output{}); }

// ---- transitions -------------------------------------------------------------------------------------

// Every message carries its sender's epoch: a newer epoch makes this replica a follower of that epoch's
// leader, or unattached if the leader is not known yet (Raft section 5.1).
void core::observe_epoch(model::leader_epoch epoch, std::optional<model::node_id> leader) {
    if (epoch > state_.epoch) {
        become_unattached(epoch);
        if (leader) become_follower(*leader);
        return;
    }
    if (epoch == state_.epoch && leader && *leader != cfg_.self) {
        // Word from others that the leader we stopped hearing from still leads is no reason to follow it
        // again (that gossip would keep a dead leader alive); an answer from the leader itself is.
        if (role_ == role::prospective && timed_out_leader_ == leader) return;
        RAFT_CHECK(role_ != role::leader, "two leaders in one epoch");
        if (role_ != role::follower || leader_ != leader) {
            RAFT_CHECK(!leader_ || leader_ == leader, "two leaders in one epoch");
            become_follower(*leader);
        }
    }
}

void core::become_unattached(model::leader_epoch epoch) {
    if (epoch != state_.epoch) {
        state_ = {epoch, std::nullopt};
        persist();
    }
    role_ = role::unattached;
    leader_.reset();
    timed_out_leader_.reset();
    progress_.clear();
    granted_.clear();
    fetch_in_flight_ = false;
    election_deadline_ = now_ + random_election_timeout();
}

void core::become_follower(model::node_id leader, bool fetch_now) {
    role_ = role::follower;
    leader_ = leader;
    timed_out_leader_.reset();
    progress_.clear();
    granted_.clear();
    last_leader_contact_ = now_;
    fetch_in_flight_ = false;
    if (fetch_now) maybe_send_fetch();
}

void core::become_prospective() {
    // A follower that timed out keeps fetching from its leader while it asks for pre-votes: if only the
    // link was down, the leader's answer makes it a follower again.
    if (role_ == role::follower) timed_out_leader_ = leader_;
    role_ = role::prospective;
    leader_.reset();
    progress_.clear();
    fetch_in_flight_ = false;
    granted_ = {cfg_.self};
    election_deadline_ = now_ + random_election_timeout();
    if (granted_by_voters() >= majority()) {
        become_candidate();
        return;
    }
    const auto candidate_epoch = model::leader_epoch(state_.epoch.value() + 1);
    for (auto v : voters()) {
        if (v != cfg_.self) send(v, vote_request{candidate_epoch, cfg_.self, last(), true});
    }
    maybe_send_fetch();
}

void core::become_candidate() {
    state_ = {model::leader_epoch(state_.epoch.value() + 1), cfg_.self};
    persist();
    role_ = role::candidate;
    leader_.reset();
    timed_out_leader_.reset();
    fetch_in_flight_ = false;
    granted_ = {cfg_.self};
    election_deadline_ = now_ + random_election_timeout();
    if (granted_by_voters() >= majority()) {
        become_leader();
        return;
    }
    for (auto v : voters()) {
        if (v != cfg_.self) send(v, vote_request{state_.epoch, cfg_.self, last(), false});
    }
}

void core::become_leader() {
    role_ = role::leader;
    leader_ = cfg_.self;
    granted_.clear();
    leader_high_watermark_known_ = false;
    progress_.clear();
    for (auto v : voters()) {
        if (v == cfg_.self) continue;
        auto& p = progress_[v];
        p.last_fetch = now_;
        p.caught_up_at = now_;
        p.begin_sent = now_;
        send(v, begin_quorum_epoch_request{state_.epoch, cfg_.self});
    }
    // The first entry of the epoch: nothing below the high watermark is known committed until an entry of
    // this epoch is (Raft section 5.4.2), so the leader writes one at once.
    epoch_start_ = log_end_;
    append(batch{log_end_, log_end_, state_.epoch, batch_kind::leader_change, nullptr});
    maybe_advance_high_watermark();
}

// ---- inputs ------------------------------------------------------------------------------------------

std::vector<model::node_id> core::in_sync(std::int64_t lag_ticks) const {
    std::vector<model::node_id> out;
    if (role_ != role::leader) return out;
    for (auto v : voters()) {
        if (v == cfg_.self) {
            out.push_back(v);
            continue;
        }
        auto it = progress_.find(v);
        if (it != progress_.end() && now_ - it->second.caught_up_at <= lag_ticks) out.push_back(v);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void core::tick() {
    ++now_;
    switch (role_) {
        case role::unattached:
        case role::prospective:
        case role::candidate:
            if (is_voter(cfg_.self)) {
                if (now_ >= election_deadline_) become_prospective();
            } else {
                discover_leader();
            }
            break;
        case role::follower:
            if (now_ - last_leader_contact_ >= cfg_.fetch_timeout_ticks) {
                if (is_voter(cfg_.self)) become_prospective();
                else become_unattached(state_.epoch);
                break;
            }
            if (fetch_in_flight_ && now_ - fetch_sent_at_ >= cfg_.request_retry_ticks) {
                fetch_in_flight_ = false;
                maybe_send_fetch();
            }
            break;
        case role::leader: {
            // A leader that removed itself from the voters hands over once that change is committed.
            if (!is_voter(cfg_.self) && voter_sets_.back().offset.value() < high_watermark_) {
                resign();
                break;
            }
            // Check-quorum: a leader cut off from a majority steps down instead of holding the epoch.
            std::size_t recent = is_voter(cfg_.self) ? 1 : 0;
            const auto window = cfg_.fetch_timeout_ticks + cfg_.fetch_timeout_ticks / 2;
            for (auto& [id, p] : progress_) {
                if (is_voter(id) && now_ - p.last_fetch <= window) ++recent;
                if (!p.fetched && now_ - p.begin_sent >= cfg_.request_retry_ticks) {
                    p.begin_sent = now_;
                    send(id, begin_quorum_epoch_request{state_.epoch, cfg_.self});
                }
            }
            if (recent < majority()) {
                become_unattached(state_.epoch);
                break;
            }
            answer_parked(true);
            break;
        }
    }
}

void core::receive(const envelope& e) {
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, vote_request>) on_vote_request(e.from, m);
            else if constexpr (std::is_same_v<T, vote_response>) on_vote_response(e.from, m);
            else if constexpr (std::is_same_v<T, begin_quorum_epoch_request>) on_begin_quorum_epoch(e.from, m);
            else if constexpr (std::is_same_v<T, begin_quorum_epoch_response>) {
                if (m.epoch > state_.epoch) observe_epoch(m.epoch, m.leader);
            } else if constexpr (std::is_same_v<T, end_quorum_epoch_request>) on_end_quorum_epoch(e.from, m);
            else if constexpr (std::is_same_v<T, fetch_request>) on_fetch_request(e.from, m);
            else if constexpr (std::is_same_v<T, fetch_response>) on_fetch_response(e.from, m);
        },
        e.message);
}

void core::on_flushed(model::offset end) {
    const auto covered = std::min(end, log_end_);
    if (covered <= durable_end_) return;
    durable_end_ = covered;
    if (role_ == role::leader) maybe_advance_high_watermark();
    else maybe_send_fetch();
}

std::optional<model::offset> core::propose(std::int64_t record_count, std::shared_ptr<const void> data) {
    if (role_ != role::leader || record_count <= 0) return std::nullopt;
    const auto base = log_end_;
    append(batch{base, model::offset(base.value() + record_count - 1), state_.epoch, batch_kind::data, std::move(data)});
    answer_parked(false);
    return base;
}

model::offset core::note_appended(std::int64_t record_count) {
    RAFT_CHECK(role_ == role::leader && record_count > 0, "note_appended when not leading");
    const auto base = log_end_;
    append(batch{base, model::offset(base.value() + record_count - 1), state_.epoch, batch_kind::data, nullptr}, false);
    answer_parked(false);
    return base;
}

void core::advance_log_start(model::offset start) {
    RAFT_CHECK(start.value() <= high_watermark_, "log start beyond the high watermark");
    if (start <= log_start_) return;
    // The epoch of the entry before the new start: the last epoch that began at or below start - 1.
    model::leader_epoch before = log_start_epoch_;
    for (const auto& e : epochs_.entries()) {
        if (e.start_offset.value() <= start.value() - 1) before = model::leader_epoch(e.epoch);
    }
    log_start_epoch_ = before;
    log_start_ = start;
    epochs_.truncate_from_start(start);
    // Keep the set in force at the new log start and the ones after it.
    std::size_t in_force = 0;
    for (std::size_t i = 0; i < voter_sets_.size(); ++i) {
        if (voter_sets_[i].offset < start) in_force = i;
    }
    voter_sets_.erase(voter_sets_.begin(), voter_sets_.begin() + static_cast<std::ptrdiff_t>(in_force));
}

void core::resign() {
    if (role_ != role::leader) return;
    std::vector<model::node_id> preferred;
    for (const auto& [id, p] : progress_) {
        if (is_voter(id)) preferred.push_back(id);
    }
    std::stable_sort(preferred.begin(), preferred.end(),
                     [&](auto a, auto b) { return progress_[a].end > progress_[b].end; });
    for (auto v : voters()) {
        if (v != cfg_.self) send(v, end_quorum_epoch_request{state_.epoch, cfg_.self, preferred});
    }
    become_unattached(state_.epoch);
}

bool core::propose_voters(std::vector<model::node_id> next) {
    if (role_ != role::leader || !leader_high_watermark_known_) return false;
    // One change at a time: the previous one must be committed first.
    if (voter_sets_.back().offset.value() >= high_watermark_) return false;
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    const auto& now = voters();
    std::vector<model::node_id> added;
    std::vector<model::node_id> removed;
    std::set_difference(next.begin(), next.end(), now.begin(), now.end(), std::back_inserter(added));
    std::set_difference(now.begin(), now.end(), next.begin(), next.end(), std::back_inserter(removed));
    if (next.empty() || added.size() + removed.size() != 1) return false;
    batch b{log_end_, log_end_, state_.epoch, batch_kind::voters, nullptr};
    b.voters = std::move(next);
    append(std::move(b));
    for (auto v : voters()) {
        if (v != cfg_.self && !progress_.contains(v)) progress_[v].last_fetch = now_;
    }
    maybe_advance_high_watermark();
    answer_parked(false);
    return true;
}

// A replica that is not a voter has no election to start: it asks the voters, in turn, who leads.
void core::discover_leader() {
    if (fetch_in_flight_ && now_ - fetch_sent_at_ < cfg_.request_retry_ticks) return;
    std::vector<model::node_id> others;
    for (auto v : voters()) {
        if (v != cfg_.self) others.push_back(v);
    }
    if (others.empty()) return;
    fetch_in_flight_ = true;
    fetch_sent_at_ = now_;
    send(others[rng_() % others.size()], fetch_request{state_.epoch, cfg_.self, log_end_, last_epoch(), ++fetch_sequence_});
}

// ---- elections ---------------------------------------------------------------------------------------

bool core::log_at_least_as_up_to_date(const offset_and_epoch& other) const {
    const auto mine = last();
    return other.epoch > mine.epoch || (other.epoch == mine.epoch && other.offset >= mine.offset);
}

void core::on_vote_request(model::node_id from, const vote_request& r) {
    // Every replica answers, voter or not in its own view: a replica that has not yet heard that it was
    // added may be the vote a candidate needs (Raft thesis, section 4.1). The candidate counts only the
    // voters of its own set.
    // A pre-vote is sent in epoch candidate_epoch - 1. A replica whose epoch ended (its election failed)
    // can only rejoin in a newer epoch, so the others move to its epoch, a leader stepping down; else a
    // candidate whose vote requests were lost would ask for pre-votes forever in an epoch nobody else has.
    if (r.pre_vote && r.candidate_epoch.value() - 1 > state_.epoch.value()) {
        observe_epoch(model::leader_epoch(r.candidate_epoch.value() - 1), std::nullopt);
    }
    vote_response resp{state_.epoch, leader_, false, r.pre_vote, r.candidate_epoch};
    if (r.pre_vote) {
        // KIP-996: grant iff we would vote for it, and we are not hearing from a live leader.
        const bool leader_alive = role_ == role::leader ||
                                  (role_ == role::follower && now_ - last_leader_contact_ < cfg_.fetch_timeout_ticks);
        resp.granted = r.candidate_epoch > state_.epoch && !leader_alive && log_at_least_as_up_to_date(r.last);
        send(from, resp);
        return;
    }
    if (r.candidate_epoch < state_.epoch) {
        send(from, resp);
        return;
    }
    if (r.candidate_epoch > state_.epoch) observe_epoch(r.candidate_epoch, std::nullopt);
    resp.epoch = state_.epoch;
    resp.leader = leader_;
    if (state_.voted_for == from) {
        resp.granted = true;
    } else if (!state_.voted_for && !leader_ && (role_ == role::unattached || role_ == role::prospective) &&
               log_at_least_as_up_to_date(r.last)) {
        state_.voted_for = from;
        persist();
        role_ = role::unattached;
        granted_.clear();
        election_deadline_ = now_ + random_election_timeout();
        resp.granted = true;
    }
    send(from, resp);
}

void core::on_vote_response(model::node_id from, const vote_response& r) {
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, r.leader);
        return;
    }
    if (r.pre_vote) {
        if (role_ != role::prospective || r.candidate_epoch.value() != state_.epoch.value() + 1) return;
        if (r.granted) {
            granted_.insert(from);
            if (granted_by_voters() >= majority()) become_candidate();
        } else if (r.epoch == state_.epoch && r.leader) {
            observe_epoch(r.epoch, r.leader);
        }
        return;
    }
    if (role_ != role::candidate || r.epoch != state_.epoch || r.candidate_epoch != state_.epoch) return;
    if (r.granted) {
        granted_.insert(from);
        if (granted_by_voters() >= majority()) become_leader();
    } else if (r.leader) {
        observe_epoch(r.epoch, r.leader);
    }
}

void core::on_begin_quorum_epoch(model::node_id from, const begin_quorum_epoch_request& r) {
    if (r.epoch >= state_.epoch) observe_epoch(r.epoch, r.leader);
    send(from, begin_quorum_epoch_response{state_.epoch, leader_});
}

void core::on_end_quorum_epoch(model::node_id, const end_quorum_epoch_request& r) {
    if (r.epoch != state_.epoch || leader_ != r.leader || role_ != role::follower) return;
    // The leader is gone: forget it, so pre-votes are granted, and let the preferred successor go first.
    become_unattached(state_.epoch);
    if (!r.preferred_successors.empty() && r.preferred_successors.front() == cfg_.self) {
        election_deadline_ = now_;
    }
}

// ---- replication: the leader's side ------------------------------------------------------------------

fetch_response core::make_fetch_response(const fetch_request& r) const {
    fetch_response resp;
    resp.epoch = state_.epoch;
    resp.leader = leader_;
    resp.fetch_offset = r.fetch_offset;
    resp.last_fetched_epoch = r.last_fetched_epoch;
    resp.sequence = r.sequence;
    resp.high_watermark = role_ == role::leader && !leader_high_watermark_known_ ? -1 : high_watermark_;
    resp.log_start_offset = log_start_;
    return resp;
}

std::optional<fetch_response> core::check_fetch_position(const fetch_request& r) const {
    // Behind the log start, or at it with another history: start over from the log start.
    if (r.fetch_offset < log_start_ || (r.fetch_offset == log_start_ && r.last_fetched_epoch != log_start_epoch_)) {
        auto resp = make_fetch_response(r);
        resp.snapshot = offset_and_epoch{log_start_, log_start_epoch_};
        resp.snapshot_voters = voters_at(log_start_);
        return resp;
    }
    if (r.fetch_offset == log_start_) return std::nullopt;
    // KIP-595: valid iff our log has the follower's last epoch and that epoch ends at or after its offset.
    const auto [epoch, end] = epochs_.end_offset_for(r.last_fetched_epoch.value(), log_end_);
    if (epoch == r.last_fetched_epoch.value() && r.fetch_offset.value() <= end) return std::nullopt;
    auto resp = make_fetch_response(r);
    if (epoch == storage::leader_epoch_cache::undefined_epoch) {
        resp.diverging_epoch = offset_and_epoch{log_start_, log_start_epoch_};
    } else {
        resp.diverging_epoch = offset_and_epoch{model::offset(end), model::leader_epoch(epoch)};
    }
    return resp;
}

void core::on_fetch_request(model::node_id from, const fetch_request& r) {
    if (r.epoch > state_.epoch) observe_epoch(r.epoch, std::nullopt);
    if (r.epoch < state_.epoch) {
        auto resp = make_fetch_response(r);
        resp.error = fetch_error::fenced_leader_epoch;
        send(from, resp);
        return;
    }
    if (role_ != role::leader) {
        auto resp = make_fetch_response(r);
        resp.error = fetch_error::not_leader;
        send(from, resp);
        return;
    }
    auto& p = progress_[from];
    p.last_fetch = now_;
    p.fetched = true;
    p.parked.reset();
    if (auto mismatch = check_fetch_position(r)) {
        send(from, *mismatch);
        return;
    }
    // The follower holds (durably) our log up to fetch_offset.
    p.end = std::max(p.end, r.fetch_offset.value());
    if (p.end >= log_end_.value()) p.caught_up_at = now_;
    maybe_advance_high_watermark();
    // Answer now when there is data or a high watermark the follower has not been told; hold it otherwise.
    auto resp = make_fetch_response(r);
    if (r.fetch_offset < log_end_ || resp.high_watermark > p.told_high_watermark) {
        resp.read_log = r.fetch_offset < log_end_;
        p.told_high_watermark = resp.high_watermark;
        send(from, std::move(resp));
        return;
    }
    p.parked = r;
    p.parked_at = now_;
}

// Answers the fetches the leader holds: all of them when there is something new to tell (data or a new
// high watermark), otherwise (only_if_data_or_expired) those that waited fetch_max_wait.
void core::answer_parked_fetch(model::node_id follower) {
    if (role_ != role::leader) return;
    if (auto it = progress_.find(follower); it != progress_.end() && it->second.parked) answer_held(follower, it->second);
}

void core::answer_held(model::node_id follower, follower_progress& p) {
    auto resp = make_fetch_response(*p.parked);
    resp.read_log = p.parked->fetch_offset < log_end_;
    p.told_high_watermark = resp.high_watermark;
    p.parked.reset();
    send(follower, std::move(resp));
}

void core::answer_parked(bool only_if_data_or_expired) {
    for (auto& [id, p] : progress_) {
        if (!p.parked) continue;
        const bool has_data = p.parked->fetch_offset < log_end_;
        if (only_if_data_or_expired && !has_data && now_ - p.parked_at < cfg_.fetch_max_wait_ticks) continue;
        answer_held(id, p);
    }
}

void core::maybe_advance_high_watermark() {
    if (role_ != role::leader) return;
    std::vector<std::int64_t> ends;
    for (auto v : voters()) {
        if (v == cfg_.self) ends.push_back(durable_end_.value());
        else {
            auto it = progress_.find(v);
            ends.push_back(it == progress_.end() ? -1 : it->second.end);
        }
    }
    std::sort(ends.begin(), ends.end(), std::greater<>());
    const auto committed = ends[majority() - 1];
    // Only an entry of this epoch commits what is below it (Raft section 5.4.2).
    if (committed <= epoch_start_.value()) return;
    const bool first = !leader_high_watermark_known_;
    leader_high_watermark_known_ = true;
    if (committed > high_watermark_ || first) {
        set_high_watermark(committed);
        answer_parked(false);
    }
}

void core::set_high_watermark(std::int64_t hw) {
    if (hw <= high_watermark_) return;
    RAFT_CHECK(hw <= log_end_.value(), "high watermark beyond the log end");
    high_watermark_ = hw;
    out_.high_watermark = hw;
}

// ---- replication: the follower's side ----------------------------------------------------------------

void core::maybe_send_fetch() {
    const auto target = role_ == role::follower ? leader_ : role_ == role::prospective ? timed_out_leader_ : std::nullopt;
    if (!target || fetch_in_flight_) return;
    // The leader counts fetch_offset as held by us: send it only once it is durable.
    if (durable_end_ < log_end_) return;
    fetch_in_flight_ = true;
    fetch_sent_at_ = now_;
    send(*target, fetch_request{state_.epoch, cfg_.self, log_end_, last_epoch(), ++fetch_sequence_});
}

void core::on_fetch_response(model::node_id from, const fetch_response& r) {
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, r.leader);
        return;
    }
    // A duplicate, or an answer older than one already used. A late answer to an earlier fetch that was
    // sent again is still good (the position check below keeps it safe): a leader that holds fetches
    // longer than the follower's retry would otherwise never be heard.
    if (r.epoch < state_.epoch || r.sequence <= answered_sequence_ || r.sequence > fetch_sequence_) return;
    if (r.error != fetch_error::none) {
        answered_sequence_ = r.sequence;
        fetch_in_flight_ = false;
        if (r.leader && *r.leader != cfg_.self && *r.leader != from) {
            observe_epoch(r.epoch, r.leader);
        } else if (!r.leader && role_ == role::follower && leader_ == from) {
            // Our leader says it no longer leads (it resigned): elect another now.
            become_prospective();
        }
        return;
    }
    // A successful answer comes from the leader of our epoch: that is first-hand news that it is alive.
    if (role_ != role::follower || leader_ != from) {
        RAFT_CHECK(role_ != role::leader, "two leaders in one epoch");
        RAFT_CHECK(!leader_ || leader_ == from, "two leaders in one epoch");
        become_follower(from, false);
    }
    // An answer to an earlier position than ours is stale: a truncation it asks for may no longer apply.
    if (r.fetch_offset != log_end_ || r.last_fetched_epoch != last_epoch()) return;
    answered_sequence_ = r.sequence;
    fetch_in_flight_ = false;
    last_leader_contact_ = now_;

    if (r.snapshot) {
        // Our log ends below the leader's log start, or at it with another entry before it: every entry
        // we drop is either committed and below the leader's log start (gone there too), or uncommitted.
        log_start_ = r.snapshot->offset;
        log_start_epoch_ = r.snapshot->epoch;
        log_end_ = durable_end_ = log_start_;
        epochs_ = storage::leader_epoch_cache{};
        if (!r.snapshot_voters.empty()) {
            voter_sets_ = {{model::offset(log_start_.value() - 1), r.snapshot_voters}};
            std::sort(voter_sets_.front().voters.begin(), voter_sets_.front().voters.end());
        }
        out_.log.push_back(reset_op{*r.snapshot, voters()});
        // Everything below the leader's log start is committed.
        set_high_watermark(log_start_.value());
    } else if (r.diverging_epoch) {
        // Truncate to where our log and the leader's agree about that epoch (KIP-595).
        const auto d = *r.diverging_epoch;
        const auto [epoch, end] = epochs_.end_offset_for(d.epoch.value(), log_end_);
        std::int64_t to = 0;
        if (epoch == d.epoch.value()) to = std::min(end, d.offset.value());
        else if (epoch == storage::leader_epoch_cache::undefined_epoch) to = std::min(log_start_.value(), d.offset.value());
        else to = end;
        to = std::max(to, log_start_.value());
        // Each answer cuts the log, so the exchange ends where the two logs agree.
        RAFT_CHECK(to < log_end_.value(), "diverging epoch that truncates nothing");
        truncate_to(model::offset(to));
    } else {
        for (const auto& b : r.batches) {
            if (b.base != log_end_ || b.last < b.base || b.epoch > r.epoch || b.epoch < last_epoch()) break;
            append(b);
        }
        if (r.high_watermark >= 0) set_high_watermark(std::min(r.high_watermark, log_end_.value()));
    }
    maybe_send_fetch();
}

// ---- the log's shape ---------------------------------------------------------------------------------

void core::truncate_to(model::offset end) {
    if (end >= log_end_) return;
    RAFT_CHECK(end.value() >= high_watermark_, "truncation below the high watermark");
    RAFT_CHECK(end >= log_start_, "truncation below the log start");
    out_.log.push_back(truncate_op{end});
    epochs_.truncate_from_end(end);
    // A voter set written in the truncated suffix no longer applies (it applied uncommitted).
    while (voter_sets_.size() > 1 && voter_sets_.back().offset >= end) voter_sets_.pop_back();
    log_end_ = end;
    durable_end_ = std::min(durable_end_, end);
}

void core::append(batch b, bool write) {
    RAFT_CHECK(b.base == log_end_ && b.last >= b.base, "append not at the log end");
    RAFT_CHECK(b.epoch >= last_epoch(), "append of an older epoch");
    epochs_.assign(b.epoch.value(), b.base);
    log_end_ = model::offset(b.last.value() + 1);
    if (b.kind == batch_kind::voters) {
        RAFT_CHECK(!b.voters.empty(), "an empty voter set");
        auto sorted = b.voters;
        std::sort(sorted.begin(), sorted.end());
        voter_sets_.push_back({b.base, std::move(sorted)});
    }
    if (write) out_.log.push_back(std::move(b));
}

}  // namespace tributary::raft
