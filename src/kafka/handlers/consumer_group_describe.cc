#include "kafka/handlers/consumer_group_describe.h"

#include "groups/consumer_protocol.h"
#include "groups/coordinator.h"
#include "groups/group_manager.h"

namespace tributary::kafka {
namespace {

// READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS on a group (no authorizer: all of them).
constexpr std::int32_t all_group_operations = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

}  // namespace

awaitable<protocol::consumer_group_describe_response> consumer_group_describe_handler::handle(
    request_context& ctx, request req) {
    response resp;
    for (const auto& id : req.group_ids) {
        response::described_group out;
        out.group_id = id;
        auto route = ctx.broker->groups->locate(id, ctx.shard);
        if (id.empty()) {
            out.error_code = model::to_int(model::error_code::invalid_group_id);
        } else if (route.error != model::error_code::none) {
            out.error_code = model::to_int(route.error);
        } else {
            auto describe = [id](groups::group_manager& m,
                                 std::int32_t partition) -> awaitable<response::described_group> {
                co_return m.consumer().describe(id, partition);
            };
            auto describing = ctx.broker->groups->on_coordinator(route, std::move(describe));
            out = co_await std::move(describing);
        }
        if (req.include_authorized_operations && out.error_code == 0)
            out.authorized_operations = all_group_operations;
        resp.groups.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
