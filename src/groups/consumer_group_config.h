// Reads the consumer group protocol's broker configs (group.consumer.*) from the static broker
// configs, with Kafka's defaults and Kafka's start-up checks (GroupCoordinatorConfig): the heartbeat
// interval within [min, max] and below the session timeout, the session timeout within [min, max],
// and assignors Tributary has.
#pragma once

#include <optional>
#include <string>

#include "cluster/config_types.h"
#include "groups/consumer_group.h"

namespace tributary::groups {

// Fills `out` from `props` (Kafka names; missing ones take the defaults). nullopt iff valid; else
// Kafka's message, e.g. "group.consumer.heartbeat.interval.ms must be less than
// group.consumer.session.timeout.ms".
std::optional<std::string> load_consumer_group_config(const cluster::config_map& props,
                                                      consumer_group_config& out);

}  // namespace tributary::groups
