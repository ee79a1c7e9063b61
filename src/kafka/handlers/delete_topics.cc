#include "kafka/handlers/delete_topics.h"

#include <map>
#include <set>

#include "cluster/controller.h"
#include "kafka/controller_forwarding.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using result_type = protocol::delete_topics_response::deletable_topic_result;

struct delete_topic_ref {
    std::optional<std::string> name;
    model::uuid id;
};

result_type result(std::optional<std::string> name, model::uuid id, error_code code, std::string message = {}) {
    result_type r;
    r.name = std::move(name);
    r.topic_id = id;
    r.error_code = model::to_int(code);
    if (!message.empty()) r.error_message = std::move(message);
    return r;
}

}  // namespace

awaitable<protocol::delete_topics_response> delete_topics_handler::handle(request_context& ctx, request req) {
    if (auto forwarded = co_await forward_to_controller<response>(ctx, req)) co_return std::move(*forwarded);
    response resp;
    // Everything the request names, in order: (name, id) with exactly one of them set.
    std::vector<delete_topic_ref> refs;
    if (ctx.api_version < 6) {
        for (auto& n : req.topic_names) refs.push_back({std::move(n), {}});
    } else {
        for (auto& t : req.topics) refs.push_back({std::move(t.name), t.topic_id});
    }

    auto topics = topics_on(ctx);
    if (!topics->broker_configs().boolean("delete.topic.enable")) {
        const auto code = ctx.api_version < 3 ? error_code::invalid_request : error_code::topic_deletion_disabled;
        for (const auto& r : refs) resp.responses.push_back(result(r.name, r.id, code, "Topic deletion is disabled."));
        co_return resp;
    }

    std::map<std::string, int, std::less<>> name_count;
    std::map<model::uuid, int> id_count;
    for (const auto& r : refs) {
        if (r.name && r.id.is_zero()) ++name_count[*r.name];
        if (!r.name && !r.id.is_zero()) ++id_count[r.id];
    }
    std::vector<cluster::topic_ref> to_delete;
    std::set<std::string, std::less<>> reported_names;
    std::set<model::uuid> reported_ids;
    for (const auto& r : refs) {
        if (!r.name && r.id.is_zero()) {
            resp.responses.push_back(result(std::nullopt, {}, error_code::invalid_request,
                                            "Neither topic name nor id were specified."));
        } else if (r.name && !r.id.is_zero()) {
            resp.responses.push_back(result(r.name, r.id, error_code::invalid_request,
                                            "You may not specify both topic name and topic id."));
        } else if (r.name) {
            if (name_count[*r.name] > 1) {
                if (reported_names.insert(*r.name).second)
                    resp.responses.push_back(result(r.name, {}, error_code::invalid_request, "Duplicate topic name."));
            } else {
                to_delete.push_back({r.name, {}});
            }
        } else if (id_count[r.id] > 1) {
            if (reported_ids.insert(r.id).second)
                resp.responses.push_back(result(std::nullopt, r.id, error_code::invalid_request, "Duplicate topic id."));
        } else {
            to_delete.push_back({std::nullopt, r.id});
        }
    }
    if (to_delete.empty()) co_return resp;

    auto* controller = ctx.broker->metadata->controller;
    if (!controller) {
        for (const auto& r : to_delete) resp.responses.push_back(result(r.name, r.id, error_code::not_controller));
        co_return resp;
    }
    auto deleting = controller->delete_topics(std::move(to_delete));
    for (auto& r : co_await std::move(deleting))
        resp.responses.push_back(result(std::move(r.name), r.id, r.error.code, std::move(r.error.message)));
    co_return resp;
}

}  // namespace tributary::kafka
