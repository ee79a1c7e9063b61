#include "simulation.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace tributary::raft::testing {

namespace {

struct sim_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::uint64_t mix(std::uint64_t prev, std::int32_t epoch, std::int64_t value) {
    std::uint64_t x = prev ^ (static_cast<std::uint64_t>(epoch) * 0x9e3779b97f4a7c15ULL) ^
                      (static_cast<std::uint64_t>(value) + 0x632be59bd9b4e019ULL);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

using values = std::vector<std::int64_t>;

std::string describe(const message& m) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, vote_request>) {
                return std::string(v.pre_vote ? "pre-vote" : "vote") + " request epoch " + std::to_string(v.candidate_epoch.value()) +
                       " last " + std::to_string(v.last.offset.value()) + "@" + std::to_string(v.last.epoch.value());
            } else if constexpr (std::is_same_v<T, vote_response>) {
                return std::string(v.pre_vote ? "pre-vote" : "vote") + " response epoch " + std::to_string(v.epoch.value()) +
                       (v.granted ? " granted" : " refused");
            } else if constexpr (std::is_same_v<T, fetch_request>) {
                return "fetch epoch " + std::to_string(v.epoch.value()) + " at " + std::to_string(v.fetch_offset.value()) + "@" +
                       std::to_string(v.last_fetched_epoch.value()) + " seq " + std::to_string(v.sequence);
            } else if constexpr (std::is_same_v<T, fetch_response>) {
                return "fetch response epoch " + std::to_string(v.epoch.value()) + " error " + std::to_string(int(v.error)) +
                       " at " + std::to_string(v.fetch_offset.value()) + " seq " + std::to_string(v.sequence) + " batches " +
                       std::to_string(v.batches.size()) + " hw " + std::to_string(v.high_watermark) +
                       (v.diverging_epoch ? " diverging" : "") + (v.snapshot ? " snapshot" : "");
            } else {
                return "quorum epoch message";
            }
        },
        m);
}

}  // namespace

struct simulation::replica {
    struct entry {
        std::int64_t value;  // 0 for a leader_change batch, negative for a voters batch
        std::int32_t epoch;
        std::uint64_t chain;
        std::vector<node_id> voters;  // a voters batch's set
    };

    node_id id;
    std::unique_ptr<core> c;
    persistent_state disk_state;  // what survives a crash
    std::int64_t start = 0;
    std::int32_t start_epoch = 0;
    std::uint64_t start_chain = 0;  // chain at start - 1
    std::vector<node_id> start_voters;  // the voter set in force at start, if a voters batch is below it
    std::vector<entry> entries;
    std::int64_t durable = 0;  // end of the durable prefix
    std::vector<std::pair<std::int64_t, std::int64_t>> flushes;  // (completes at, end)
    bool up = true;
    std::int64_t down_until = 0;
    std::int64_t paused_until = 0;
    std::int64_t hw = 0;
    raft::role last_role = raft::role::unattached;
    std::int32_t last_epoch = -1;

    std::int64_t end() const { return start + static_cast<std::int64_t>(entries.size()); }
    bool running(std::int64_t now) const { return up && paused_until <= now; }
    std::optional<std::uint64_t> chain_at(std::int64_t o) const {
        if (o == start - 1) return start_chain;
        if (o >= start && o < end()) return entries[static_cast<std::size_t>(o - start)].chain;
        return std::nullopt;
    }
    log_shape shape() const {
        log_shape s;
        s.log_start = model::offset(start);
        s.log_start_epoch = model::leader_epoch(start_epoch);
        s.log_end = model::offset(end());
        storage::leader_epoch_cache cache;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            cache.assign(entries[i].epoch, model::offset(start + static_cast<std::int64_t>(i)));
        }
        s.epochs = cache.entries();
        s.high_watermark = start;
        if (!start_voters.empty()) s.voter_sets.push_back({model::offset(start - 1), start_voters});
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (!entries[i].voters.empty()) s.voter_sets.push_back({model::offset(start + static_cast<std::int64_t>(i)), entries[i].voters});
        }
        return s;
    }
};

fault_profile random_profile(std::mt19937_64& rng) {
    auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
    fault_profile f;
    f.drop = uniform(0.0, 0.25);
    f.duplicate = uniform(0.0, 0.05);
    // Up to 4 ticks each way: a round trip stays well inside the fetch timeout (20 ticks), as on a LAN.
    f.max_delay = 1 + static_cast<int>(rng() % 4);
    f.crash = uniform(0.0, 0.01);
    f.pause = uniform(0.0, 0.005);
    f.partition = uniform(0.0, 0.01);
    f.clock_jump = uniform(0.0, 0.005);
    f.retention = uniform(0.0, 0.01);
    f.max_flush_delay = static_cast<int>(rng() % 5);
    f.resign = uniform(0.0, 0.005);
    f.reconfigure = uniform(0.0, 0.01);
    f.propose = uniform(0.05, 0.6);
    return f;
}

simulation::simulation(std::uint64_t seed, int voters, int observers, fault_profile faults)
    : seed_(seed), rng_(seed), faults_(faults), trace_(std::getenv("TRIBUTARY_RAFT_TRACE") != nullptr) {
    for (int i = 0; i < voters; ++i) voters_.push_back(node_id(i + 1));
    committed_voters_ = voters_;
    for (int i = 0; i < voters + observers; ++i) {
        auto r = std::make_unique<replica>();
        r->id = node_id(i + 1);
        replicas_.push_back(std::move(r));
    }
}

simulation::~simulation() = default;

simulation::replica& simulation::at(node_id id) { return *replicas_[static_cast<std::size_t>(id.value() - 1)]; }

void simulation::note(const std::string& event) {
    events_.push_back("t=" + std::to_string(now_) + " " + event);
    if (events_.size() > 80) events_.pop_front();
}

void simulation::fail(const std::string& what) { throw sim_failure(what); }

std::string simulation::run(int ticks, int settle_ticks) {
    try {
        for (auto& r : replicas_) restart(*r);
        for (int i = 0; i < ticks; ++i) step(true);
        heal();
        std::optional<std::int64_t> probe;  // the value proposed after healing
        model::leader_epoch probe_epoch{-1};
        for (int i = 0; i < settle_ticks; ++i) {
            step(false);
            const replica* leader = nullptr;
            for (auto& r : replicas_) {
                if (r->c->role() == raft::role::leader) leader = r.get();
            }
            if (!leader) continue;
            // A probe proposed to an earlier leader may have been truncated with its uncommitted tail
            // (it was never acknowledged): propose another to each new leader.
            if (!probe || probe_epoch != leader->c->epoch()) {
                probe = next_value_++;
                probe_epoch = leader->c->epoch();
                auto data = std::make_shared<values>(values{*probe});
                if (leader->c->propose(1, data)) apply_output(at(leader->id), leader->c->take_output());
                continue;
            }
            bool converged = true;
            for (auto& r : replicas_) {
                converged = converged && r->c->epoch() == leader->c->epoch() && r->c->leader() == leader->id &&
                            r->end() == leader->end() && r->hw == r->end() &&
                            r->chain_at(r->end() - 1) == leader->chain_at(leader->end() - 1);
            }
            bool probe_committed = false;
            for (std::int64_t o = leader->start; o < leader->hw; ++o) {
                probe_committed = probe_committed || leader->entries[static_cast<std::size_t>(o - leader->start)].value == *probe;
            }
            if (converged && probe_committed) return {};
        }
        fail("no convergence within " + std::to_string(settle_ticks) + " ticks after healing");
    } catch (const std::exception& e) {
        std::string out = "seed " + std::to_string(seed_) + ": " + e.what() + "\nlast events:\n";
        for (const auto& ev : events_) out += "  " + ev + "\n";
        out += "replicas:\n";
        for (const auto& r : replicas_) {
            out += "  n" + std::to_string(r->id.value()) + (r->up ? "" : " (down)");
            if (r->c) {
                out += std::string(" ") + to_string(r->c->role()) + " epoch " + std::to_string(r->c->epoch().value()) +
                       " leader " + (r->c->leader() ? std::to_string(r->c->leader()->value()) : "-") +
                       " last epoch " + std::to_string(r->c->last().epoch.value());
            }
            out += " log [" + std::to_string(r->start) + ", " + std::to_string(r->end()) + ") durable " +
                   std::to_string(r->durable) + " hw " + std::to_string(r->hw) + "\n";
        }
        out += "committed: " + std::to_string(committed_.size()) + ", in flight: " + std::to_string(network_.size()) + "\n";
        return out;
    }
    return {};
}

void simulation::step(bool faults) {
    ++now_;
    if (faults) maybe_fault();
    if (!cut_.empty() && now_ >= heal_at_) {
        cut_.clear();
        note("partition healed");
    }
    for (auto& r : replicas_) {
        if (!r->up && now_ >= r->down_until) restart(*r);
    }
    // Disk completions.
    for (auto& r : replicas_) {
        if (!r->running(now_)) continue;
        std::int64_t done = -1;
        std::erase_if(r->flushes, [&](const auto& f) {
            if (f.first > now_) return false;
            done = std::max(done, f.second);
            return true;
        });
        if (done >= 0) {
            r->durable = std::max(r->durable, std::min(done, r->end()));
            r->c->on_flushed(model::offset(r->durable));
            apply_output(*r, r->c->take_output());
        }
    }
    for (auto& r : replicas_) {
        if (!r->running(now_)) continue;
        r->c->tick();
        apply_output(*r, r->c->take_output());
    }
    deliver_due();
    if (std::uniform_real_distribution<double>(0, 1)(rng_) < faults_.propose) {
        std::vector<replica*> leaders;
        for (auto& r : replicas_) {
            if (r->running(now_) && r->c->role() == raft::role::leader) leaders.push_back(r.get());
        }
        if (!leaders.empty()) {
            auto* r = leaders[rng_() % leaders.size()];
            const auto count = 1 + static_cast<std::int64_t>(rng_() % 3);
            auto data = std::make_shared<values>();
            for (std::int64_t i = 0; i < count; ++i) data->push_back(next_value_++);
            if (rng_() % 2 == 0) {
                if (r->c->propose(count, data)) apply_output(*r, r->c->take_output());
            } else {
                // The broker's way for a client's batch: the driver writes it and tells the core (here
                // the core first, so that the shape check after the write sees both agree; nothing runs
                // in between).
                output written;
                written.log.push_back(batch{model::offset(r->end()), model::offset(r->end() + count - 1), r->c->epoch(),
                                            batch_kind::data, data});
                r->c->note_appended(count);
                apply_output(*r, std::move(written));
                apply_output(*r, r->c->take_output());
            }
        }
    }
    // Committed entries are never lost: a majority holds the committed prefix durably.
    const auto c = static_cast<std::int64_t>(committed_.size());
    if (c > 0) {
        // A majority of the voter set the last commit was counted in.
        std::size_t holding = 0;
        for (auto id : committed_voters_) {
            auto& r = at(id);
            if (r.start >= c || (r.durable >= c && r.chain_at(c - 1) == committed_[c - 1])) ++holding;
        }
        if (holding < committed_voters_.size() / 2 + 1) {
            std::string who;
            for (auto id : committed_voters_) who += " n" + std::to_string(id.value());
            fail("committed prefix [0, " + std::to_string(c) + ") held by " + std::to_string(holding) + " of the voters" + who);
        }
    }
    stats_.committed = c;
}

void simulation::deliver_due() {
    std::vector<in_flight> due;
    std::erase_if(network_, [&](in_flight& m) {
        if (m.deliver_at > now_) return false;
        auto& to = at(m.e.to);
        if (!to.up) {
            ++stats_.dropped;  // to a crashed replica
            return true;
        }
        if (!to.running(now_)) return false;
        due.push_back(std::move(m));
        return true;
    });
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
    for (auto& m : due) {
        auto& r = at(m.e.to);
        if (!r.running(now_)) {
            network_.push_back(std::move(m));
            continue;
        }
        if (trace_) note("n" + std::to_string(m.e.from.value()) + " -> n" + std::to_string(m.e.to.value()) + " " + describe(m.e.message));
        r.c->receive(m.e);
        apply_output(r, r.c->take_output(), &m);
    }
}

bool simulation::linked(node_id from, node_id to) const { return !cut_.contains({from.value(), to.value()}); }

void simulation::apply_output(replica& r, output out, const in_flight* cause) {
    if (out.persist) r.disk_state = *out.persist;
    for (auto& op : out.log) {
        if (auto* t = std::get_if<truncate_op>(&op)) {
            const auto end = t->end.value();
            if (end < r.hw) fail("n" + std::to_string(r.id.value()) + " truncated to " + std::to_string(end) + " below its high watermark " + std::to_string(r.hw));
            r.entries.resize(static_cast<std::size_t>(end - r.start));
            r.durable = std::min(r.durable, end);
            for (auto& f : r.flushes) f.second = std::min(f.second, end);
            ++stats_.truncations;
            note("n" + std::to_string(r.id.value()) + " truncated to " + std::to_string(end));
        } else if (auto* s = std::get_if<reset_op>(&op)) {
            r.entries.clear();
            r.start = s->start.offset.value();
            r.start_epoch = s->start.epoch.value();
            // The snapshot comes from the fetch response just delivered.
            if (!cause) fail("a log reset without a fetch response");
            r.start_chain = cause->snapshot_chain;
            r.start_voters = std::get<fetch_response>(cause->e.message).snapshot_voters;
            if (r.start_voters == voters_) r.start_voters.clear();
            r.durable = r.start;
            r.flushes.clear();
            ++stats_.resets;
            note("n" + std::to_string(r.id.value()) + " reset to log start " + std::to_string(r.start));
            if (r.start > static_cast<std::int64_t>(committed_.size())) fail("reset beyond the committed prefix");
            if (r.start > 0 && committed_[static_cast<std::size_t>(r.start - 1)] != r.start_chain) {
                fail("reset to a log start that disagrees with the committed history");
            }
        } else {
            const auto& b = std::get<batch>(op);
            if (b.base.value() != r.end()) fail("append not at the log end");
            const auto* data = static_cast<const values*>(b.data.get());
            for (auto o = b.base.value(); o <= b.last.value(); ++o) {
                std::int64_t value = 0;
                if (b.kind == batch_kind::data) value = (*data)[static_cast<std::size_t>(o - b.base.value())];
                if (b.kind == batch_kind::voters) {
                    value = -1;
                    for (auto v : b.voters) value -= std::int64_t{1} << v.value();
                }
                const auto chain = mix(*r.chain_at(o - 1), b.epoch.value(), value);
                auto [it, inserted] = chain_of_.try_emplace({o, b.epoch.value()}, chain);
                if (!inserted && it->second != chain) {
                    fail("log matching: two different entries at offset " + std::to_string(o) + " in epoch " +
                         std::to_string(b.epoch.value()));
                }
                r.entries.push_back({value, b.epoch.value(), chain, b.kind == batch_kind::voters ? b.voters : std::vector<node_id>{}});
            }
            const auto delay = faults_.max_flush_delay > 0 ? static_cast<std::int64_t>(rng_() % (faults_.max_flush_delay + 1)) : 0;
            r.flushes.push_back({now_ + delay, r.end()});
        }
    }
    for (auto& e : out.messages) {
        ++stats_.messages;
        std::uint64_t chain = 0;
        if (auto* f = std::get_if<fetch_response>(&e.message)) {
            if (f->read_log) {
                // The driver reads the log: up to a random number of entries; data entries of one epoch
                // in a row form one batch, control entries are batches of one.
                const auto want = 1 + static_cast<std::int64_t>(rng_() % 64);
                const auto end = std::min(r.end(), f->fetch_offset.value() + want);
                for (auto o = f->fetch_offset.value(); o < end;) {
                    const auto& en = r.entries[static_cast<std::size_t>(o - r.start)];
                    const auto kind = en.value == 0 ? batch_kind::leader_change : en.value < 0 ? batch_kind::voters : batch_kind::data;
                    auto data = std::make_shared<values>(values{en.value});
                    auto last = o;
                    while (kind == batch_kind::data && last + 1 < end) {
                        const auto& next = r.entries[static_cast<std::size_t>(last + 1 - r.start)];
                        if (next.value <= 0 || next.epoch != en.epoch) break;
                        data->push_back(next.value);
                        ++last;
                    }
                    f->batches.push_back(batch{model::offset(o), model::offset(last), model::leader_epoch(en.epoch), kind,
                                               std::move(data), en.voters});
                    o = last + 1;
                }
                f->read_log = false;
            }
            if (f->snapshot) chain = r.start_chain;
            if (f->snapshot && f->snapshot_voters != r.start_voters && !(r.start_voters.empty() && f->snapshot_voters == voters_)) {
                fail("a snapshot's voter set disagrees with the log's");
            }
        }
        if (!linked(e.from, e.to)) continue;
        auto uniform = std::uniform_real_distribution<double>(0, 1);
        if (uniform(rng_) < faults_.drop) {
            ++stats_.dropped;
            continue;
        }
        const int copies = uniform(rng_) < faults_.duplicate ? 2 : 1;
        for (int i = 0; i < copies; ++i) {
            const auto delay = 1 + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(std::max(1, faults_.max_delay)));
            network_.push_back({now_ + delay, rng_(), e, chain});
        }
    }
    if (out.high_watermark) {
        const auto h = *out.high_watermark;
        if (h <= r.hw && r.hw > r.start) fail("high watermark went back");
        if (h > r.end()) fail("high watermark beyond the log end");
        const auto c = static_cast<std::int64_t>(committed_.size());
        if (r.start > c) fail("log start beyond the committed prefix");
        if (h > 0) {
            if (h <= c) {
                if (r.chain_at(h - 1) != committed_[static_cast<std::size_t>(h - 1)]) {
                    fail("n" + std::to_string(r.id.value()) + " committed offset " + std::to_string(h - 1) +
                         " with another history");
                }
            } else {
                if (c > 0 && r.chain_at(c - 1) != committed_[static_cast<std::size_t>(c - 1)]) {
                    fail("n" + std::to_string(r.id.value()) + " extends the committed prefix from another history");
                }
                for (auto o = c; o < h; ++o) {
                    committed_.push_back(*r.chain_at(o));
                    committed_in_.push_back(r.c->epoch().value());
                }
                // The leader commits with the voter set in force in its log (committed or not): that set's
                // majority now holds the whole prefix.
                if (r.c->role() == raft::role::leader) committed_voters_ = r.c->voters();
            }
        }
        r.hw = h;
    }
    check(r);
}

void simulation::check(replica& r) {
    auto& c = *r.c;
    if (c.log_end().value() != r.end() || c.log_start().value() != r.start) fail("core and log disagree on the log's shape");
    if (c.role() != r.last_role || c.epoch().value() != r.last_epoch) {
        note("n" + std::to_string(r.id.value()) + " " + to_string(c.role()) + " epoch " + std::to_string(c.epoch().value()) +
             " log [" + std::to_string(r.start) + ", " + std::to_string(r.end()) + ") hw " + std::to_string(r.hw));
        if (c.role() == raft::role::leader) {
            ++stats_.elections;
            auto [it, inserted] = leader_of_epoch_.try_emplace(c.epoch().value(), r.id.value());
            if (!inserted && it->second != r.id.value()) {
                fail("election safety: n" + std::to_string(it->second) + " and n" + std::to_string(r.id.value()) +
                     " both led epoch " + std::to_string(c.epoch().value()));
            }
            // Leader completeness: an entry committed in an earlier epoch is in the log of this epoch's
            // leader. (A late winner of an old epoch need not hold what later epochs committed.)
            auto committed = static_cast<std::int64_t>(committed_.size());
            while (committed > 0 && committed_in_[static_cast<std::size_t>(committed - 1)] >= c.epoch().value()) --committed;
            if (committed > 0 && r.chain_at(committed - 1) != committed_[static_cast<std::size_t>(committed - 1)] &&
                r.start < committed) {
                fail("leader completeness: n" + std::to_string(r.id.value()) + " leads epoch " +
                     std::to_string(c.epoch().value()) + " without the committed prefix [0, " + std::to_string(committed) + ")");
            }
        }
        r.last_role = c.role();
        r.last_epoch = c.epoch().value();
    }
}

void simulation::crash(replica& r) {
    // The unflushed tail is torn at a random point: some of it reached the disk, the rest did not.
    const auto unflushed = r.end() - r.durable;
    const auto kept = unflushed > 0 ? static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(unflushed + 1)) : 0;
    r.entries.resize(static_cast<std::size_t>(r.durable + kept - r.start));
    r.flushes.clear();
    r.up = false;
    r.down_until = now_ + 5 + static_cast<std::int64_t>(rng_() % 60);
    r.c.reset();
    ++stats_.crashes;
    note("n" + std::to_string(r.id.value()) + " crashed, log [" + std::to_string(r.start) + ", " + std::to_string(r.end()) + ")");
}

void simulation::restart(replica& r) {
    r.durable = r.end();
    config cfg;
    cfg.self = r.id;
    cfg.voters = voters_;
    cfg.seed = rng_();
    r.c = std::make_unique<core>(cfg, r.disk_state, r.shape());
    r.up = true;
    r.hw = r.c->high_watermark();
    r.last_role = raft::role::unattached;
    r.last_epoch = -1;
    note("n" + std::to_string(r.id.value()) + " started, log [" + std::to_string(r.start) + ", " + std::to_string(r.end()) + ")");
    apply_output(r, r.c->take_output());
}

void simulation::maybe_fault() {
    maybe_resign();
    maybe_reconfigure();
    auto uniform = std::uniform_real_distribution<double>(0, 1);
    auto pick = [&]() -> replica& { return *replicas_[rng_() % replicas_.size()]; };
    if (uniform(rng_) < faults_.crash) {
        auto& r = pick();
        if (r.up) crash(r);
    }
    if (uniform(rng_) < faults_.pause) {
        auto& r = pick();
        if (r.running(now_)) {
            r.paused_until = now_ + 5 + static_cast<std::int64_t>(rng_() % 50);
            note("n" + std::to_string(r.id.value()) + " paused");
        }
    }
    if (uniform(rng_) < faults_.clock_jump) {
        auto& r = pick();
        if (r.running(now_)) {
            const auto jump = 10 + static_cast<int>(rng_() % 40);
            note("n" + std::to_string(r.id.value()) + " clock jumps " + std::to_string(jump) + " ticks");
            for (int i = 0; i < jump && r.up; ++i) {
                r.c->tick();
                apply_output(r, r.c->take_output());
            }
        }
    }
    if (cut_.empty() && uniform(rng_) < faults_.partition) {
        ++stats_.partitions;
        heal_at_ = now_ + 20 + static_cast<std::int64_t>(rng_() % 200);
        std::vector<std::int32_t> ids;
        for (auto& r : replicas_) ids.push_back(r->id.value());
        std::shuffle(ids.begin(), ids.end(), rng_);
        const auto kind = rng_() % 3;
        if (kind == 2) {
            // One way: a's messages to b are lost, b's to a arrive.
            cut_.insert({ids[0], ids[1]});
            note("one-way cut n" + std::to_string(ids[0]) + " -> n" + std::to_string(ids[1]));
        } else {
            // Isolate one replica (kind 0) or split into two random sides (kind 1).
            const std::size_t side = kind == 0 ? 1 : 1 + rng_() % (ids.size() - 1);
            for (std::size_t i = 0; i < side; ++i) {
                for (std::size_t j = side; j < ids.size(); ++j) {
                    cut_.insert({ids[i], ids[j]});
                    cut_.insert({ids[j], ids[i]});
                }
            }
            note("partition of " + std::to_string(side) + " replica(s) from the rest");
        }
    }
    if (uniform(rng_) < faults_.retention) {
        auto& r = pick();
        if (r.running(now_)) {
            const auto limit = std::min(r.c->high_watermark(), r.durable);
            if (limit > r.start) {
                const auto start = r.start + 1 + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(limit - r.start));
                r.start_chain = *r.chain_at(start - 1);
                r.start_epoch = r.entries[static_cast<std::size_t>(start - 1 - r.start)].epoch;
                for (auto o = r.start; o < start; ++o) {
                    const auto& en = r.entries[static_cast<std::size_t>(o - r.start)];
                    if (!en.voters.empty()) r.start_voters = en.voters;
                }
                r.entries.erase(r.entries.begin(), r.entries.begin() + (start - r.start));
                r.start = start;
                r.c->advance_log_start(model::offset(start));
                apply_output(r, r.c->take_output());
            }
        }
    }
}

void simulation::maybe_reconfigure() {
    if (std::uniform_real_distribution<double>(0, 1)(rng_) >= faults_.reconfigure) return;
    for (auto& r : replicas_) {
        if (!r->running(now_) || r->c->role() != raft::role::leader) continue;
        auto next = r->c->voters();
        std::vector<node_id> outside;
        for (auto& o : replicas_) {
            if (std::find(next.begin(), next.end(), o->id) == next.end()) outside.push_back(o->id);
        }
        const bool add = next.size() <= 3 || (!outside.empty() && rng_() % 2 == 0);
        if (add && outside.empty()) return;
        if (add) next.push_back(outside[rng_() % outside.size()]);
        else next.erase(next.begin() + static_cast<std::ptrdiff_t>(rng_() % next.size()));
        if (r->c->propose_voters(next)) {
            ++stats_.reconfigurations;
            note("n" + std::to_string(r->id.value()) + (add ? " adds a voter: " : " removes a voter: ") +
                 std::to_string(next.size()) + " voters");
            apply_output(*r, r->c->take_output());
        }
        return;
    }
}

void simulation::maybe_resign() {
    if (std::uniform_real_distribution<double>(0, 1)(rng_) >= faults_.resign) return;
    for (auto& r : replicas_) {
        if (r->running(now_) && r->c->role() == raft::role::leader) {
            note("n" + std::to_string(r->id.value()) + " resigns");
            ++stats_.resignations;
            r->c->resign();
            apply_output(*r, r->c->take_output());
            return;
        }
    }
}

void simulation::heal() {
    cut_.clear();
    faults_.drop = 0;
    faults_.duplicate = 0;
    faults_.propose = 0;
    for (auto& r : replicas_) {
        if (!r->up) restart(*r);
        r->paused_until = 0;
    }
    note("healed");
}

}  // namespace tributary::raft::testing
