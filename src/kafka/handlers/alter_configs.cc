#include "kafka/handlers/alter_configs.h"

#include <map>
#include <set>

#include "cluster/controller.h"
#include "kafka/controller_forwarding.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using cluster::config_resource_type;

}  // namespace

awaitable<protocol::alter_configs_response> alter_configs_handler::handle(request_context& ctx, request req) {
    if (auto forwarded = co_await forward_to_controller<response>(ctx, req)) co_return std::move(*forwarded);
    // Answers in request order; each resource is either answered by the checks here or sent on.
    std::vector<std::optional<cluster::api_error>> early(req.resources.size());
    std::map<std::pair<std::int8_t, std::string>, int> count;
    for (const auto& r : req.resources) ++count[{r.resource_type, r.resource_name}];

    std::vector<cluster::legacy_config_change> changes;
    std::vector<std::size_t> sent;  // index in the request of each change
    for (std::size_t i = 0; i < req.resources.size(); ++i) {
        const auto& r = req.resources[i];
        if (count[{r.resource_type, r.resource_name}] > 1) {
            early[i] = cluster::make_error(error_code::invalid_request, "Each resource must appear at most once.");
            continue;
        }
        std::set<std::string> keys;
        std::string nulls;
        bool duplicate_keys = false;
        for (const auto& c : r.configs) {
            if (!keys.insert(c.name).second) duplicate_keys = true;
            if (!c.value) nulls += (nulls.empty() ? "" : ", ") + c.name;
        }
        const auto type = static_cast<config_resource_type>(r.resource_type);
        if (duplicate_keys) {
            early[i] = cluster::make_error(error_code::invalid_request, "Error due to duplicate config keys");
        } else if (!nulls.empty()) {
            early[i] = cluster::make_error(error_code::invalid_request, "Null value not supported for : " + nulls);
        } else if (type != config_resource_type::topic && type != config_resource_type::broker) {
            early[i] = cluster::make_error(error_code::invalid_request,
                                           "Unknown resource type " + std::to_string(r.resource_type));
        } else {
            cluster::legacy_config_change change{{type, r.resource_name}, {}};
            for (const auto& c : r.configs) change.configs[c.name] = *c.value;
            changes.push_back(std::move(change));
            sent.push_back(i);
        }
    }
    if (!changes.empty()) {
        auto* controller = ctx.broker->metadata->controller;
        if (!controller) {
            for (auto i : sent) early[i] = cluster::make_error(error_code::not_controller);
        } else {
            auto altering = controller->alter_configs(std::move(changes), req.validate_only);
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
