#include "kafka/handlers/raft.h"

#include <algorithm>

#include "cluster/metadata_log.h"
#include "cluster/partition_manager.h"
#include "cluster/raft_transport.h"
#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "raft/kafka_wire.h"

namespace tributary::kafka {

namespace {

namespace wire = raft::wire;
using cluster::raft_transport;
using model::error_code;

// The longest a replica's fetch is held, whatever it asks for.
constexpr std::chrono::milliseconds max_fetch_wait{30'000};

// Hands each request to its group's replica on the shard that owns the group, all shards at once, and
// returns the answers in request order.
awaitable<std::vector<raft_transport::answer>> serve(const request_context& ctx, model::node_id from,
                                                     std::vector<raft_transport::inbound> requests,
                                                     std::chrono::milliseconds max_wait) {
    const broker_services* broker = ctx.broker;
    if (broker->raft_transports.empty()) {
        std::vector<raft_transport::answer> out(requests.size());
        for (std::size_t i = 0; i < requests.size(); ++i) {
            out[i].group = requests[i].group;
            out[i].error = error_code::unknown_topic_or_partition;
        }
        co_return out;
    }
    // The parts of one request on different shards wake each other (raft_transport.h).
    auto wakeup = std::make_shared<cluster::fetch_wakeup>();
    auto where = [](const raft_transport::inbound& q) {
        return std::pair<const std::string&, std::int32_t>(q.group.topic, q.group.partition);
    };
    auto per_shard = [broker, from, max_wait, wakeup](unsigned shard, std::vector<raft_transport::inbound> mine) {
        return broker->raft_transports[shard]->serve(from, std::move(mine), max_wait, wakeup);
    };
    co_return co_await by_owner_shard<raft_transport::answer>(ctx, std::move(requests), where, per_shard);
}

template <typename Request>
std::vector<raft_transport::inbound> as_inbound(std::vector<wire::addressed<Request>> requests) {
    std::vector<raft_transport::inbound> out;
    out.reserve(requests.size());
    for (auto& r : requests) out.push_back({std::move(r.group), raft::message(std::move(r.message))});
    return out;
}

// The answers as Kafka's per-partition results: the replica's message, or the error why there is none.
template <typename Response>
std::vector<wire::addressed<Response>> as_addressed(std::vector<raft_transport::answer> answers) {
    std::vector<wire::addressed<Response>> out;
    out.reserve(answers.size());
    for (auto& a : answers) {
        wire::addressed<Response> r{std::move(a.group), {}, a.error};
        if (a.message) {
            if (auto* m = std::get_if<Response>(&*a.message)) r.message = std::move(*m);
        }
        out.push_back(std::move(r));
    }
    return out;
}

// A request addressed to another voter (the sender's view of the cluster is wrong).
bool addressed_elsewhere(const request_context& ctx, model::node_id voter_id) {
    return voter_id.value() >= 0 && voter_id != ctx.broker->node_id;
}

// Vote and BeginQuorumEpoch: a request to one voter (voter_id), all groups from one sender, each group
// answered by its replica.
template <typename Answer, typename Response, typename Request, typename Sender, typename Encode>
awaitable<Response> answer_voter(request_context& ctx, model::node_id voter_id,
                                 std::vector<wire::addressed<Request>> requests, Sender sender, Encode encode) {
    Response resp;
    if (addressed_elsewhere(ctx, voter_id)) {
        resp.error_code = model::to_int(error_code::invalid_voter_key);
        co_return resp;
    }
    if (requests.empty()) co_return resp;
    const auto from = sender(requests.front().message);
    auto answers = co_await serve(ctx, from, as_inbound(std::move(requests)), std::chrono::milliseconds(0));
    co_return encode(as_addressed<Answer>(std::move(answers)));
}

}  // namespace

awaitable<protocol::vote_response> vote_handler::handle(request_context& ctx, request req) {
    co_return co_await answer_voter<raft::vote_response, response>(
        ctx, req.voter_id, wire::decode_vote_request(req), [](const raft::vote_request& m) { return m.candidate; },
        wire::encode_vote_response);
}

awaitable<protocol::begin_quorum_epoch_response> begin_quorum_epoch_handler::handle(request_context& ctx, request req) {
    co_return co_await answer_voter<raft::begin_quorum_epoch_response, response>(
        ctx, req.voter_id, wire::decode_begin_quorum_epoch_request(req),
        [](const raft::begin_quorum_epoch_request& m) { return m.leader; }, wire::encode_begin_quorum_epoch_response);
}

awaitable<protocol::end_quorum_epoch_response> end_quorum_epoch_handler::handle(request_context& ctx, request req) {
    auto requests = wire::decode_end_quorum_epoch_request(req);
    response resp;
    if (requests.empty()) co_return resp;
    const auto from = requests.front().message.leader;
    auto answers = co_await serve(ctx, from, as_inbound(std::move(requests)), std::chrono::milliseconds(0));
    // Nothing in the answer matters to the sender beyond whether the group is here.
    for (const auto& a : answers) {
        auto it = std::find_if(resp.topics.begin(), resp.topics.end(),
                               [&](const auto& t) { return t.topic_name == a.group.topic; });
        if (it == resp.topics.end()) {
            resp.topics.emplace_back();
            resp.topics.back().topic_name = a.group.topic;
            it = std::prev(resp.topics.end());
        }
        protocol::end_quorum_epoch_response::partition_data p;
        p.partition_index = a.group.partition;
        p.error_code = model::to_int(a.error);
        p.leader_id = model::node_id(-1);
        p.leader_epoch = -1;
        it->partitions.push_back(p);
    }
    co_return resp;
}

awaitable<protocol::fetch_response> replica_fetch(request_context& ctx, protocol::fetch_request req) {
    const std::int16_t version = ctx.api_version;
    auto requests = wire::decode_fetch_request(req, version);
    if (requests.empty()) co_return protocol::fetch_response{};
    const auto from = requests.front().message.replica;
    // From v13 topics come by id only: the groups are found by name.
    std::vector<wire::fetch_answer> answers(requests.size());
    std::vector<std::size_t> known;
    std::vector<raft_transport::inbound> inbound;
    const auto topics = topics_on(ctx);
    for (std::size_t i = 0; i < requests.size(); ++i) {
        auto& r = requests[i];
        answers[i].group = r.group;
        if (version >= 13 && r.group.topic_id == cluster::metadata_topic_id()) {
            // The metadata log is not a topic of the table.
            r.group.topic = cluster::metadata_group().topic;
            answers[i].group.topic = r.group.topic;
        } else if (version >= 13) {
            const auto* meta = topics->find(r.group.topic_id);
            if (meta == nullptr) {
                answers[i].error = error_code::unknown_topic_id;
                continue;
            }
            r.group.topic = meta->name;
            answers[i].group.topic = meta->name;
        }
        known.push_back(i);
        inbound.push_back({std::move(r.group), raft::message(std::move(r.message))});
    }
    const auto max_wait = std::clamp(std::chrono::milliseconds(req.max_wait_ms), std::chrono::milliseconds(0), max_fetch_wait);
    auto served = co_await serve(ctx, from, std::move(inbound), max_wait);
    for (std::size_t j = 0; j < known.size(); ++j) {
        auto& a = served[j];
        auto& out = answers[known[j]];
        out.error = a.error;
        if (a.message) {
            if (auto* f = std::get_if<raft::fetch_response>(&*a.message)) out.message = std::move(*f);
            out.records = std::move(a.records);
        }
    }
    co_return wire::encode_fetch_response(answers, version);
}

}  // namespace tributary::kafka
