// The registry of API handlers: the one list that decides what this broker serves and advertises.
#include <algorithm>
#include <array>

#include "kafka/handlers/allocate_producer_ids.h"
#include "kafka/handlers/alter_configs.h"
#include "kafka/handlers/consumer_group_describe.h"
#include "kafka/handlers/consumer_group_heartbeat.h"
#include "kafka/handlers/api_versions.h"
#include "kafka/handlers/create_partitions.h"
#include "kafka/handlers/create_topics.h"
#include "kafka/handlers/delete_groups.h"
#include "kafka/handlers/delete_records.h"
#include "kafka/handlers/delete_topics.h"
#include "kafka/handlers/describe_cluster.h"
#include "kafka/handlers/describe_configs.h"
#include "kafka/handlers/describe_groups.h"
#include "kafka/handlers/describe_log_dirs.h"
#include "kafka/handlers/describe_producers.h"
#include "kafka/handlers/fetch.h"
#include "kafka/handlers/find_coordinator.h"
#include "kafka/handlers/handler.h"
#include "kafka/handlers/heartbeat.h"
#include "kafka/handlers/incremental_alter_configs.h"
#include "kafka/handlers/init_producer_id.h"
#include "kafka/handlers/join_group.h"
#include "kafka/handlers/leave_group.h"
#include "kafka/handlers/list_groups.h"
#include "kafka/handlers/list_offsets.h"
#include "kafka/handlers/metadata.h"
#include "kafka/handlers/offset_commit.h"
#include "kafka/handlers/offset_delete.h"
#include "kafka/handlers/offset_fetch.h"
#include "kafka/handlers/raft.h"
#include "kafka/handlers/offset_for_leader_epoch.h"
#include "kafka/handlers/produce.h"
#include "kafka/handlers/sync_group.h"

namespace tributary::kafka {
namespace {

template <typename H>
constexpr handler_entry entry_for() {
    static_assert(H::min_version >= 0 && H::min_version <= H::max_version);
    static_assert(H::max_version <= H::request::max_version, "cannot serve versions the schema lacks");
    std::int16_t advertised_min = H::min_version;
    if constexpr (requires { H::advertised_min_version; }) advertised_min = H::advertised_min_version;
    bool advertised = true;
    if constexpr (requires { H::advertised; }) advertised = H::advertised;
    return handler_entry{H::request::api_key, H::min_version, H::max_version, advertised_min, advertised, &invoke<H>};
}

template <typename... H>
constexpr auto make_registry() {
    std::array<handler_entry, sizeof...(H)> entries{entry_for<H>()...};
    std::sort(entries.begin(), entries.end(),
              [](const handler_entry& a, const handler_entry& b) { return a.api_key < b.api_key; });
    return entries;
}

const auto registry = make_registry<produce_handler, fetch_handler, list_offsets_handler, metadata_handler,
                                    api_versions_handler, init_producer_id_handler, delete_records_handler,
                                    describe_log_dirs_handler, describe_cluster_handler, describe_producers_handler,
                                    create_topics_handler, delete_topics_handler, create_partitions_handler,
                                    describe_configs_handler, alter_configs_handler,
                                    incremental_alter_configs_handler, find_coordinator_handler,
                                    offset_commit_handler, offset_fetch_handler,
                                    consumer_group_heartbeat_handler, consumer_group_describe_handler,
                                    join_group_handler, sync_group_handler, heartbeat_handler,
                                    leave_group_handler, list_groups_handler, describe_groups_handler,
                                    delete_groups_handler, offset_delete_handler,
                                    offset_for_leader_epoch_handler, vote_handler, begin_quorum_epoch_handler,
                                    end_quorum_epoch_handler, allocate_producer_ids_handler>();

}  // namespace

const handler_entry* find_handler(std::int16_t api_key) {
    auto it = std::lower_bound(registry.begin(), registry.end(), api_key,
                               [](const handler_entry& e, std::int16_t k) { return e.api_key < k; });
    return it != registry.end() && it->api_key == api_key ? &*it : nullptr;
}

std::span<const handler_entry> served_apis() { return registry; }

}  // namespace tributary::kafka
