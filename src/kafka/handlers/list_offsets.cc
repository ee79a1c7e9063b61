#include "kafka/handlers/list_offsets.h"

#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;

constexpr std::int64_t latest = -1;
constexpr std::int64_t earliest = -2;
constexpr std::int64_t max_timestamp = -3;
constexpr std::int64_t earliest_local = -4;
constexpr std::int64_t latest_tiered = -5;
constexpr std::int64_t earliest_pending_upload = -6;

struct lookup {
    model::topic_partition tp;
    std::int64_t timestamp = 0;
    std::int32_t current_leader_epoch = -1;
    bool read_committed = false;
};

struct found {
    error_code error = error_code::none;
    std::int64_t timestamp = -1;
    std::int64_t offset = -1;
    std::int32_t leader_epoch = -1;
};

// Separate statements, not `cond ? co_await a : co_await b`: GCC 12 mishandles the temporaries of a
// co_await inside a conditional expression.
awaitable<util::result<std::optional<storage::timestamp_offset>, storage::storage_error>> by_timestamp(
    cluster::partition& p, std::int64_t timestamp, cluster::read_bound bound) {
    if (timestamp == max_timestamp) co_return co_await p.max_timestamp_offset(bound);
    co_return co_await p.offset_for_timestamp(timestamp, bound);
}

awaitable<found> find_offset(std::shared_ptr<cluster::partition> p, lookup q) {
    found out;
    if (!p) {
        out.error = error_code::not_leader_or_follower;
        co_return out;
    }
    if (auto e = p->check_leader_epoch(q.current_leader_epoch); e != error_code::none) {
        out.error = e;
        co_return out;
    }
    const auto epoch = p->leader_epoch().value();
    const auto bound = q.read_committed ? cluster::read_bound::last_stable : cluster::read_bound::high_watermark;
    switch (q.timestamp) {
    case latest:
        out.offset = p->offset_of(bound).value();
        out.leader_epoch = epoch;
        co_return out;
    case earliest:
    case earliest_local:
        out.offset = p->log_start_offset().value();
        out.leader_epoch = epoch;
        co_return out;
    case latest_tiered:
    case earliest_pending_upload:
        co_return out;  // nothing is tiered: offset -1
    default:
        break;
    }
    if (q.timestamp < 0 && q.timestamp != max_timestamp) {
        out.error = error_code::invalid_request;
        co_return out;
    }
    auto r = co_await by_timestamp(*p, q.timestamp, bound);
    if (!r) {
        out.error = storage::to_error_code(r.error());
        co_return out;
    }
    if (*r) {
        out.timestamp = (*r)->timestamp;
        out.offset = (*r)->offset.value();
        out.leader_epoch = epoch;
    }
    co_return out;
}

}  // namespace

awaitable<protocol::list_offsets_response> list_offsets_handler::handle(request_context& ctx, request req) {
    auto topics = topics_on(ctx);
    std::vector<lookup> lookups;
    std::vector<error_code> precheck;  // parallel to the request's partitions, in order
    for (const auto& t : req.topics) {
        const auto* meta = topics->find(t.name);
        for (const auto& p : t.partitions) {
            if (meta == nullptr || p.partition_index < 0 || p.partition_index >= meta->partition_count()) {
                precheck.push_back(error_code::unknown_topic_or_partition);
                continue;
            }
            precheck.push_back(error_code::none);
            lookups.push_back(lookup{model::topic_partition{t.name, p.partition_index}, p.timestamp,
                                     p.current_leader_epoch, req.isolation_level == 1});
        }
    }
    auto results = co_await on_owner_shards<found>(ctx, std::move(lookups), find_offset);

    response resp;
    std::size_t i = 0, next_result = 0;
    for (const auto& t : req.topics) {
        auto& out_topic = resp.topics.emplace_back();
        out_topic.name = t.name;
        for (const auto& p : t.partitions) {
            auto& out = out_topic.partitions.emplace_back();
            out.partition_index = p.partition_index;
            if (precheck[i++] != error_code::none) {
                out.error_code = model::to_int(error_code::unknown_topic_or_partition);
                continue;
            }
            const auto& r = results[next_result++];
            out.error_code = model::to_int(r.error);
            out.timestamp = r.timestamp;
            out.offset = r.offset;
            out.leader_epoch = r.leader_epoch;
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
