#include "kafka/handlers/incremental_alter_configs.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <set>

#include "cluster/controller.h"
#include "kafka/controller_forwarding.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using cluster::config_op;
using cluster::config_resource_type;
using resource_type = protocol::incremental_alter_configs_request::alter_configs_resource;

std::optional<spdlog::level::level_enum> from_log4j(std::string_view level) {
    if (level == "TRACE") return spdlog::level::trace;
    if (level == "DEBUG") return spdlog::level::debug;
    if (level == "INFO") return spdlog::level::info;
    if (level == "WARN") return spdlog::level::warn;
    if (level == "ERROR") return spdlog::level::err;
    if (level == "FATAL") return spdlog::level::critical;
    return std::nullopt;
}

// KIP-412 log levels, Kafka's RuntimeLoggerManager rules. Tributary has one logger, "root".
cluster::api_error alter_loggers(const resource_type& r, std::int32_t node, bool validate_only) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(r.resource_name.data(), r.resource_name.data() + r.resource_name.size(), id);
    if (ec != std::errc() || p != r.resource_name.data() + r.resource_name.size() || r.resource_name.empty())
        return cluster::make_error(error_code::invalid_request, "Node id must be an integer, but it is: " + r.resource_name);
    if (id != node)
        return cluster::make_error(error_code::invalid_request, "Unexpected broker id, expected " + std::to_string(node) +
                                                                    ", but received " + r.resource_name);
    std::optional<spdlog::level::level_enum> level;
    for (const auto& c : r.configs) {
        const auto op = static_cast<config_op>(c.config_operation);
        if (op == config_op::append || op == config_op::subtract)
            return cluster::make_error(error_code::invalid_request,
                                       std::string(op == config_op::append ? "APPEND" : "SUBTRACT") +
                                           " operation is not allowed for the BROKER_LOGGER resource");
        if (c.name != "root")
            return cluster::make_error(error_code::invalid_config, "Logger " + c.name + " does not exist!");
        if (op == config_op::remove)
            return cluster::make_error(error_code::invalid_request,
                                       "Removing the log level of the root logger is not allowed");
        level = from_log4j(*c.value);
        if (!level)
            return cluster::make_error(error_code::invalid_config,
                                       "Cannot set the log level of root to " + *c.value +
                                           " as it is not a supported log level. Valid log levels are DEBUG, ERROR, "
                                           "FATAL, INFO, TRACE, WARN");
    }
    if (level && !validate_only) {
        spdlog::info("log level of root set to {}", spdlog::level::to_string_view(*level));
        spdlog::set_level(*level);
    }
    return {};
}

}  // namespace

awaitable<protocol::incremental_alter_configs_response> incremental_alter_configs_handler::handle(
    request_context& ctx, request req) {
    if (auto forwarded = co_await forward_to_controller<response>(ctx, req)) co_return std::move(*forwarded);
    std::vector<std::optional<cluster::api_error>> early(req.resources.size());
    std::map<std::pair<std::int8_t, std::string>, int> count;
    for (const auto& r : req.resources) ++count[{r.resource_type, r.resource_name}];

    std::vector<cluster::incremental_config_change> changes;
    std::vector<std::size_t> sent;
    for (std::size_t i = 0; i < req.resources.size(); ++i) {
        const auto& r = req.resources[i];
        if (count[{r.resource_type, r.resource_name}] > 1) {
            early[i] = cluster::make_error(error_code::invalid_request, "Each resource must appear at most once.");
            continue;
        }
        std::set<std::string> keys;
        std::string nulls;
        bool duplicate_keys = false;
        std::optional<std::int8_t> bad_op;
        for (const auto& c : r.configs) {
            if (!keys.insert(c.name).second) duplicate_keys = true;
            if (c.config_operation < 0 || c.config_operation > 3) bad_op = c.config_operation;
            if (c.config_operation != static_cast<std::int8_t>(config_op::remove) && !c.value)
                nulls += (nulls.empty() ? "" : ", ") + c.name;
        }
        const auto type = static_cast<config_resource_type>(r.resource_type);
        if (duplicate_keys) {
            early[i] = cluster::make_error(error_code::invalid_request, "Error due to duplicate config keys");
        } else if (!nulls.empty()) {
            early[i] = cluster::make_error(error_code::invalid_request, "Null value not supported for : " + nulls);
        } else if (bad_op) {
            early[i] = cluster::make_error(error_code::invalid_request,
                                           "Unknown operations type " + std::to_string(*bad_op));
        } else if (type == config_resource_type::broker_logger) {
            early[i] = alter_loggers(r, ctx.broker->node_id.value(), req.validate_only);
        } else if (type != config_resource_type::topic && type != config_resource_type::broker) {
            early[i] = cluster::make_error(error_code::invalid_request,
                                           "Unknown resource type " + std::to_string(r.resource_type));
        } else {
            cluster::incremental_config_change change{{type, r.resource_name}, {}};
            for (const auto& c : r.configs)
                change.ops.push_back({c.name, static_cast<config_op>(c.config_operation), c.value});
            changes.push_back(std::move(change));
            sent.push_back(i);
        }
    }
    if (!changes.empty()) {
        auto* controller = ctx.broker->metadata->controller;
        if (!controller) {
            for (auto i : sent) early[i] = cluster::make_error(error_code::not_controller);
        } else {
            auto altering = controller->incremental_alter_configs(std::move(changes), req.validate_only);
            auto results = co_await std::move(altering);
            for (std::size_t j = 0; j < sent.size(); ++j) early[sent[j]] = std::move(results[j]);
        }
    }
    response resp;
    for (std::size_t i = 0; i < req.resources.size(); ++i) {
        response::alter_configs_resource_response out;
        out.resource_type = req.resources[i].resource_type;
        out.resource_name = req.resources[i].resource_name;
        out.error_code = model::to_int(early[i]->code);
        if (early[i]->message.empty())
            out.error_message.reset();
        else
            out.error_message = early[i]->message;
        resp.responses.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
