#include "kafka/handlers/offset_for_leader_epoch.h"

#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;

struct lookup {
    model::topic_partition tp;
    std::int32_t current_leader_epoch = -1;
    std::int32_t leader_epoch = -1;
};

awaitable<cluster::epoch_end_offset> find_end(std::shared_ptr<cluster::partition> p, lookup q) {
    if (!p) co_return cluster::epoch_end_offset{.error = error_code::not_leader_or_follower};
    co_return p->offset_for_leader_epoch(q.current_leader_epoch, q.leader_epoch);
}

}  // namespace

awaitable<protocol::offset_for_leader_epoch_response> offset_for_leader_epoch_handler::handle(request_context& ctx,
                                                                                             request req) {
    auto topics = topics_on(ctx);
    std::vector<lookup> lookups;
    std::vector<bool> known;  // parallel to the request's partitions, in order
    for (const auto& t : req.topics) {
        const auto* meta = topics->find(t.topic);
        for (const auto& p : t.partitions) {
            const bool ok = meta != nullptr && p.partition >= 0 && p.partition < meta->partition_count();
            known.push_back(ok);
            if (ok) lookups.push_back(lookup{model::topic_partition{t.topic, p.partition}, p.current_leader_epoch, p.leader_epoch});
        }
    }
    auto results = co_await on_owner_shards<cluster::epoch_end_offset>(ctx, std::move(lookups), find_end);

    response resp;
    std::size_t i = 0, next_result = 0;
    for (const auto& t : req.topics) {
        auto& out_topic = resp.topics.emplace_back();
        out_topic.topic = t.topic;
        for (const auto& p : t.partitions) {
            auto& out = out_topic.partitions.emplace_back();
            out.partition = p.partition;
            if (!known[i++]) {
                out.error_code = model::to_int(error_code::unknown_topic_or_partition);
                continue;
            }
            const auto& r = results[next_result++];
            out.error_code = model::to_int(r.error);
            out.leader_epoch = r.leader_epoch;
            out.end_offset = r.end_offset;
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
