#include "kafka/handlers/offset_fetch.h"

#include <map>

#include "groups/coordinator.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;

// One group's request, the same for every version.
struct group_request {
    std::string group_id;
    std::optional<std::string> member_id;
    std::int32_t member_epoch = -1;
    struct topic {
        std::string name;    // resolved (empty when the id is unknown)
        model::uuid id;      // v10
        std::vector<std::int32_t> partitions;
    };
    std::optional<std::vector<topic>> topics;  // nullopt: every committed offset
};

struct partition_answer {
    std::int32_t partition = 0;
    std::int64_t offset = -1;
    std::int32_t leader_epoch = -1;
    std::optional<std::string> metadata;
    error_code error = error_code::none;
};

struct topic_answer {
    std::string name;
    model::uuid id;
    std::vector<partition_answer> partitions;
};

struct group_answer {
    error_code error = error_code::none;
    std::vector<topic_answer> topics;
};

awaitable<group_answer> fetch_group(request_context& ctx, group_request g, std::int16_t version) {
    group_answer out;
    auto topics = topics_on(ctx);
    if (g.group_id.empty()) {
        out.error = error_code::invalid_group_id;
        co_return out;
    }
    groups::offset_fetch_args args;
    args.group_id = g.group_id;
    args.member_id = g.member_id;
    args.member_epoch = g.member_epoch;
    args.api_version = version;
    if (g.topics) {
        args.partitions.emplace();
        for (const auto& t : *g.topics) {
            if (t.name.empty()) continue;  // unknown id: answered below
            for (auto p : t.partitions) args.partitions->push_back(model::topic_partition{t.name, p});
        }
    }
    auto route = ctx.broker->groups->locate(g.group_id, ctx.shard);
    groups::offset_fetch_result result;
    if (route.error != error_code::none) {
        result.error = route.error;
    } else {
        args.partition = route.partition;
        auto fetch = [args = std::move(args)](groups::group_manager& m,
                                               std::int32_t partition) -> awaitable<groups::offset_fetch_result> {
            groups::offset_fetch_result r;
            r.error = m.partition_status(partition);
            if (r.error == error_code::none) r = m.fetch_offsets(args);
            co_return r;
        };
        auto fetching = ctx.broker->groups->on_coordinator(route, std::move(fetch));
        result = co_await std::move(fetching);
    }
    out.error = result.error;
    if (out.error != error_code::none) {
        if (version < 2 && g.topics) {
            // v1 has no group-level error: every partition carries it.
            for (const auto& t : *g.topics) {
                topic_answer ta{t.name, t.id, {}};
                for (auto p : t.partitions) ta.partitions.push_back(partition_answer{p, -1, -1, "", out.error});
                out.topics.push_back(std::move(ta));
            }
        }
        co_return out;
    }
    std::map<model::topic_partition, const groups::fetched_offset*> by_tp;
    for (const auto& f : result.offsets) by_tp[f.tp] = &f;
    if (g.topics) {
        for (const auto& t : *g.topics) {
            topic_answer ta{t.name, t.id, {}};
            for (auto p : t.partitions) {
                partition_answer a{p, -1, -1, "", error_code::none};
                if (t.name.empty()) {
                    a.error = error_code::unknown_topic_id;
                } else if (auto it = by_tp.find(model::topic_partition{t.name, p}); it != by_tp.end()) {
                    a.offset = it->second->offset;
                    a.leader_epoch = it->second->leader_epoch;
                    a.metadata = it->second->metadata;
                    a.error = it->second->error;
                }
                ta.partitions.push_back(std::move(a));
            }
            out.topics.push_back(std::move(ta));
        }
    } else {
        std::map<std::string, topic_answer> by_topic;
        for (const auto& f : result.offsets) {
            auto& ta = by_topic[f.tp.topic];
            if (ta.name.empty()) {
                ta.name = f.tp.topic;
                if (const auto* found = topics->find(f.tp.topic)) ta.id = found->id;
            }
            ta.partitions.push_back(partition_answer{f.tp.partition, f.offset, f.leader_epoch, f.metadata, f.error});
        }
        for (auto& [name, ta] : by_topic) {
            if (version >= 10 && ta.id.is_zero()) continue;  // a deleted topic has no id to name it by
            out.topics.push_back(std::move(ta));
        }
    }
    co_return out;
}

}  // namespace

awaitable<protocol::offset_fetch_response> offset_fetch_handler::handle(request_context& ctx, request req) {
    const std::int16_t version = ctx.api_version;
    auto topics = topics_on(ctx);
    response resp;
    if (version < 8) {
        group_request g;
        g.group_id = req.group_id;
        if (req.topics) {
            g.topics.emplace();
            for (const auto& t : *req.topics) g.topics->push_back(group_request::topic{t.name, {}, t.partition_indexes});
        }
        auto fetching = fetch_group(ctx, std::move(g), version);
        auto answer = co_await std::move(fetching);
        resp.error_code = model::to_int(answer.error);
        for (auto& t : answer.topics) {
            response::offset_fetch_response_topic out;
            out.name = t.name;
            for (auto& p : t.partitions) {
                response::offset_fetch_response_partition part;
                part.partition_index = p.partition;
                part.committed_offset = p.offset;
                part.committed_leader_epoch = p.leader_epoch;
                part.metadata = p.metadata;
                part.error_code = model::to_int(p.error);
                out.partitions.push_back(std::move(part));
            }
            resp.topics.push_back(std::move(out));
        }
        co_return resp;
    }
    for (const auto& rg : req.groups) {
        group_request g;
        g.group_id = rg.group_id;
        g.member_id = rg.member_id;
        g.member_epoch = rg.member_epoch;
        if (rg.topics) {
            g.topics.emplace();
            for (const auto& t : *rg.topics) {
                group_request::topic gt{t.name, t.topic_id, t.partition_indexes};
                if (version >= 10) {
                    const auto* found = topics->find(t.topic_id);
                    gt.name = found ? found->name : std::string();
                }
                g.topics->push_back(std::move(gt));
            }
        }
        auto fetching = fetch_group(ctx, std::move(g), version);
        auto answer = co_await std::move(fetching);
        response::offset_fetch_response_group out;
        out.group_id = rg.group_id;
        out.error_code = model::to_int(answer.error);
        for (auto& t : answer.topics) {
            response::offset_fetch_response_topics ot;
            ot.name = t.name;
            ot.topic_id = t.id;
            for (auto& p : t.partitions) {
                response::offset_fetch_response_partitions part;
                part.partition_index = p.partition;
                part.committed_offset = p.offset;
                part.committed_leader_epoch = p.leader_epoch;
                part.metadata = p.metadata;
                part.error_code = model::to_int(p.error);
                ot.partitions.push_back(std::move(part));
            }
            out.topics.push_back(std::move(ot));
        }
        resp.groups.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
