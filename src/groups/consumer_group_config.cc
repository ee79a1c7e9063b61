#include "groups/consumer_group_config.h"

#include "cluster/config_registry.h"

namespace tributary::groups {
namespace {

std::int32_t int_config(const cluster::config_map& props, std::string_view name) {
    auto it = props.find(name);
    if (it != props.end()) return static_cast<std::int32_t>(cluster::integer_value(it->second));
    const auto* def = cluster::find_broker_config(name);
    return static_cast<std::int32_t>(cluster::integer_value(*def->default_value));
}

// Kafka configures assignors by class name; Tributary knows its two by their short names too.
const partition_assignor* assignor_named(std::string_view name) {
    if (name == "org.apache.kafka.coordinator.group.assignor.UniformAssignor") name = "uniform";
    if (name == "org.apache.kafka.coordinator.group.assignor.RangeAssignor") name = "range";
    return find_assignor(name);
}

}  // namespace

std::optional<std::string> load_consumer_group_config(const cluster::config_map& props,
                                                      consumer_group_config& out) {
    const auto session = int_config(props, "group.consumer.session.timeout.ms");
    const auto min_session = int_config(props, "group.consumer.min.session.timeout.ms");
    const auto max_session = int_config(props, "group.consumer.max.session.timeout.ms");
    const auto heartbeat = int_config(props, "group.consumer.heartbeat.interval.ms");
    const auto min_heartbeat = int_config(props, "group.consumer.min.heartbeat.interval.ms");
    const auto max_heartbeat = int_config(props, "group.consumer.max.heartbeat.interval.ms");
    if (max_heartbeat < min_heartbeat)
        return "group.consumer.max.heartbeat.interval.ms must be greater than or equal to "
               "group.consumer.min.heartbeat.interval.ms";
    if (heartbeat < min_heartbeat)
        return "group.consumer.heartbeat.interval.ms must be greater than or equal to "
               "group.consumer.min.heartbeat.interval.ms";
    if (heartbeat > max_heartbeat)
        return "group.consumer.heartbeat.interval.ms must be less than or equal to "
               "group.consumer.max.heartbeat.interval.ms";
    if (max_session < min_session)
        return "group.consumer.max.session.timeout.ms must be greater than or equal to "
               "group.consumer.min.session.timeout.ms";
    if (session < min_session)
        return "group.consumer.session.timeout.ms must be greater than or equal to "
               "group.consumer.min.session.timeout.ms";
    if (session > max_session)
        return "group.consumer.session.timeout.ms must be less than or equal to "
               "group.consumer.max.session.timeout.ms";
    if (heartbeat >= session)
        return "group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms";

    std::vector<const partition_assignor*> assignors;
    auto it = props.find("group.consumer.assignors");
    const std::string raw =
        it != props.end()
            ? it->second
            : std::string(*cluster::find_broker_config("group.consumer.assignors")->default_value);
    for (const auto& name : cluster::list_value(raw)) {
        const auto* a = assignor_named(name);
        if (!a) return "group.consumer.assignors: unknown assignor " + name + " (known: uniform, range)";
        assignors.push_back(a);
    }
    if (assignors.empty()) return "group.consumer.assignors must name at least one assignor";

    auto policy_it = props.find("group.consumer.migration.policy");
    const std::string policy_name =
        policy_it != props.end()
            ? policy_it->second
            : std::string(*cluster::find_broker_config("group.consumer.migration.policy")->default_value);
    const auto policy = parse_migration_policy(policy_name);
    if (!policy)
        return "Invalid value " + policy_name +
               " for configuration group.consumer.migration.policy: String must be one of (case insensitive): "
               "DISABLED, DOWNGRADE, UPGRADE, BIDIRECTIONAL";

    out.session_timeout_ms = session;
    out.heartbeat_interval_ms = heartbeat;
    out.max_size = int_config(props, "group.consumer.max.size");
    out.assignors = std::move(assignors);
    out.migration = *policy;
    return std::nullopt;
}

}  // namespace tributary::groups
