#include "cluster/config_commands.h"

#include <algorithm>
#include <charconv>

#include "cluster/config_registry.h"
#include "cluster/topic_name.h"

namespace tributary::cluster {
namespace {

using model::error_code;

protocol::config_record config_record_for(const config_resource& r, const std::string& name,
                                          std::optional<std::string> value) {
    protocol::config_record c;
    c.resource_type = static_cast<std::int8_t>(r.type);
    c.resource_name = r.name;
    c.name = name;
    c.value = std::move(value);
    return c;
}

// The configs the resource has now, or an error for a resource we cannot change. For a BROKER
// resource also checks its name (as the forwarding broker does).
api_error current_configs(const topic_table& table, const config_resource& r, config_map& out) {
    const auto& broker = table.broker_configs();
    switch (r.type) {
        case config_resource_type::topic:
            if (const topic_metadata* t = table.find(r.name)) out = t->overrides;
            return {};
        case config_resource_type::broker: {
            if (r.name.empty()) {
                out = broker.dynamic_default;
                return {};
            }
            std::int64_t id = 0;
            auto [ptr, ec] = std::from_chars(r.name.data(), r.name.data() + r.name.size(), id);
            if (ec != std::errc() || ptr != r.name.data() + r.name.size())
                return make_error(error_code::invalid_request, "Node id must be an integer, but it is: " + r.name);
            if (id != broker.node_id)
                return make_error(error_code::invalid_request, "Unexpected broker id, expected " +
                                                                   std::to_string(broker.node_id) +
                                                                   ", but received " + r.name);
            out = broker.dynamic_node;
            return {};
        }
        default:
            return make_error(error_code::invalid_request,
                              "Unknown resource type " + std::to_string(static_cast<int>(r.type)));
    }
}

// The controller's checks of a resource's configs after the change (ControllerConfigurationValidator
// and the existence check after it).
api_error validate_after(const topic_table& table, const config_resource& r, const config_map& after) {
    if (r.type == config_resource_type::topic) {
        if (r.name.empty()) return make_error(error_code::invalid_request, "Default topic resources are not allowed.");
        if (auto why = check_topic_name(r.name)) return make_error(error_code::invalid_topic_exception, *why);
        if (auto e = validate_topic_configs(after, table.broker_configs()); !e.ok()) return e;
        if (!table.find(r.name))
            return make_error(error_code::unknown_topic_or_partition, "The topic '" + r.name + "' does not exist.");
        return {};
    }
    return validate_dynamic_broker_configs(after);
}

std::vector<std::string> split_parts(const std::optional<std::string>& value) {
    std::vector<std::string> parts;
    if (!value) return parts;
    std::string_view s = *value;
    for (;;) {
        auto comma = s.find(',');
        auto part = s.substr(0, comma);
        if (!part.empty()) parts.emplace_back(part);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
    return out;
}

const char* op_name(config_op op) { return op == config_op::append ? "APPEND" : "SUBTRACT"; }

// APPEND / SUBTRACT on a list config: the new value from the current one (or the default).
api_error apply_list_op(const config_resource& r, const incremental_config_op& op, std::optional<std::string>& value) {
    const config_definition* def =
        r.type == config_resource_type::topic ? find_topic_config(op.name) : find_broker_config(op.name);
    if (r.type == config_resource_type::broker) {
        if (!def) return make_error(error_code::invalid_config, "Unknown config name: " + op.name);
        if (def->type != config_type::list)
            return make_error(error_code::invalid_config, std::string("Config value ") +
                                                              (op.op == config_op::append ? "append" : "subtract") +
                                                              " is not allowed for config key: " + op.name);
    } else if (!def || def->type != config_type::list) {
        return make_error(error_code::invalid_config, std::string("Can't ") + op_name(op.op) + " to key " + op.name +
                                                          " because its type is not LIST.");
    }
    if (!value && def->default_value) value = std::string(*def->default_value);
    auto parts = split_parts(value);
    for (const auto& v : split_parts(op.value)) {
        if (op.op == config_op::append) {
            if (std::find(parts.begin(), parts.end(), v) == parts.end()) parts.push_back(v);
        } else {
            std::erase(parts, v);
        }
    }
    value = join(parts);
    return {};
}

}  // namespace

plan<api_error> plan_incremental_alter_configs(const topic_table& table,
                                               const std::vector<incremental_config_change>& changes) {
    plan<api_error> out;
    for (const auto& change : changes) {
        const auto& r = change.resource;
        config_map current;
        if (auto e = current_configs(table, r, current); !e.ok()) {
            out.results.push_back(std::move(e));
            continue;
        }
        config_map after = current;
        std::vector<metadata_record> records;
        api_error error;
        for (const auto& op : change.ops) {
            std::optional<std::string> value;
            if (auto it = after.find(op.name); it != after.end()) value = it->second;
            const std::optional<std::string> before = value;
            switch (op.op) {
                case config_op::set: value = op.value; break;
                case config_op::remove: value.reset(); break;
                case config_op::append:
                case config_op::subtract: error = apply_list_op(r, op, value); break;
            }
            if (!error.ok()) break;
            if (value)
                after[op.name] = *value;
            else
                after.erase(op.name);
            // KAFKA-14136: broker configs are written even when unchanged, so brokers reload them.
            if (value != before || r.type == config_resource_type::broker)
                records.emplace_back(config_record_for(r, op.name, value));
        }
        if (error.ok()) error = validate_after(table, r, after);
        if (error.ok()) out.records.insert(out.records.end(), records.begin(), records.end());
        out.results.push_back(std::move(error));
    }
    return out;
}

plan<api_error> plan_alter_configs(const topic_table& table, const std::vector<legacy_config_change>& changes) {
    plan<api_error> out;
    for (const auto& change : changes) {
        const auto& r = change.resource;
        config_map current;
        if (auto e = current_configs(table, r, current); !e.ok()) {
            out.results.push_back(std::move(e));
            continue;
        }
        if (r.type == config_resource_type::broker) {
            // The forwarding broker checks the new values alone first.
            if (auto e = validate_dynamic_broker_configs(change.configs); !e.ok()) {
                out.results.push_back(std::move(e));
                continue;
            }
        }
        std::vector<metadata_record> records;
        for (const auto& [name, value] : change.configs) {
            auto it = current.find(name);
            if (it == current.end() || it->second != value || r.type == config_resource_type::broker)
                records.emplace_back(config_record_for(r, name, value));
        }
        for (const auto& [name, value] : current)
            if (!change.configs.contains(name)) records.emplace_back(config_record_for(r, name, std::nullopt));
        auto error = validate_after(table, r, change.configs);
        if (error.ok()) out.records.insert(out.records.end(), records.begin(), records.end());
        out.results.push_back(std::move(error));
    }
    return out;
}

}  // namespace tributary::cluster
