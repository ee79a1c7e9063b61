// Carries the Raft messages of one shard's replicas to and from the other brokers.
//
// Outbound, requests (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch) are queued per peer and per API
// and go out as one Kafka request per peer carrying every group that has something to say
// (raft/kafka_wire.h), over two rpc::clients per peer: one for Fetch, which the leader may hold for a
// while (long poll), and one for the others, whose answers must not wait behind a held Fetch (responses
// come back in request order). One request per peer and API is in flight; newer messages for a group
// replace older ones still queued. After a Fetch answer the next Fetch waits until every group it
// answered has asked again (at most fetch_gather_max): a follower flushes what an answer brought before
// it fetches again (Raft counts its fetch offset as durable), so its groups are ready at different
// moments, and a request sent for the first ones would be held by the leader while the others, with
// data waiting, queue behind it. Kafka's replica fetcher builds each request from all its partitions
// for the same reason. The answers are handed to the replicas as messages. A call that fails is
// dropped: the cores send again (a fetch after request_retry_ticks, a vote in the next round).
//
// Inbound, the request handlers (kafka/handlers/raft.cc) call serve() on the shard that owns the groups:
// each request is handed to its replica, and the replica's answer, which the core sends as a message
// through send(), is matched to the waiting request and returned to the handler. A replica Fetch that
// carries many groups is answered once every group has answered; a leader holds a caught-up follower's
// fetch until there is something new, so as soon as one group answers (or max_wait passes) the others
// are asked to answer at once (raft::core::answer_parked_fetch), on every shard the request reached
// (fetch_wakeup). Kafka's replica fetches behave the same way: one group with data answers the whole
// request.
//
// Owned by one shard: every member runs on `executor`, and so does every replica added.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/error_code.h"
#include "model/fundamental.h"
#include "net/asio.h"
#include "protocol/records.h"
#include "raft/replica.h"
#include "rpc/client.h"

namespace tributary::cluster {

struct raft_transport_options {
    // Fetch: how long a leader may hold a follower's fetch (Kafka's replica.fetch.wait.max.ms), and the
    // bytes of one partition in one answer (replica.fetch.max.bytes).
    std::chrono::milliseconds fetch_max_wait{500};
    std::int32_t partition_max_bytes = 1 << 20;
    // How long a request may wait for its replicas' answers beyond max_wait before the groups still
    // unanswered are answered REQUEST_TIMED_OUT (a replica that stopped, or a slow disk).
    std::chrono::milliseconds answer_timeout{2'000};
    // The client's timeout for one call (beyond max_wait for a Fetch).
    std::chrono::milliseconds call_timeout{5'000};
    // How long the next Fetch to a peer waits for the groups of the last answer to ask again.
    std::chrono::milliseconds fetch_gather_max{200};
    std::string client_id = "tributary-raft";
};

// The versions this transport speaks, and that the handlers serve.
inline constexpr std::int16_t raft_vote_version = 2;                // pre-vote (KIP-996)
inline constexpr std::int16_t raft_begin_quorum_epoch_version = 1;
inline constexpr std::int16_t raft_end_quorum_epoch_version = 1;
inline constexpr std::int16_t raft_fetch_version = 17;              // topic ids, ReplicaState

// Shared by the shard parts of one inbound Fetch: the first part to get an answer fires it, and every
// part then asks its held fetches to answer. Thread-safe.
class fetch_wakeup {
public:
    // Registers `wake`, called (on any thread) when fired; false (and not registered) if already fired.
    bool subscribe(std::function<void()> wake);
    void fire();

private:
    std::mutex mutex_;
    bool fired_ = false;
    std::vector<std::function<void()>> wakes_;
};

class raft_transport final : public raft::transport {
public:
    using clock = std::chrono::steady_clock;

    // One request of a peer for one group, and the answer to it. `message` is the replica's answer
    // (null for EndQuorumEpoch, which has none, and when `error` says why there is none); `records` are
    // what a leader read for a fetch answer.
    struct inbound {
        raft::wire::group_key group;
        raft::message message;
    };
    struct answer {
        raft::wire::group_key group;
        std::optional<raft::message> message;
        protocol::records records;
        model::error_code error = model::error_code::none;
    };

    raft_transport(asio::any_io_executor executor, model::node_id self, raft_transport_options options = {});
    ~raft_transport() override;

    // Where a peer listens. Messages to a peer without an address are dropped.
    void set_peer(model::node_id id, std::string host, std::uint16_t port);

    // The replicas of this shard, by (topic, partition). REQUIRES: `r` stays alive until removed.
    void add(const raft::wire::group_key& group, raft::replica& r);
    void remove(const raft::wire::group_key& group);
    raft::replica* find(const std::string& topic, std::int32_t partition) const;

    // raft::transport: a request is queued for its peer; an answer goes to the request it answers.
    void send(const raft::wire::group_key& group, raft::envelope e, protocol::records records) override;

    // Hands `requests`, all from `from`, to their replicas and returns one answer per request, in order.
    // A Fetch waits for at most `max_wait` before its held groups are asked to answer; `wakeup` (may be
    // null) ties this part to the other shards' parts of the same request.
    awaitable<std::vector<answer>> serve(model::node_id from, std::vector<inbound> requests,
                                         std::chrono::milliseconds max_wait, std::shared_ptr<fetch_wakeup> wakeup);

    // Closes the clients and answers every waiting request; completes once every coroutine has finished.
    // REQUIRES: called once; the replicas are stopped first or after, either works.
    awaitable<void> stop();

private:
    enum api : std::size_t { vote, begin_quorum_epoch, end_quorum_epoch, fetch, api_count };
    using group_name = std::pair<std::string, std::int32_t>;

    struct peer {
        model::node_id id;
        std::unique_ptr<rpc::client> control;  // Vote, BeginQuorumEpoch, EndQuorumEpoch
        std::unique_ptr<rpc::client> fetcher;  // Fetch
        // The groups the last Fetch answer went to, until each has queued its next fetch.
        std::set<group_name> expected;
        std::unique_ptr<asio::steady_timer> gather;  // cancelled when a fetch is queued
        // Per API: the newest message per group, waiting for the next request.
        std::array<std::map<group_name, std::pair<raft::wire::group_key, raft::message>>, api_count> queued;
        std::array<bool, api_count> in_flight{};
    };

    // One inbound request of one group, waiting for its replica's answer.
    struct slot;
    struct waiter;

    void queue(peer& p, api a, const raft::wire::group_key& group, raft::message m);
    // Sends what is queued for `a` unless a request is in flight (or a Fetch is gathering).
    void pump(peer& p, api a);
    awaitable<void> send_batch(peer& p, api a, std::vector<std::pair<raft::wire::group_key, raft::message>> batch);
    awaitable<void> call(peer& p, api a, std::vector<std::pair<raft::wire::group_key, raft::message>> batch);
    // A request fetches a group again while an earlier request of the same follower still waits for it
    // (the follower retried): the leader's core holds only the newest fetch, so the earlier one gets no
    // answer and is given up at once.
    void abandon_earlier(model::node_id from, const std::vector<inbound>& requests);
    void deliver(model::node_id from, const raft::wire::group_key& group, raft::message m);
    void answer_slot(const raft::wire::group_key& group, model::node_id to, raft::message m, protocol::records records);
    void spawn(awaitable<void> task);

    asio::any_io_executor executor_;
    model::node_id self_;
    raft_transport_options options_;
    std::map<model::node_id, std::unique_ptr<peer>> peers_;
    std::map<group_name, raft::replica*> replicas_;
    // Waiting inbound requests by (group, peer).
    std::multimap<std::pair<group_name, model::node_id>, std::shared_ptr<slot>> slots_;
    std::vector<std::weak_ptr<waiter>> waiters_;
    bool stopped_ = false;
    int tasks_ = 0;
    net::event tasks_done_;
};

}  // namespace tributary::cluster
