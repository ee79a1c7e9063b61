#include "rpc/frame_keepalive.h"

#include "protocol/messages/fetch_response.h"
#include "protocol/messages/fetch_snapshot_response.h"
#include "protocol/messages/share_fetch_response.h"

namespace tributary::rpc {

void keep_frame_alive(protocol::fetch_response& response, const std::shared_ptr<const void>& frame) {
    for (auto& topic : response.responses)
        for (auto& partition : topic.partitions) partition.records.set_keepalive(frame);
}

void keep_frame_alive(protocol::fetch_snapshot_response& response, const std::shared_ptr<const void>& frame) {
    for (auto& topic : response.topics)
        for (auto& partition : topic.partitions) partition.unaligned_records.set_keepalive(frame);
}

void keep_frame_alive(protocol::share_fetch_response& response, const std::shared_ptr<const void>& frame) {
    for (auto& topic : response.responses)
        for (auto& partition : topic.partitions) partition.records.set_keepalive(frame);
}

}  // namespace tributary::rpc
