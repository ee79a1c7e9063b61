// The Raft APIs brokers send each other (cluster/raft_transport.h): Vote, BeginQuorumEpoch,
// EndQuorumEpoch, and Fetch from a replica (replica_id >= 0, routed here by fetch_handler). Each request
// carries many groups; every group is handed to its replica on the shard that owns it, and the answer is
// what the replica's core answers. A group this broker does not host is answered
// UNKNOWN_TOPIC_OR_PARTITION.
//
// These are served only at the versions the transport sends and are not listed in ApiVersions: they are
// for brokers, and a Kafka broker does not list them to clients either (they belong to its controller
// listener).
#pragma once

#include "kafka/handlers/handler.h"
#include "protocol/messages/begin_quorum_epoch_request.h"
#include "protocol/messages/begin_quorum_epoch_response.h"
#include "protocol/messages/end_quorum_epoch_request.h"
#include "protocol/messages/end_quorum_epoch_response.h"
#include "protocol/messages/fetch_request.h"
#include "protocol/messages/fetch_response.h"
#include "protocol/messages/vote_request.h"
#include "protocol/messages/vote_response.h"

namespace tributary::kafka {

struct vote_handler {
    using request = protocol::vote_request;
    using response = protocol::vote_response;
    static constexpr std::int16_t min_version = 2;
    static constexpr std::int16_t max_version = 2;
    static constexpr bool advertised = false;
    static awaitable<response> handle(request_context& ctx, request req);
};

struct begin_quorum_epoch_handler {
    using request = protocol::begin_quorum_epoch_request;
    using response = protocol::begin_quorum_epoch_response;
    static constexpr std::int16_t min_version = 1;
    static constexpr std::int16_t max_version = 1;
    static constexpr bool advertised = false;
    static awaitable<response> handle(request_context& ctx, request req);
};

struct end_quorum_epoch_handler {
    using request = protocol::end_quorum_epoch_request;
    using response = protocol::end_quorum_epoch_response;
    static constexpr std::int16_t min_version = 1;
    static constexpr std::int16_t max_version = 1;
    static constexpr bool advertised = false;
    static awaitable<response> handle(request_context& ctx, request req);
};

// A Fetch from a replica (replica_id, or ReplicaState from v15, >= 0): the leader's answers.
awaitable<protocol::fetch_response> replica_fetch(request_context& ctx, protocol::fetch_request req);

}  // namespace tributary::kafka
