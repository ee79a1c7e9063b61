#include "cluster/raft_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/messages/end_quorum_epoch_response.h"
#include "raft/kafka_wire.h"

namespace tributary::cluster {

namespace wire = raft::wire;

// ---- fetch_wakeup ------------------------------------------------------------------------------------

bool fetch_wakeup::subscribe(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    if (fired_) return false;
    wakes_.push_back(std::move(wake));
    return true;
}

void fetch_wakeup::fire() {
    std::vector<std::function<void()>> wakes;
    {
        std::lock_guard lock(mutex_);
        if (fired_) return;
        fired_ = true;
        wakes.swap(wakes_);
    }
    for (auto& w : wakes) w();
}

// ---- raft_transport ----------------------------------------------------------------------------------

struct raft_transport::waiter {
    explicit waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    bool changed = false;     // something happened since the serve loop last looked
    bool answer_now = false;  // another shard's part of the request has an answer
};

struct raft_transport::slot {
    std::shared_ptr<waiter> w;
    raft::message request;
    std::optional<raft::message> answer;
    protocol::records records;
    bool abandoned = false;  // a newer request fetches the same group: this one gets no answer
};

namespace {

// Whether `answer`, sent by a replica to the peer of `request`, answers it.
bool answers(const raft::message& request, const raft::message& answer) {
    if (const auto* q = std::get_if<raft::vote_request>(&request)) {
        const auto* a = std::get_if<raft::vote_response>(&answer);
        return a != nullptr && a->candidate_epoch == q->candidate_epoch && a->pre_vote == q->pre_vote;
    }
    if (std::holds_alternative<raft::begin_quorum_epoch_request>(request)) {
        return std::holds_alternative<raft::begin_quorum_epoch_response>(answer);
    }
    if (const auto* q = std::get_if<raft::fetch_request>(&request)) {
        const auto* a = std::get_if<raft::fetch_response>(&answer);
        return a != nullptr && a->sequence == q->sequence;
    }
    return false;
}

template <typename T>
std::vector<wire::addressed<T>> addressed_as(std::vector<std::pair<wire::group_key, raft::message>>& batch) {
    std::vector<wire::addressed<T>> out;
    out.reserve(batch.size());
    for (auto& [group, m] : batch) out.push_back({std::move(group), std::get<T>(std::move(m))});
    return out;
}

}  // namespace

raft_transport::raft_transport(asio::any_io_executor executor, model::node_id self, raft_transport_options options)
    : executor_(executor), self_(self), options_(std::move(options)), tasks_done_(executor) {}

raft_transport::~raft_transport() = default;

void raft_transport::set_peer(model::node_id id, std::string host, std::uint16_t port) {
    if (id == self_ || peers_.contains(id)) return;
    auto p = std::make_unique<peer>();
    p->id = id;
    rpc::client_config c;
    c.host = std::move(host);
    c.port = port;
    c.client_id = options_.client_id + "-" + std::to_string(self_.value());
    p->control = std::make_unique<rpc::client>(executor_, c);
    p->fetcher = std::make_unique<rpc::client>(executor_, c);
    p->gather = std::make_unique<asio::steady_timer>(executor_);
    peers_.emplace(id, std::move(p));
}

void raft_transport::add(const wire::group_key& group, raft::replica& r) { replicas_[{group.topic, group.partition}] = &r; }

void raft_transport::remove(const wire::group_key& group) { replicas_.erase({group.topic, group.partition}); }

raft::replica* raft_transport::find(const std::string& topic, std::int32_t partition) const {
    auto it = replicas_.find({topic, partition});
    return it == replicas_.end() ? nullptr : it->second;
}

void raft_transport::spawn(awaitable<void> task) {
    ++tasks_;
    asio::co_spawn(executor_, std::move(task), [this](std::exception_ptr e) {
        if (--tasks_ == 0) tasks_done_.notify();
        if (e) std::rethrow_exception(e);
    });
}

void raft_transport::send(const wire::group_key& group, raft::envelope e, protocol::records records) {
    if (stopped_) return;
    auto to_peer = [&](api a) {
        auto it = peers_.find(e.to);
        if (it != peers_.end()) queue(*it->second, a, group, std::move(e.message));
    };
    const auto& m = e.message;
    if (std::holds_alternative<raft::vote_request>(m)) to_peer(vote);
    else if (std::holds_alternative<raft::begin_quorum_epoch_request>(m)) to_peer(begin_quorum_epoch);
    else if (std::holds_alternative<raft::end_quorum_epoch_request>(m)) to_peer(end_quorum_epoch);
    else if (std::holds_alternative<raft::fetch_request>(m)) to_peer(fetch);
    else answer_slot(group, e.to, std::move(e.message), std::move(records));
}

void raft_transport::queue(peer& p, api a, const wire::group_key& group, raft::message m) {
    // A newer message for the group replaces one still waiting: the core has moved on from it.
    p.queued[a].insert_or_assign({group.topic, group.partition}, std::make_pair(group, std::move(m)));
    if (a == fetch && !p.expected.empty()) {
        p.gather->cancel();  // the gathering send_batch looks again
        return;
    }
    pump(p, a);
}

void raft_transport::pump(peer& p, api a) {
    if (stopped_ || p.in_flight[a] || p.queued[a].empty() || (a == fetch && !p.expected.empty())) return;
    std::vector<std::pair<wire::group_key, raft::message>> batch;
    batch.reserve(p.queued[a].size());
    for (auto& [name, entry] : p.queued[a]) batch.push_back(std::move(entry));
    p.queued[a].clear();
    p.in_flight[a] = true;
    spawn(send_batch(p, a, std::move(batch)));
}

awaitable<void> raft_transport::send_batch(peer& p, api a, std::vector<std::pair<wire::group_key, raft::message>> batch) {
    co_await call(p, a, std::move(batch));  // a Fetch's answers fill p.expected
    if (a == fetch) {
        const auto until = clock::now() + options_.fetch_gather_max;
        auto all_asked = [&] {
            return std::all_of(p.expected.begin(), p.expected.end(),
                               [&](const group_name& g) { return p.queued[fetch].contains(g); });
        };
        while (!stopped_ && !all_asked() && clock::now() < until) {
            p.gather->expires_at(until);
            boost::system::error_code ec;
            co_await p.gather->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        p.expected.clear();
    }
    p.in_flight[a] = false;
    pump(p, a);
}

awaitable<void> raft_transport::call(peer& p, api a, std::vector<std::pair<wire::group_key, raft::message>> batch) {
    const auto timeout = options_.call_timeout;
    switch (a) {
        case vote: {
            auto sent = addressed_as<raft::vote_request>(batch);
            auto r = co_await p.control->call<protocol::vote_response>(wire::encode_vote_request(sent, p.id),
                                                                       raft_vote_version, timeout);
            if (!r) break;
            for (auto& v : wire::decode_vote_response(*r, sent)) {
                if (v.error == model::error_code::none) deliver(p.id, v.group, std::move(v.message));
            }
            break;
        }
        case begin_quorum_epoch: {
            auto sent = addressed_as<raft::begin_quorum_epoch_request>(batch);
            auto r = co_await p.control->call<protocol::begin_quorum_epoch_response>(
                wire::encode_begin_quorum_epoch_request(sent, p.id), raft_begin_quorum_epoch_version, timeout);
            if (!r) break;
            for (auto& v : wire::decode_begin_quorum_epoch_response(*r)) {
                if (v.error == model::error_code::none) deliver(p.id, v.group, std::move(v.message));
            }
            break;
        }
        case end_quorum_epoch: {
            auto sent = addressed_as<raft::end_quorum_epoch_request>(batch);
            // The answer carries nothing raft acts on.
            co_await p.control->call<protocol::end_quorum_epoch_response>(wire::encode_end_quorum_epoch_request(sent),
                                                                          raft_end_quorum_epoch_version, timeout);
            break;
        }
        case fetch: {
            auto sent = addressed_as<raft::fetch_request>(batch);
            auto request = wire::encode_fetch_request(sent, raft_fetch_version,
                                                      static_cast<std::int32_t>(options_.fetch_max_wait.count()),
                                                      options_.partition_max_bytes);
            auto r = co_await p.fetcher->call<protocol::fetch_response>(
                std::move(request), raft_fetch_version, options_.fetch_max_wait + options_.answer_timeout + timeout);
            if (!r) break;
            if (r->error_code != 0) {
                spdlog::debug("raft: fetch from node {} failed: error {}", p.id.value(), r->error_code);
                break;
            }
            for (auto& v : wire::decode_fetch_response(*r, raft_fetch_version, sent, nullptr)) {
                if (v.error != model::error_code::none) continue;
                if (v.message.error == raft::fetch_error::none && find(v.group.topic, v.group.partition) != nullptr) {
                    p.expected.insert({v.group.topic, v.group.partition});
                }
                deliver(p.id, v.group, std::move(v.message));
            }
            break;
        }
        case api_count: break;
    }
}

void raft_transport::deliver(model::node_id from, const wire::group_key& group, raft::message m) {
    if (stopped_) return;
    if (auto* r = find(group.topic, group.partition)) r->receive(raft::envelope{from, self_, std::move(m)});
}

void raft_transport::answer_slot(const wire::group_key& group, model::node_id to, raft::message m,
                                 protocol::records records) {
    auto [first, last] = slots_.equal_range({{group.topic, group.partition}, to});
    for (auto it = first; it != last; ++it) {
        auto& s = *it->second;
        if (s.answer || !answers(s.request, m)) continue;
        s.answer = std::move(m);
        s.records = std::move(records);
        s.w->changed = true;
        s.w->timer.cancel();
        return;
    }
    // Nobody waits for it any more (the request timed out): dropped, as a late answer on the wire would be.
}

awaitable<std::vector<raft_transport::answer>> raft_transport::serve(model::node_id from, std::vector<inbound> requests,
                                                                     std::chrono::milliseconds max_wait,
                                                                     std::shared_ptr<fetch_wakeup> wakeup) {
    std::vector<answer> out(requests.size());
    auto w = std::make_shared<waiter>(executor_);
    abandon_earlier(from, requests);
    std::vector<std::shared_ptr<slot>> mine(requests.size());
    std::vector<decltype(slots_)::iterator> registered;
    bool any_fetch = false;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        auto& q = requests[i];
        out[i].group = q.group;
        auto* r = stopped_ ? nullptr : find(q.group.topic, q.group.partition);
        if (r == nullptr) {
            out[i].error = model::error_code::unknown_topic_or_partition;
            continue;
        }
        if (!std::holds_alternative<raft::end_quorum_epoch_request>(q.message)) {
            any_fetch = any_fetch || std::holds_alternative<raft::fetch_request>(q.message);
            mine[i] = std::make_shared<slot>(slot{w, q.message, std::nullopt, {}});
            registered.push_back(slots_.emplace(std::make_pair(group_name{q.group.topic, q.group.partition}, from), mine[i]));
        }
        r->receive(raft::envelope{from, self_, std::move(q.message)});
    }
    waiters_.push_back(w);
    if (wakeup && any_fetch) {
        std::weak_ptr<waiter> weak = w;
        auto ex = executor_;
        const bool subscribed = wakeup->subscribe([ex, weak] {
            asio::post(ex, [weak] {
                if (auto w = weak.lock()) {
                    w->answer_now = w->changed = true;
                    w->timer.cancel();
                }
            });
        });
        if (!subscribed) w->answer_now = true;
    }

    const auto ask_at = clock::now() + max_wait;
    const auto give_up = ask_at + options_.answer_timeout;
    bool asked = false;
    while (!stopped_) {
        w->changed = false;
        std::size_t open = 0;
        bool answered = false;
        for (const auto& s : mine) {
            if (!s) continue;
            if (s->answer) answered = true;
            else if (!s->abandoned) ++open;
        }
        if (answered && wakeup) wakeup->fire();
        if (open == 0) break;
        const auto now = clock::now();
        if (now >= give_up) break;
        if (!asked && (answered || w->answer_now || now >= ask_at)) {
            asked = true;
            for (std::size_t i = 0; i < mine.size(); ++i) {
                if (!mine[i] || mine[i]->answer || mine[i]->abandoned ||
                    !std::holds_alternative<raft::fetch_request>(mine[i]->request)) {
                    continue;
                }
                if (auto* r = find(requests[i].group.topic, requests[i].group.partition)) r->answer_parked_fetch(from);
            }
            continue;  // answering may have filled slots already
        }
        w->timer.expires_at(asked ? give_up : ask_at);
        boost::system::error_code ec;
        co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

    for (auto it : registered) slots_.erase(it);
    std::erase_if(waiters_, [](const auto& weak) { return weak.expired(); });
    for (std::size_t i = 0; i < mine.size(); ++i) {
        if (!mine[i]) continue;
        if (mine[i]->answer) {
            out[i].message = std::move(mine[i]->answer);
            out[i].records = std::move(mine[i]->records);
        } else {
            out[i].error = model::error_code::request_timed_out;
        }
    }
    co_return out;
}

void raft_transport::abandon_earlier(model::node_id from, const std::vector<inbound>& requests) {
    for (const auto& q : requests) {
        if (!std::holds_alternative<raft::fetch_request>(q.message)) continue;
        auto [first, last] = slots_.equal_range({{q.group.topic, q.group.partition}, from});
        for (auto it = first; it != last; ++it) {
            auto& s = *it->second;
            if (s.answer || s.abandoned || !std::holds_alternative<raft::fetch_request>(s.request)) continue;
            s.abandoned = true;
            s.w->changed = true;
            s.w->timer.cancel();
        }
    }
}

awaitable<void> raft_transport::stop() {
    stopped_ = true;
    for (auto& weak : waiters_) {
        if (auto w = weak.lock()) w->timer.cancel();
    }
    for (auto& [id, p] : peers_) {
        co_await p->control->close();
        p->gather->cancel();
        co_await p->fetcher->close();
    }
    while (tasks_ > 0) co_await tasks_done_.wait();
}

}  // namespace tributary::cluster
