// Decoded record batches point into the frame they were read from (protocol/records.h). A response that
// carries records makes each of them hold the frame, so the response may outlive the client's buffer.
#pragma once

#include <memory>

namespace tributary::protocol {
struct fetch_response;
struct fetch_snapshot_response;
struct share_fetch_response;
}  // namespace tributary::protocol

namespace tributary::rpc {

// Responses without records need nothing.
template <typename Response>
void keep_frame_alive(Response&, const std::shared_ptr<const void>&) {}

void keep_frame_alive(protocol::fetch_response& response, const std::shared_ptr<const void>& frame);
void keep_frame_alive(protocol::fetch_snapshot_response& response, const std::shared_ptr<const void>& frame);
void keep_frame_alive(protocol::share_fetch_response& response, const std::shared_ptr<const void>& frame);

}  // namespace tributary::rpc
