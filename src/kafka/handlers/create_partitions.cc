#include "kafka/handlers/create_partitions.h"

#include <map>

#include "cluster/controller.h"
#include "kafka/controller_forwarding.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using result_type = protocol::create_partitions_response::create_partitions_topic_result;

result_type result(std::string name, error_code code, std::string message = {}) {
    result_type r;
    r.name = std::move(name);
    r.error_code = model::to_int(code);
    if (!message.empty()) r.error_message = std::move(message);
    return r;
}

}  // namespace

awaitable<protocol::create_partitions_response> create_partitions_handler::handle(request_context& ctx, request req) {
    if (auto forwarded = co_await forward_to_controller<response>(ctx, req)) co_return std::move(*forwarded);
    response resp;
    std::map<std::string, int, std::less<>> count;
    for (const auto& t : req.topics) ++count[t.name];
    for (const auto& [name, n] : count)
        if (n > 1) resp.results.push_back(result(name, error_code::invalid_request, "Duplicate topic name."));

    std::vector<cluster::partition_increase> increases;
    for (auto& t : req.topics) {
        if (count[t.name] > 1) continue;
        cluster::partition_increase inc;
        inc.name = std::move(t.name);
        inc.count = t.count;
        if (t.assignments) {
            inc.assignments.emplace();
            for (const auto& a : *t.assignments) {
                std::vector<std::int32_t> brokers;
                for (auto id : a.broker_ids) brokers.push_back(id.value());
                inc.assignments->push_back(std::move(brokers));
            }
        }
        increases.push_back(std::move(inc));
    }
    if (increases.empty()) co_return resp;
    auto* controller = ctx.broker->metadata->controller;
    if (!controller) {
        for (const auto& inc : increases) resp.results.push_back(result(inc.name, error_code::not_controller));
        co_return resp;
    }
    std::vector<std::string> names;
    for (const auto& inc : increases) names.push_back(inc.name);
    auto creating = controller->create_partitions(std::move(increases), req.validate_only);
    auto errors = co_await std::move(creating);
    for (std::size_t i = 0; i < names.size(); ++i)
        resp.results.push_back(result(std::move(names[i]), errors[i].code, std::move(errors[i].message)));
    co_return resp;
}

}  // namespace tributary::kafka
