// The vocabulary of Kafka's configs as DescribeConfigs reports them (KIP-226, KIP-569): value types,
// where a value comes from, and the resources that have configs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace tributary::cluster {

// A resource's configs, Kafka name -> value as it was set (not normalised). Ordered, so every listing
// and every record written from it has a stable order.
using config_map = std::map<std::string, std::string, std::less<>>;

// DescribeConfigsResponse ConfigType (KIP-569), the numbers of Kafka's ConfigDef.Type on the wire.
enum class config_type : std::int8_t {
    unknown = 0,
    boolean = 1,
    string = 2,
    int32 = 3,    // INT
    int16 = 4,    // SHORT
    int64 = 5,    // LONG
    float64 = 6,  // DOUBLE
    list = 7,     // comma-separated
    class_name = 8,
    password = 9,
};
std::string_view to_string(config_type t);  // Kafka's name: "LONG", "LIST", ...

// DescribeConfigsResponse ConfigSource (KIP-226): where an effective value comes from, most specific
// first.
enum class config_source : std::int8_t {
    unknown = 0,
    dynamic_topic = 1,           // DYNAMIC_TOPIC_CONFIG: a topic override
    dynamic_broker = 2,          // DYNAMIC_BROKER_CONFIG: set at run time for this broker
    dynamic_default_broker = 3,  // DYNAMIC_DEFAULT_BROKER_CONFIG: set at run time for every broker
    static_broker = 4,           // STATIC_BROKER_CONFIG: server.properties or a command-line flag
    default_config = 5,          // DEFAULT_CONFIG: the built-in default
    dynamic_broker_logger = 6,   // DYNAMIC_BROKER_LOGGER_CONFIG: a log level
    client_metrics = 7,
    group = 8,
};

// ConfigResource.Type on the wire (DescribeConfigs, AlterConfigs, ConfigRecord).
enum class config_resource_type : std::int8_t {
    unknown = 0,
    topic = 2,
    broker = 4,
    broker_logger = 8,
    client_metrics = 16,
    group = 32,
};

// IncrementalAlterConfigs operations (KIP-339).
enum class config_op : std::int8_t { set = 0, remove = 1, append = 2, subtract = 3 };

}  // namespace tributary::cluster
