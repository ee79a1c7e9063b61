#include "kafka/handlers/offset_delete.h"

#include "groups/coordinator.h"
#include "groups/group_admin.h"
#include "kafka/topic_lookup.h"

namespace tributary::kafka {

awaitable<protocol::offset_delete_response> offset_delete_handler::handle(request_context& ctx, request req) {
    using model::error_code;
    auto topics = topics_on(ctx);
    // Unknown topics and partitions are answered here, as Kafka's KafkaApis does.
    std::vector<std::vector<error_code>> errors(req.topics.size());
    std::vector<model::topic_partition> known;
    std::vector<std::pair<std::size_t, std::size_t>> slots;
    for (std::size_t t = 0; t < req.topics.size(); ++t) {
        const auto* found = topics->find(req.topics[t].name);
        errors[t].assign(req.topics[t].partitions.size(), error_code::none);
        for (std::size_t p = 0; p < req.topics[t].partitions.size(); ++p) {
            const std::int32_t index = req.topics[t].partitions[p].partition_index;
            if (found == nullptr || found->partition(index) == nullptr) {
                errors[t][p] = error_code::unknown_topic_or_partition;
                continue;
            }
            known.push_back(model::topic_partition{found->name, index});
            slots.emplace_back(t, p);
        }
    }
    response resp;
    groups::offset_delete_result result;
    auto route = ctx.broker->groups->locate(req.group_id, ctx.shard);
    if (req.group_id.empty()) {
        result.error = error_code::invalid_group_id;
    } else if (route.error != error_code::none) {
        result.error = route.error;
    } else {
        auto remove = [id = req.group_id, known](groups::group_manager& m, std::int32_t partition) {
            return groups::delete_group_offsets(m, id, partition, known);
        };
        auto removing = ctx.broker->groups->on_coordinator(route, std::move(remove));
        result = co_await std::move(removing);
    }
    resp.error_code = model::to_int(result.error);
    if (result.error != error_code::none) co_return resp;
    for (std::size_t i = 0; i < slots.size() && i < result.partitions.size(); ++i)
        errors[slots[i].first][slots[i].second] = result.partitions[i];
    for (std::size_t t = 0; t < req.topics.size(); ++t) {
        response::offset_delete_response_topic out;
        out.name = req.topics[t].name;
        for (std::size_t p = 0; p < req.topics[t].partitions.size(); ++p) {
            response::offset_delete_response_partition part;
            part.partition_index = req.topics[t].partitions[p].partition_index;
            part.error_code = model::to_int(errors[t][p]);
            out.partitions.push_back(part);
        }
        resp.topics.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
