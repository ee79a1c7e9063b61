#include "groups/coordinator.h"

#include "cluster/partition_manager.h"
#include "cluster/topic_name.h"
#include "groups/coordinator_key.h"

namespace tributary::groups {

group_route coordinator::locate(std::string_view group_id, unsigned shard) const {
    group_route out;
    const auto& topics = metadata_.topics(shard);
    const cluster::topic_metadata* t = topics->find(cluster::consumer_offsets_topic);
    if (t == nullptr || t->partition_count() == 0) {
        out.error = model::error_code::coordinator_not_available;
        return out;
    }
    out.partition = partition_for_group(group_id, t->partition_count());
    out.shard = cluster::owner_shard(cluster::consumer_offsets_topic, out.partition, shard_count());
    const auto& p = *t->partition(out.partition);
    out.node = p.leader;
    if (p.replicas.size() > 1) {
        const auto known = metadata_.leaders.find({t->name, out.partition});
        out.node = known && known->leader ? *known->leader : model::node_id(-1);
    }
    return out;
}

awaitable<group_route> coordinator::ensure_coordinator(std::string group_id, unsigned shard) {
    auto route = locate(group_id, shard);
    if (route.error != model::error_code::none && metadata_.controller != nullptr) {
        std::vector<std::string> names{std::string(cluster::consumer_offsets_topic)};
        auto creating = metadata_.controller->auto_create_topics(std::move(names));
        auto created = co_await std::move(creating);
        // The controller published the topic to every shard before answering.
        route = locate(group_id, shard);
        if (route.error == model::error_code::none && !created.empty() && !created.front().error.ok())
            route.error = model::error_code::coordinator_not_available;
    }
    if (route.error != model::error_code::none) co_return route;
    // Start loading now, so the group is usually ready when the client's JoinGroup arrives.
    auto touch = [](group_manager& m, std::int32_t partition) -> awaitable<int> {
        (void)m.partition_status(partition);
        co_return 0;
    };
    auto loading = on_coordinator(route, touch);
    co_await std::move(loading);
    co_return route;
}

}  // namespace tributary::groups
