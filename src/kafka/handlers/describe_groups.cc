#include "kafka/handlers/describe_groups.h"

#include "groups/coordinator.h"
#include "groups/group_admin.h"

namespace tributary::kafka {
namespace {

// DESCRIBE, DELETE, READ (the group operations; no authorizer: all of them), as AclOperation bits.
constexpr std::int32_t all_group_operations = (1 << 3) | (1 << 6) | (1 << 8);

}  // namespace

awaitable<protocol::describe_groups_response> describe_groups_handler::handle(request_context& ctx, request req) {
    response resp;
    const std::int16_t version = ctx.api_version;
    for (const auto& id : req.groups) {
        response::described_group out;
        out.group_id = id;
        groups::described_group d;
        auto route = ctx.broker->groups->locate(id, ctx.shard);
        if (route.error != model::error_code::none) {
            d.error = route.error;
        } else {
            auto describe = [id, version](groups::group_manager& m,
                                          std::int32_t partition) -> awaitable<groups::described_group> {
                co_return groups::describe_group(m, id, partition, version);
            };
            auto describing = ctx.broker->groups->on_coordinator(route, std::move(describe));
            d = co_await std::move(describing);
        }
        out.error_code = model::to_int(d.error);
        out.error_message = d.error_message;
        out.group_state = d.state;
        out.protocol_type = d.protocol_type;
        out.protocol_data = d.protocol_data;
        for (auto& m : d.members) {
            response::described_group_member member;
            member.member_id = std::move(m.member_id);
            member.group_instance_id = std::move(m.group_instance_id);
            member.client_id = std::move(m.client_id);
            member.client_host = std::move(m.client_host);
            member.member_metadata = std::move(m.metadata);
            member.member_assignment = std::move(m.assignment);
            out.members.push_back(std::move(member));
        }
        if (version >= 3 && req.include_authorized_operations) out.authorized_operations = all_group_operations;
        resp.groups.push_back(std::move(out));
    }
    co_return resp;
}

}  // namespace tributary::kafka
