#include "cluster/effective_config.h"

#include <cassert>
#include <limits>
#include <set>

namespace tributary::cluster {
namespace {

constexpr std::int64_t long_max = std::numeric_limits<std::int64_t>::max();

struct layer {
    const config_map* values;
    config_source source;
};

std::optional<std::string_view> find(const config_map& m, std::string_view name) {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return std::string_view(it->second);
}

// A broker value converted to the unit of the topic config it is a synonym of.
std::string convert(const config_definition& topic_def, const config_synonym& syn, std::string_view raw) {
    const config_definition* broker_def = find_broker_config(syn.name);
    if (syn.factor != 1) {
        const std::int64_t v = integer_value(raw);
        // Saturate instead of overflowing, as no sane retention reaches it.
        const std::int64_t product = v > long_max / syn.factor ? long_max : v * syn.factor;
        return std::to_string(product);
    }
    return canonical_value(broker_def ? *broker_def : topic_def, raw);
}

// The synonyms Kafka's ConfigHelper.configSynonyms reports for `group`: every layer that sets a name of
// the group, dynamic per-broker first, then dynamic default, static, built-in defaults; then everything
// before the first entry named `primary` is dropped (so retention.ms shows nothing from
// log.retention.hours unless log.retention.ms itself is set somewhere).
std::vector<described_synonym> broker_synonyms(std::span<const config_synonym> group, std::string_view primary,
                                               const broker_config_layers& broker) {
    std::vector<described_synonym> out;
    const layer layers[] = {{&broker.dynamic_node, config_source::dynamic_broker},
                            {&broker.dynamic_default, config_source::dynamic_default_broker},
                            {&broker.static_props, config_source::static_broker}};
    for (const auto& l : layers)
        for (const auto& s : group)
            if (auto v = find(*l.values, s.name)) out.push_back({std::string(s.name), std::string(*v), l.source});
    for (const auto& s : group) {
        const config_definition* d = find_broker_config(s.name);
        if (d && d->default_value)
            out.push_back({std::string(s.name), std::string(*d->default_value), config_source::default_config});
    }
    auto first = out.begin();
    while (first != out.end() && first->name != primary) ++first;
    out.erase(out.begin(), first);
    return out;
}

}  // namespace

std::optional<std::string> broker_config_layers::value(std::string_view name) const {
    for (const config_map* m : {&dynamic_node, &dynamic_default, &static_props})
        if (auto v = find(*m, name)) return std::string(*v);
    const config_definition* d = find_broker_config(name);
    if (d && d->default_value) return std::string(*d->default_value);
    return std::nullopt;
}

std::int64_t broker_config_layers::integer(std::string_view name) const {
    auto v = value(name);
    assert(v);
    return v ? integer_value(*v) : 0;
}

bool broker_config_layers::boolean(std::string_view name) const {
    auto v = value(name);
    assert(v);
    return v && bool_value(*v);
}

std::optional<std::string> effective_topic_value(const config_definition& def, const config_map& overrides,
                                                 const broker_config_layers& broker) {
    if (auto v = find(overrides, def.name)) return canonical_value(def, *v);
    if (def.synonyms.empty()) return def.default_value ? std::optional<std::string>(*def.default_value) : std::nullopt;
    // Kafka merges the layers per broker config first, then takes the first synonym that has a value.
    for (const auto& s : def.synonyms) {
        for (const config_map* m : {&broker.dynamic_node, &broker.dynamic_default, &broker.static_props})
            if (auto v = find(*m, s.name)) return convert(def, s, *v);
    }
    for (const auto& s : def.synonyms) {
        const config_definition* d = find_broker_config(s.name);
        if (d && d->default_value) return convert(def, s, *d->default_value);
    }
    return def.default_value ? std::optional<std::string>(*def.default_value) : std::nullopt;
}

described_config describe_topic_config(const config_definition& def, const config_map& overrides,
                                       const broker_config_layers& broker) {
    described_config out;
    out.name = std::string(def.name);
    out.type = def.type;
    out.sensitive = is_sensitive(def.type);
    out.read_only = false;
    out.documentation = def.documentation;
    out.value = effective_topic_value(def, overrides, broker);
    if (!def.synonyms.empty()) out.synonyms = broker_synonyms(def.synonyms, def.synonyms.front().name, broker);
    if (auto v = find(overrides, def.name))
        out.synonyms.insert(out.synonyms.begin(),
                            {std::string(def.name), canonical_value(def, *v), config_source::dynamic_topic});
    out.source = out.synonyms.empty() ? config_source::default_config : out.synonyms.front().source;
    if (out.sensitive) {
        out.value.reset();
        for (auto& s : out.synonyms) s.value.reset();
    }
    return out;
}

std::vector<described_config> describe_topic_configs(const config_map& overrides, const broker_config_layers& broker) {
    std::vector<described_config> out;
    for (const auto& def : topic_config_definitions()) out.push_back(describe_topic_config(def, overrides, broker));
    return out;
}

std::vector<described_config> describe_broker_configs(const broker_config_layers& broker, bool per_broker) {
    std::set<std::string, std::less<>> names;
    if (per_broker) {
        for (const auto& d : broker_config_definitions()) names.emplace(d.name);
        for (const config_map* m : {&broker.dynamic_node, &broker.dynamic_default})
            for (const auto& [k, v] : *m) names.insert(k);
    } else {
        for (const auto& [k, v] : broker.dynamic_default) names.insert(k);
    }
    std::vector<described_config> out;
    for (const auto& name : names) {
        const config_definition* def = find_broker_config(name);
        described_config e;
        e.name = name;
        e.type = def ? def->type : config_type::unknown;
        e.sensitive = is_sensitive(e.type);
        e.read_only = !(def && def->dynamic);
        e.documentation = def ? def->documentation : std::string_view();
        const config_synonym self[] = {{def ? def->name : std::string_view(name)}};
        std::span<const config_synonym> group = def && !def->synonyms.empty() ? def->synonyms : std::span(self);
        e.synonyms = broker_synonyms(group, name, broker);
        if (per_broker) {
            e.value = broker.value(name);
            if (e.value && def) e.value = canonical_value(*def, *e.value);
        } else {
            std::erase_if(e.synonyms, [](const auto& s) { return s.source != config_source::dynamic_default_broker; });
            e.value = std::string(*find(broker.dynamic_default, name));
        }
        e.source = e.synonyms.empty() ? config_source::default_config : e.synonyms.front().source;
        if (e.sensitive) {
            e.value.reset();
            for (auto& s : e.synonyms) s.value.reset();
        }
        out.push_back(std::move(e));
    }
    return out;
}

storage::log_config effective_log_config(const config_map& overrides, const broker_config_layers& broker) {
    auto integer = [&](std::string_view name) {
        const config_definition* def = find_topic_config(name);
        assert(def);
        auto v = effective_topic_value(*def, overrides, broker);
        assert(v);
        return v ? integer_value(*v) : 0;
    };
    storage::log_config c;
    c.segment_bytes = integer("segment.bytes");
    c.segment_ms = integer("segment.ms");
    c.segment_index_bytes = integer("segment.index.bytes");
    c.retention_ms = integer("retention.ms");
    c.retention_bytes = integer("retention.bytes");
    // Time and size retention apply only with the "delete" policy (Kafka's LogManager): a compact-only
    // topic such as __consumer_offsets keeps its segments, whatever retention.ms says.
    if (auto policy = effective_topic_value(*find_topic_config("cleanup.policy"), overrides, broker)) {
        if (policy->find("delete") == std::string::npos) {
            c.retention_ms = -1;
            c.retention_bytes = -1;
        }
        c.compact = policy->find("compact") != std::string::npos;
    }
    if (auto ratio = effective_topic_value(*find_topic_config("min.cleanable.dirty.ratio"), overrides, broker))
        c.min_cleanable_dirty_ratio = double_value(*ratio);
    c.delete_retention_ms = integer("delete.retention.ms");
    c.min_compaction_lag_ms = integer("min.compaction.lag.ms");
    c.max_compaction_lag_ms = integer("max.compaction.lag.ms");
    c.index_interval_bytes = static_cast<std::int32_t>(integer("index.interval.bytes"));
    c.max_message_bytes = static_cast<std::int32_t>(integer("max.message.bytes"));
    // Kafka's "never" (Long.MAX_VALUE) is our "unset": fsync before acknowledging.
    if (auto n = integer("flush.messages"); n != long_max) c.flush_messages = n;
    if (auto n = integer("flush.ms"); n != long_max) c.flush_ms = n;
    auto ts = effective_topic_value(*find_topic_config("message.timestamp.type"), overrides, broker);
    c.message_timestamp_type = ts && *ts == "LogAppendTime" ? protocol::timestamp_type::log_append_time
                                                            : protocol::timestamp_type::create_time;
    c.message_timestamp_before_max_ms = integer("message.timestamp.before.max.ms");
    c.message_timestamp_after_max_ms = integer("message.timestamp.after.max.ms");
    c.producer_id_expiration_ms = broker.integer("producer.id.expiration.ms");
    return c;
}

api_error validate_topic_configs(const config_map& overrides, const broker_config_layers& broker) {
    for (const auto& [name, value] : overrides)
        if (!find_topic_config(name))
            return make_error(model::error_code::invalid_config, "Unknown topic config name: " + name);
    for (const auto& [name, value] : overrides)
        if (auto why = check_value(*find_topic_config(name), value))
            return make_error(model::error_code::invalid_config, std::move(*why));
    if (auto v = find(overrides, "remote.storage.enable"); v && bool_value(*v)) {
        return make_error(model::error_code::invalid_config,
                          "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with "
                          "remote log storage.");
    }
    auto min_lag = effective_topic_value(*find_topic_config("min.compaction.lag.ms"), overrides, broker);
    auto max_lag = effective_topic_value(*find_topic_config("max.compaction.lag.ms"), overrides, broker);
    if (min_lag && max_lag && integer_value(*min_lag) > integer_value(*max_lag)) {
        return make_error(model::error_code::invalid_config,
                          "conflict topic config setting min.compaction.lag.ms (" + *min_lag +
                              ") > max.compaction.lag.ms (" + *max_lag + ")");
    }
    return {};
}

api_error validate_dynamic_broker_configs(const config_map& configs) {
    std::string fixed;
    for (const auto& [name, value] : configs) {
        const config_definition* def = find_broker_config(name);
        if (def && !def->dynamic) fixed += (fixed.empty() ? "" : ", ") + name;
    }
    if (!fixed.empty())
        return make_error(model::error_code::invalid_request, "Cannot update these configs dynamically: [" + fixed + "]");
    for (const auto& [name, value] : configs) {
        if (const config_definition* def = find_broker_config(name))
            if (auto why = check_value(*def, value)) return make_error(model::error_code::invalid_request, *why);
    }
    return {};
}

api_error validate_static_broker_configs(const config_map& props, std::vector<std::string>* unknown) {
    for (const auto& [name, value] : props) {
        const config_definition* def = find_broker_config(name);
        if (!def) {
            if (unknown) unknown->push_back(name);
            continue;
        }
        if (auto why = check_value(*def, value)) return make_error(model::error_code::invalid_config, *why);
    }
    return {};
}

}  // namespace tributary::cluster
