#include "kafka/handlers/describe_configs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "cluster/config_types.h"
#include "cluster/effective_config.h"
#include "cluster/topic_name.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using cluster::config_resource_type;
using result_type = protocol::describe_configs_response::describe_configs_result;
using entry_type = protocol::describe_configs_response::describe_configs_resource_result;

// Errors.INVALID_REQUEST's own message, which Kafka sends for a resource type it does not handle.
constexpr std::string_view invalid_request_message =
    "This most likely occurs because of a request being malformed by the client library or the message was "
    "sent to an incompatible broker. See the broker logs for more details.";

// spdlog's level as the log4j level name Kafka reports.
std::string log4j_level(spdlog::level::level_enum l) {
    switch (l) {
        case spdlog::level::trace: return "TRACE";
        case spdlog::level::debug: return "DEBUG";
        case spdlog::level::info: return "INFO";
        case spdlog::level::warn: return "WARN";
        case spdlog::level::err: return "ERROR";
        case spdlog::level::critical: return "FATAL";
        default: return "OFF";
    }
}

std::optional<std::int64_t> parse_id(const std::string& name) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || p != name.data() + name.size() || name.empty()) return std::nullopt;
    return id;
}

bool wanted(const std::optional<std::vector<std::string>>& keys, std::string_view name) {
    return !keys || keys->empty() || std::find(keys->begin(), keys->end(), name) != keys->end();
}

entry_type to_entry(const cluster::described_config& c, bool synonyms, bool documentation) {
    entry_type e;
    e.name = c.name;
    e.value = c.value;
    e.read_only = c.read_only;
    e.config_source = static_cast<std::int8_t>(c.source);
    e.is_sensitive = c.sensitive;
    e.config_type = static_cast<std::int8_t>(c.type);
    if (documentation)
        e.documentation = std::string(c.documentation);
    else
        e.documentation.reset();
    if (synonyms) {
        for (const auto& s : c.synonyms) {
            protocol::describe_configs_response::describe_configs_synonym syn;
            syn.name = s.name;
            syn.value = s.value;
            syn.source = static_cast<std::int8_t>(s.source);
            e.synonyms.push_back(std::move(syn));
        }
    }
    return e;
}

void fail(result_type& r, error_code code, std::string message) {
    r.error_code = model::to_int(code);
    r.error_message = std::move(message);
    r.configs.clear();
}

}  // namespace

awaitable<protocol::describe_configs_response> describe_configs_handler::handle(request_context& ctx, request req) {
    auto topics = topics_on(ctx);
    const auto& broker = topics->broker_configs();
    const std::string node = std::to_string(broker.node_id);
    response resp;
    for (const auto& res : req.resources) {
        result_type r;
        r.resource_type = res.resource_type;
        r.resource_name = res.resource_name;
        r.error_message = "";  // Kafka leaves it empty, not null, unless it reports an error
        std::vector<cluster::described_config> configs;
        switch (static_cast<config_resource_type>(res.resource_type)) {
            case config_resource_type::topic:
                if (auto why = cluster::check_topic_name(res.resource_name)) {
                    fail(r, error_code::invalid_topic_exception, *why);
                } else if (const cluster::topic_metadata* t = topics->find(res.resource_name)) {
                    configs = cluster::describe_topic_configs(t->overrides, broker);
                } else {
                    r.error_code = model::to_int(error_code::unknown_topic_or_partition);
                }
                break;
            case config_resource_type::broker:
                if (res.resource_name.empty()) {
                    configs = cluster::describe_broker_configs(broker, false);
                } else if (auto id = parse_id(res.resource_name); !id) {
                    fail(r, error_code::invalid_request, "Broker id must be an integer, but it is: " + res.resource_name);
                } else if (*id != broker.node_id) {
                    fail(r, error_code::invalid_request, "Unexpected broker id, expected " + node +
                                                             " or empty string, but received " + res.resource_name);
                } else {
                    configs = cluster::describe_broker_configs(broker, true);
                }
                break;
            case config_resource_type::broker_logger:
                if (res.resource_name.empty()) {
                    fail(r, error_code::invalid_request, "Broker id must not be empty");
                } else if (auto id = parse_id(res.resource_name); !id) {
                    fail(r, error_code::invalid_request, "Broker id must be an integer, but it is: " + res.resource_name);
                } else if (*id != broker.node_id) {
                    fail(r, error_code::invalid_request,
                         "Unexpected broker id, expected " + node + " but received " + res.resource_name);
                } else if (wanted(res.configuration_keys, "root")) {
                    entry_type e;
                    e.name = "root";
                    e.value = log4j_level(spdlog::get_level());
                    e.config_source = static_cast<std::int8_t>(cluster::config_source::dynamic_broker_logger);
                    e.documentation.reset();
                    r.configs.push_back(std::move(e));
                }
                break;
            default:
                fail(r, error_code::invalid_request, std::string(invalid_request_message));
                break;
        }
        for (const auto& c : configs) {
            if (wanted(res.configuration_keys, c.name))
                r.configs.push_back(to_entry(c, req.include_synonyms, req.include_documentation));
        }
        resp.results.push_back(std::move(r));
    }
    co_return resp;
}

}  // namespace tributary::kafka
