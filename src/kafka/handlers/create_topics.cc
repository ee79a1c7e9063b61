#include "kafka/handlers/create_topics.h"

#include <map>

#include "cluster/controller.h"
#include "kafka/controller_forwarding.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using result_type = protocol::create_topics_response::creatable_topic_result;

std::optional<std::string> message_of(const cluster::api_error& e) {
    if (e.message.empty()) return std::nullopt;
    return e.message;
}

result_type failed(std::string name, error_code code, std::string message) {
    result_type r;
    r.name = std::move(name);
    r.error_code = model::to_int(code);
    r.error_message = std::move(message);
    return r;
}

result_type to_response(const cluster::create_topic_result& r) {
    result_type out;
    out.name = r.name;
    out.error_code = model::to_int(r.error.code);
    out.error_message = message_of(r.error);
    if (!r.error.ok()) return out;
    out.topic_id = r.id;
    out.num_partitions = r.num_partitions;
    out.replication_factor = r.replication_factor;
    std::vector<protocol::create_topics_response::creatable_topic_configs> configs;
    for (const auto& c : r.configs) {
        protocol::create_topics_response::creatable_topic_configs cfg;
        cfg.name = c.name;
        cfg.value = c.value;
        cfg.read_only = c.read_only;
        cfg.config_source = static_cast<std::int8_t>(c.source);
        cfg.is_sensitive = c.sensitive;
        configs.push_back(std::move(cfg));
    }
    out.configs = std::move(configs);
    return out;
}

}  // namespace

awaitable<protocol::create_topics_response> create_topics_handler::handle(request_context& ctx, request req) {
    if (auto forwarded = co_await forward_to_controller<response>(ctx, req)) co_return std::move(*forwarded);
    response resp;
    std::map<std::string, int, std::less<>> count;
    for (const auto& t : req.topics) ++count[t.name];

    std::vector<cluster::topic_spec> specs;
    for (auto& t : req.topics) {
        if (count[t.name] > 1) continue;
        cluster::topic_spec s;
        s.name = t.name;
        s.num_partitions = t.num_partitions;
        s.replication_factor = t.replication_factor;
        for (const auto& a : t.assignments) {
            cluster::topic_spec::assignment as;
            as.partition = a.partition_index;
            for (auto id : a.broker_ids) as.broker_ids.push_back(id.value());
            s.assignments.push_back(std::move(as));
        }
        for (auto& c : t.configs) s.configs.emplace_back(std::move(c.name), std::move(c.value));
        specs.push_back(std::move(s));
    }

    auto* controller = ctx.broker->metadata->controller;
    if (!specs.empty()) {
        if (controller) {
            auto creating = controller->create_topics(std::move(specs), req.validate_only);
            for (const auto& r : co_await std::move(creating)) resp.topics.push_back(to_response(r));
        } else {
            for (const auto& s : specs)
                resp.topics.push_back(failed(s.name, error_code::not_controller, "No controller on this broker."));
        }
    }
    for (const auto& [name, n] : count)
        if (n > 1) resp.topics.push_back(failed(name, error_code::invalid_request, "Duplicate topic name."));
    co_return resp;
}

}  // namespace tributary::kafka
