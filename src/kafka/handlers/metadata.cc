#include "kafka/handlers/metadata.h"

#include "model/error_code.h"

namespace tributary::kafka {

awaitable<protocol::metadata_response> metadata_handler::handle(request_context& ctx, request req) {
    const auto& md = *ctx.broker->metadata;
    response resp;
    for (const auto& b : md.brokers) {
        response::metadata_response_broker out;
        out.node_id = b.id;
        out.host = b.host;
        out.port = b.port;
        out.rack = b.rack;
        resp.brokers.push_back(std::move(out));
    }
    resp.cluster_id = md.cluster_id;
    resp.controller_id = md.controller_id;

    // v0: an empty list means "all topics"; v1+: null means all topics and an empty list none.
    if (req.topics) {
        for (const auto& t : *req.topics) {
            response::metadata_response_topic out;
            if (t.name) {
                out.error_code = model::to_int(model::error_code::unknown_topic_or_partition);
                out.name = t.name;
            } else {
                out.error_code = model::to_int(model::error_code::unknown_topic_id);
                out.topic_id = t.topic_id;
            }
            resp.topics.push_back(std::move(out));
        }
    }
    co_return resp;
}

}  // namespace tributary::kafka
