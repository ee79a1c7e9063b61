// Effective configs: what a topic or the broker is configured with once overrides, dynamic broker
// configs, server.properties/flags and built-in defaults are layered, and how DescribeConfigs reports
// each value (source and synonyms, as Kafka's ConfigHelper does), plus the checks AlterConfigs and
// CreateTopics apply (Kafka's LogConfig.validate and DynamicBrokerConfig.validate).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/api_error.h"
#include "cluster/config_registry.h"
#include "cluster/config_types.h"
#include "storage/log_config.h"

namespace tributary::cluster {

// The broker's config layers, most specific first. Values are stored as they were set.
struct broker_config_layers {
    std::int32_t node_id = 1;
    config_map dynamic_node;     // DYNAMIC_BROKER_CONFIG: BROKER resource "<node.id>", from the metadata log
    config_map dynamic_default;  // DYNAMIC_DEFAULT_BROKER_CONFIG: BROKER resource "", from the metadata log
    config_map static_props;     // STATIC_BROKER_CONFIG: server.properties and command-line flags

    // The value of broker config `name` in the first layer that has it, else its built-in default;
    // nullopt when none has a value.
    std::optional<std::string> value(std::string_view name) const;
    // Typed reads of configs that always have a value. REQUIRES: `name` is a registered broker
    // config with a default of that type.
    std::int64_t integer(std::string_view name) const;
    bool boolean(std::string_view name) const;

    bool operator==(const broker_config_layers&) const = default;
};

struct described_synonym {
    std::string name;
    std::optional<std::string> value;
    config_source source = config_source::default_config;
    bool operator==(const described_synonym&) const = default;
};

// One DescribeConfigs entry.
struct described_config {
    std::string name;
    std::optional<std::string> value;  // null for sensitive configs and configs without a value
    config_source source = config_source::default_config;
    bool read_only = false;
    bool sensitive = false;
    config_type type = config_type::unknown;
    std::vector<described_synonym> synonyms;  // most specific first
    std::string_view documentation;
};

// Topic configs.
// The effective value of topic config `def` for a topic with `overrides` (canonical form).
std::optional<std::string> effective_topic_value(const config_definition& def, const config_map& overrides,
                                                 const broker_config_layers& broker);
described_config describe_topic_config(const config_definition& def, const config_map& overrides,
                                       const broker_config_layers& broker);
// Every topic config, ordered by name.
std::vector<described_config> describe_topic_configs(const config_map& overrides, const broker_config_layers& broker);

// Broker configs. per_broker: the BROKER resource "<node.id>" (every config, all layers); otherwise
// the resource "" (only the dynamic cluster-wide defaults, as Kafka shows them).
std::vector<described_config> describe_broker_configs(const broker_config_layers& broker, bool per_broker);

// The storage settings of a topic's partitions.
storage::log_config effective_log_config(const config_map& overrides, const broker_config_layers& broker);

// Kafka's checks of a topic's complete set of overrides: unknown names, values, and the rules across
// configs. INVALID_CONFIG with Kafka's message, or none.
api_error validate_topic_configs(const config_map& overrides, const broker_config_layers& broker);

// Kafka's checks of a BROKER resource's complete dynamic configs after a change: names that cannot be
// changed at run time, and values. INVALID_REQUEST with Kafka's message (KAFKA-13609), or none.
// Names we do not know are accepted, as Kafka accepts them.
api_error validate_dynamic_broker_configs(const config_map& configs);

// Checks server.properties and flag values at start-up: every known name's value. Unknown names are
// returned in `unknown` (the caller warns about them).
api_error validate_static_broker_configs(const config_map& props, std::vector<std::string>* unknown);

}  // namespace tributary::cluster
