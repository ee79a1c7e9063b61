#include "kafka/handlers/describe_log_dirs.h"

#include <sys/statvfs.h>

#include <filesystem>
#include <map>
#include <set>

#include "cluster/partition_manager.h"
#include "net/shard_set.h"
#include "net/when_all.h"

namespace tributary::kafka {
namespace {

struct partition_size {
    model::topic_partition tp;
    std::int64_t size = 0;
    std::int64_t offset_lag = 0;
};

using wanted_set = std::optional<std::set<model::topic_partition>>;  // nullopt: every partition

awaitable<std::vector<partition_size>> sizes_on(cluster::partition_manager* pm, wanted_set wanted) {
    std::vector<partition_size> out;
    for (const auto& [tp, p] : pm->partitions()) {
        if (wanted && !wanted->contains(tp)) continue;
        out.push_back(partition_size{tp, static_cast<std::int64_t>(p->size_bytes()),
                                     std::max<std::int64_t>(0, p->log_end_offset().value() - p->high_watermark().value())});
    }
    co_return out;
}

}  // namespace

awaitable<protocol::describe_log_dirs_response> describe_log_dirs_handler::handle(request_context& ctx, request req) {
    wanted_set wanted;
    if (req.topics) {
        wanted.emplace();
        for (const auto& t : *req.topics)
            for (auto p : t.partitions) wanted->insert(model::topic_partition{t.topic, p});
    }
    const auto* broker = ctx.broker;
    std::vector<awaitable<std::vector<partition_size>>> calls;
    for (unsigned s = 0; s < broker->shards->size(); ++s) {
        auto call = [pm = broker->partition_managers[s], wanted]() { return sizes_on(pm, wanted); };
        calls.push_back(broker->shards->invoke_on(s, std::move(call)));
    }
    auto per_shard = co_await net::when_all(std::move(calls));

    std::map<std::string, std::vector<partition_size>> by_topic;
    for (auto& shard : per_shard)
        for (auto& ps : shard) by_topic[ps.tp.topic].push_back(std::move(ps));

    response resp;
    auto& dir = resp.results.emplace_back();
    std::error_code ec;
    dir.log_dir = std::filesystem::absolute(broker->data_dir, ec).lexically_normal().string();
    struct statvfs fs {};
    if (::statvfs(broker->data_dir.c_str(), &fs) == 0) {
        dir.total_bytes = static_cast<std::int64_t>(fs.f_blocks) * static_cast<std::int64_t>(fs.f_frsize);
        dir.usable_bytes = static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
    }
    for (auto& [name, parts] : by_topic) {
        auto& t = dir.topics.emplace_back();
        t.name = name;
        std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.tp.partition < b.tp.partition; });
        for (const auto& ps : parts) {
            auto& out = t.partitions.emplace_back();
            out.partition_index = ps.tp.partition;
            out.partition_size = ps.size;
            out.offset_lag = ps.offset_lag;
            out.is_future_key = false;
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
