#include "kafka/handlers/metadata.h"

#include <algorithm>
#include <set>

#include "cluster/controller.h"
#include "cluster/topic_name.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;

// The operations an unauthorized-by-nothing principal may do (no authorizer: all of them), as
// bitfields of AclOperation codes.
// TOPIC: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
constexpr std::int32_t all_topic_operations = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) |
                                              (1 << 10) | (1 << 11);
// CLUSTER: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
constexpr std::int32_t all_cluster_operations =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

using topic_response = protocol::metadata_response::metadata_response_topic;

topic_response describe(const cluster::topic_metadata& t, const cluster::metadata_cache& md) {
    topic_response out;
    out.name = t.name;
    out.topic_id = t.id;
    out.is_internal = t.internal;
    for (const auto& p : t.partitions) {
        protocol::metadata_response::metadata_response_partition part;
        part.partition_index = p.index;
        part.leader_id = p.leader;
        part.leader_epoch = p.leader_epoch.value();
        part.replica_nodes = p.replicas;
        part.isr_nodes = p.isr;
        if (p.replicas.size() > 1) {
            // Replicated: Raft elects the leader; the table's is only where it started.
            const auto known = md.leaders.find({t.name, p.index});
            part.leader_id = known && known->leader ? *known->leader : model::node_id(-1);
            part.leader_epoch = known ? known->epoch.value() : -1;
            // The leader's broker knows which replicas are in sync; elsewhere the replicas are listed.
            if (known && !known->in_sync.empty()) {
                part.isr_nodes.clear();
                for (auto n : known->in_sync) part.isr_nodes.push_back(n);
            }
            if (part.leader_id.value() < 0) part.error_code = model::to_int(error_code::leader_not_available);
        }
        out.partitions.push_back(std::move(part));
    }
    return out;
}

topic_response missing(std::string name, error_code code) {
    topic_response out;
    out.error_code = model::to_int(code);
    out.is_internal = cluster::is_internal_topic(name);
    out.name = std::move(name);
    return out;
}

}  // namespace

awaitable<protocol::metadata_response> metadata_handler::handle(request_context& ctx, request req) {
    const auto& md = *ctx.broker->metadata;
    const std::int16_t version = ctx.api_version;
    auto topics = topics_on(ctx);
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
    // During an election a cluster has no controller; Kafka then names a live broker, and a client that
    // sends a change there has it forwarded. -1 would leave librdkafka waiting for its next refresh.
    resp.controller_id = md.controller_id().value() >= 0 ? md.controller_id() : ctx.broker->node_id;
    if (version >= 8 && version <= 10 && req.include_cluster_authorized_operations)
        resp.cluster_authorized_operations = all_cluster_operations;

    // v0: an empty list means "all topics"; v1+: null means all topics and an empty list none.
    const bool all_topics = !req.topics || (version == 0 && req.topics->empty());
    if (all_topics) {
        for (const auto& [name, t] : topics->topics()) resp.topics.push_back(describe(*t, md));
    } else if (version < 12 && std::any_of(req.topics->begin(), req.topics->end(), [](const auto& t) {
                   return !t.name || !t.topic_id.is_zero();
               })) {
        // Kafka refuses the whole request: topic ids are not served before v12.
        for (const auto& t : *req.topics) {
            topic_response out = missing(t.name.value_or(""), error_code::invalid_request);
            if (!t.name) out.name.reset();
            resp.topics.push_back(std::move(out));
        }
    } else if (std::any_of(req.topics->begin(), req.topics->end(), [](const auto& t) { return !t.topic_id.is_zero(); })) {
        // By id (v12+): names, if any, are ignored, as Kafka does.
        std::set<model::uuid> seen;
        for (const auto& t : *req.topics) {
            if (t.topic_id.is_zero() || !seen.insert(t.topic_id).second) continue;
            if (const cluster::topic_metadata* found = topics->find(t.topic_id)) {
                resp.topics.push_back(describe(*found, md));
            } else {
                topic_response out;
                out.error_code = model::to_int(error_code::unknown_topic_id);
                out.name.reset();
                out.topic_id = t.topic_id;
                resp.topics.push_back(std::move(out));
            }
        }
    } else {
        const bool auto_create = (version < 4 || req.allow_auto_topic_creation) &&
                                 topics->broker_configs().boolean("auto.create.topics.enable");
        std::set<std::string, std::less<>> seen;
        std::vector<std::string> to_create;
        for (const auto& t : *req.topics) {
            if (!t.name || !seen.insert(*t.name).second) continue;
            // As in Kafka, auto-creation covers __consumer_offsets (with its own configs, auto_create_spec);
            // the other internal topics wait for coordinators that would use them.
            if (!topics->find(*t.name) && auto_create && !cluster::check_topic_name(*t.name) &&
                (!cluster::is_internal_topic(*t.name) || *t.name == cluster::consumer_offsets_topic))
                to_create.push_back(*t.name);
        }
        if (!to_create.empty() && md.controller) {
            // Failures (a name colliding with another topic's) leave the topic unknown, as in Kafka.
            auto creating = md.controller->auto_create_topics(std::move(to_create));
            co_await std::move(creating);
            topics = topics_on(ctx);  // the controller published the new topics before answering
        }
        seen.clear();
        for (const auto& t : *req.topics) {
            if (!t.name || !seen.insert(*t.name).second) continue;
            const std::string& name = *t.name;
            if (const cluster::topic_metadata* found = topics->find(name)) {
                resp.topics.push_back(describe(*found, md));
            } else if (cluster::check_topic_name(name)) {
                resp.topics.push_back(missing(name, error_code::invalid_topic_exception));
            } else {
                resp.topics.push_back(missing(name, error_code::unknown_topic_or_partition));
            }
        }
    }
    if (version >= 8 && req.include_topic_authorized_operations) {
        for (auto& t : resp.topics) t.topic_authorized_operations = all_topic_operations;
    }
    co_return resp;
}

}  // namespace tributary::kafka
