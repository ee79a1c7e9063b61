#include "kafka/handlers/offset_commit.h"

#include "groups/coordinator.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;

}  // namespace

awaitable<protocol::offset_commit_response> offset_commit_handler::handle(request_context& ctx, request req) {
    const std::int16_t version = ctx.api_version;
    const bool by_id = version >= 10;
    auto topics = topics_on(ctx);

    // errors[t][p]: the answer for partition p of topic t; `none` entries go to the coordinator.
    std::vector<std::vector<error_code>> errors(req.topics.size());
    std::vector<std::string> names(req.topics.size());
    groups::offset_commit_args args;
    args.group_id = req.group_id;
    args.generation_or_member_epoch = req.generation_id_or_member_epoch;
    args.member_id = req.member_id;
    args.group_instance_id = req.group_instance_id;
    args.retention_time_ms = req.retention_time_ms;
    args.api_version = version;
    std::vector<std::pair<std::size_t, std::size_t>> slots;  // (topic, partition) of each args entry
    for (std::size_t t = 0; t < req.topics.size(); ++t) {
        const auto& topic = req.topics[t];
        const cluster::topic_metadata* found = by_id ? topics->find(topic.topic_id) : topics->find(topic.name);
        if (found) names[t] = found->name;
        errors[t].assign(topic.partitions.size(), error_code::none);
        for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
            const auto& part = topic.partitions[p];
            if (found == nullptr) {
                errors[t][p] = by_id ? error_code::unknown_topic_id : error_code::unknown_topic_or_partition;
                continue;
            }
            if (found->partition(part.partition_index) == nullptr) {
                errors[t][p] = error_code::unknown_topic_or_partition;
                continue;
            }
            groups::offset_commit_args::entry e;
            e.tp = model::topic_partition{found->name, part.partition_index};
            e.offset = part.committed_offset;
            e.leader_epoch = part.committed_leader_epoch;
            e.metadata = part.committed_metadata;
            args.entries.push_back(std::move(e));
            slots.emplace_back(t, p);
        }
    }

    auto fill = [&](error_code e) {
        for (auto [t, p] : slots) errors[t][p] = e;
    };
    if (!args.entries.empty()) {
        if (req.group_id.empty()) {
            fill(error_code::invalid_group_id);
        } else {
            auto route = ctx.broker->groups->locate(req.group_id, ctx.shard);
            if (route.error != error_code::none) {
                fill(route.error);
            } else {
                args.partition = route.partition;
                auto commit = [args = std::move(args)](groups::group_manager& m, std::int32_t) {
                    return m.commit_offsets(args);
                };
                auto committing = ctx.broker->groups->on_coordinator(route, std::move(commit));
                auto results = co_await std::move(committing);
                for (std::size_t i = 0; i < slots.size(); ++i) errors[slots[i].first][slots[i].second] = results[i];
            }
        }
    }

    response resp;
    for (std::size_t t = 0; t < req.topics.size(); ++t) {
        const auto& topic = req.topics[t];
        response::offset_commit_response_topic out;
        out.name = by_id ? names[t] : topic.name;
        out.topic_id = topic.topic_id;
        for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
            response::offset_commit_response_partition part;
            part.partition_index = topic.partitions[p].partition_index;
            part.error_code = model::to_int(errors[t][p]);
            out.partitions.push_back(part);
        }
        resp.topics.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
