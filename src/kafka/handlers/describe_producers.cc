#include "kafka/handlers/describe_producers.h"

#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using partition_response = protocol::describe_producers_response::partition_response;

struct query {
    model::topic_partition tp;
};

awaitable<partition_response> describe(std::shared_ptr<cluster::partition> p, query q) {
    partition_response out;
    out.partition_index = q.tp.partition;
    if (!p) {
        out.error_code = model::to_int(error_code::not_leader_or_follower);
        co_return out;
    }
    for (const auto& [id, entry] : p->producers().producers()) {
        auto& s = out.active_producers.emplace_back();
        s.producer_id = id;
        s.producer_epoch = entry.epoch.value();
        s.last_sequence = entry.last_sequence();
        s.last_timestamp = entry.last_timestamp;
        s.coordinator_epoch = entry.coordinator_epoch;
        s.current_txn_start_offset = entry.current_txn_first_offset ? entry.current_txn_first_offset->value() : -1;
    }
    co_return out;
}

}  // namespace

awaitable<protocol::describe_producers_response> describe_producers_handler::handle(request_context& ctx,
                                                                                    request req) {
    auto topics = topics_on(ctx);
    std::vector<query> work;
    std::vector<bool> known;
    for (const auto& t : req.topics) {
        const auto* meta = topics->find(t.name);
        for (auto index : t.partition_indexes) {
            bool ok = meta != nullptr && index >= 0 && index < meta->partition_count();
            known.push_back(ok);
            if (ok) work.push_back(query{model::topic_partition{t.name, index}});
        }
    }
    auto results = co_await on_owner_shards<partition_response>(ctx, std::move(work), describe);
    response resp;
    std::size_t i = 0, next = 0;
    for (const auto& t : req.topics) {
        auto& out_topic = resp.topics.emplace_back();
        out_topic.name = t.name;
        for (auto index : t.partition_indexes) {
            if (!known[i++]) {
                auto& out = out_topic.partitions.emplace_back();
                out.partition_index = index;
                out.error_code = model::to_int(error_code::unknown_topic_or_partition);
                continue;
            }
            out_topic.partitions.push_back(std::move(results[next++]));
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
