#include "kafka/handlers/delete_records.h"

#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;

struct deletion {
    model::topic_partition tp;
    std::int64_t offset = 0;
};

struct deleted {
    error_code error = error_code::none;
    std::int64_t low_watermark = -1;
};

awaitable<deleted> delete_before(std::shared_ptr<cluster::partition> p, deletion d) {
    deleted out;
    if (!p) {
        out.error = error_code::not_leader_or_follower;
        co_return out;
    }
    // Kafka: -1 means "up to the high watermark"; anything else must lie in [0, high watermark].
    const std::int64_t hw = p->high_watermark().value();
    std::int64_t target = d.offset == -1 ? hw : d.offset;
    if (target < 0 || target > hw) {
        out.error = error_code::offset_out_of_range;
        out.low_watermark = p->log_start_offset().value();
        co_return out;
    }
    auto r = co_await p->delete_records_before(model::offset(target));
    if (!r) {
        out.error = storage::to_error_code(r.error());
        co_return out;
    }
    out.low_watermark = r->value();
    co_return out;
}

}  // namespace

awaitable<protocol::delete_records_response> delete_records_handler::handle(request_context& ctx, request req) {
    auto topics = topics_on(ctx);
    std::vector<deletion> work;
    std::vector<bool> known;
    std::vector<bool> internal;
    for (const auto& t : req.topics) {
        const auto* meta = topics->find(t.name);
        for (const auto& p : t.partitions) {
            bool ok = meta != nullptr && p.partition_index >= 0 && p.partition_index < meta->partition_count();
            // Kafka never deletes records of an internal topic (ReplicaManager): INVALID_TOPIC_EXCEPTION.
            internal.push_back(ok && meta->internal);
            ok = ok && !meta->internal;
            known.push_back(ok);
            if (ok) work.push_back(deletion{model::topic_partition{t.name, p.partition_index}, p.offset});
        }
    }
    auto results = co_await on_owner_shards<deleted>(ctx, std::move(work), delete_before);
    response resp;
    std::size_t i = 0, next = 0;
    for (const auto& t : req.topics) {
        auto& out_topic = resp.topics.emplace_back();
        out_topic.name = t.name;
        for (const auto& p : t.partitions) {
            auto& out = out_topic.partitions.emplace_back();
            out.partition_index = p.partition_index;
            if (internal[i]) {
                ++i;
                out.error_code = model::to_int(error_code::invalid_topic_exception);
                out.low_watermark = -1;
                continue;
            }
            if (!known[i++]) {
                out.error_code = model::to_int(error_code::unknown_topic_or_partition);
                out.low_watermark = -1;
                continue;
            }
            const auto& r = results[next++];
            out.error_code = model::to_int(r.error);
            out.low_watermark = r.low_watermark;
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
