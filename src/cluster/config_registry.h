// The configs Tributary knows: every topic config of Kafka 4.x and the broker configs that clients and
// tools ask for, each with Kafka's name, type, default, valid values, our own documentation, and how
// topic configs take their defaults from broker configs (retention.ms <- log.retention.ms <-
// log.retention.minutes <- log.retention.hours).
//
// Values are parsed and checked as Kafka's ConfigDef does (trimmed; LONG/INT/SHORT/DOUBLE/BOOLEAN/LIST
// parsing; "at least", "between", "one of"), with Kafka's error messages, because tools show them to
// users. A config marked `enforced = false` is accepted, stored and described but Tributary does not
// act on it yet; docs/compatibility.md lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/config_types.h"

namespace tributary::cluster {

// A broker config that gives a topic config its default, and the factor from its unit to the topic
// config's (log.retention.hours -> retention.ms: 3,600,000).
struct config_synonym {
    std::string_view name;
    std::int64_t factor = 1;
};

// What values a config accepts beyond its type (Kafka's ConfigDef validators).
struct value_check {
    enum class kind : std::uint8_t {
        none,
        at_least,            // number >= lo
        between,             // lo <= number <= hi
        one_of,              // a string in `values` (case-sensitive)
        each_one_of,         // a list whose every element is in `values`, none empty
        gzip_level,          // -1 or 1..9
        throttled_replicas,  // "*" or "partition:broker,..."
    };
    kind what = kind::none;
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    std::span<const std::string_view> values = {};
};

struct config_definition {
    std::string_view name;
    config_type type = config_type::string;
    // The default as Kafka prints it; nullopt: no default (DescribeConfigs shows null).
    std::optional<std::string_view> default_value;
    value_check check;
    std::string_view documentation;
    // Topic configs: the broker configs supplying the default, highest priority first.
    // Broker configs: the broker configs that set the same thing (itself included), in priority order.
    std::span<const config_synonym> synonyms = {};
    // Broker configs: may be changed at run time with (Incremental)AlterConfigs (Kafka's dynamic
    // update mode); topic configs are always alterable.
    bool dynamic = false;
    // false: accepted and kept, but Tributary does not act on it yet.
    bool enforced = true;
};

// Lookups; null for a name we do not know.
const config_definition* find_topic_config(std::string_view name);
const config_definition* find_broker_config(std::string_view name);
std::span<const config_definition> topic_config_definitions();   // ordered by name
std::span<const config_definition> broker_config_definitions();  // ordered by name

// PASSWORD values and values of unknown type are never shown (Kafka's KafkaConfig.maybeSensitive).
inline bool is_sensitive(config_type t) { return t == config_type::password || t == config_type::unknown; }

// Checks `raw` as a value of `def`. nullopt iff valid; otherwise Kafka's message, e.g.
// "Invalid value abc for configuration retention.ms: Not a number of type LONG".
std::optional<std::string> check_value(const config_definition& def, std::string_view raw);

// The value as Kafka prints it once parsed: trimmed, list elements joined with ",", booleans lower
// case, doubles as Java prints them. REQUIRES: check_value(def, raw) accepted it.
std::string canonical_value(const config_definition& def, std::string_view raw);

// Typed reads. REQUIRES: check_value accepted `raw` for a config of the matching type.
std::int64_t integer_value(std::string_view raw);  // INT, SHORT, LONG
double double_value(std::string_view raw);
bool bool_value(std::string_view raw);
std::vector<std::string> list_value(std::string_view raw);

// Java's Double.toString, which Kafka uses to print DOUBLE configs ("0.5", "1.0E10").
std::string java_double_string(double d);

}  // namespace tributary::cluster
