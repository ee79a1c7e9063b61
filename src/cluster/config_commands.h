// Config changes as the controller plans them (Kafka's ConfigurationControlManager with the checks
// the forwarding broker adds in ConfigAdminManager): each change of a TOPIC or BROKER resource is
// checked against a topic table and becomes ConfigRecords plus one result per resource. No I/O.
// BROKER_LOGGER resources are not persisted and never reach the controller (the handlers apply them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/api_error.h"
#include "cluster/config_types.h"
#include "cluster/topic_commands.h"
#include "cluster/topic_table.h"

namespace tributary::cluster {

struct config_resource {
    config_resource_type type = config_resource_type::unknown;
    std::string name;  // topic name; broker id, or "" for the cluster-wide broker defaults
};

// AlterConfigs (deprecated, still served): the resource's configs become exactly `configs`.
struct legacy_config_change {
    config_resource resource;
    config_map configs;
};

// IncrementalAlterConfigs (KIP-339).
struct incremental_config_op {
    std::string name;
    config_op op = config_op::set;
    std::optional<std::string> value;  // ignored by remove
};

struct incremental_config_change {
    config_resource resource;
    std::vector<incremental_config_op> ops;
};

plan<api_error> plan_alter_configs(const topic_table& table, const std::vector<legacy_config_change>& changes);
plan<api_error> plan_incremental_alter_configs(const topic_table& table,
                                               const std::vector<incremental_config_change>& changes);

}  // namespace tributary::cluster
