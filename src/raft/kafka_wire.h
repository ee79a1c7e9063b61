// How raft::core's messages travel between brokers: as Kafka's KRaft APIs, so that the bytes on the
// wire are what Kafka's own tools and captures understand. Vote (52, v2: pre-vote, KIP-996),
// BeginQuorumEpoch (53), EndQuorumEpoch (54) and Fetch (1, as a replica's fetch). Each request carries
// many Raft groups (topic partitions): a broker sends one request per peer for all the groups that have
// something to say to it, so heartbeats and fetches are batched per broker pair.
//
// A few fields of raft's messages are not on the wire, because the broker-to-broker client pairs each
// response with the request it answers (rpc/client.h): a vote_response's pre_vote and candidate_epoch,
// and a fetch_response's echoes of its request (fetch_offset, last_fetched_epoch, sequence). The decoders
// of responses take the request that was sent and fill them from it.
//
// Batches in a Fetch response are Kafka record batches. A batch's kind comes from its first record when it
// is a control batch: LEADER_CHANGE (type 2) is a leader_change batch, KRAFT_VOTERS (type 6, value
// VotersRecord) a voters batch; every other batch (transaction markers included) is data to Raft. The
// builders below write the two control batches the way Kafka writes them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bytes/bytes.h"
#include "model/error_code.h"
#include "model/fundamental.h"
#include "protocol/messages/begin_quorum_epoch_request.h"
#include "protocol/messages/begin_quorum_epoch_response.h"
#include "protocol/messages/end_quorum_epoch_request.h"
#include "protocol/messages/fetch_request.h"
#include "protocol/messages/fetch_response.h"
#include "protocol/messages/vote_request.h"
#include "protocol/messages/vote_response.h"
#include "protocol/records.h"
#include "raft/messages.h"

namespace tributary::raft::wire {

// A Raft group as Kafka's APIs name it: by topic name and partition (Vote, BeginQuorumEpoch,
// EndQuorumEpoch, Fetch before v13) or by topic id and partition (Fetch v13+).
struct group_key {
    std::string topic;
    model::uuid topic_id{};
    std::int32_t partition = 0;
    auto operator<=>(const group_key&) const = default;
};

// One group's part of a request or response. `error` is a response's per-partition error code (a
// broker that does not host the group answers UNKNOWN_TOPIC_OR_PARTITION); requests leave it none.
template <typename M>
struct addressed {
    group_key group;
    M message;
    model::error_code error = model::error_code::none;
};

// A batch of a decoded Fetch response: raft::batch::data points to one of these. `bytes` is the whole
// record batch as the leader sent it (a follower appends it unchanged); `keepalive` holds its buffer.
struct batch_bytes {
    bytes::bytes_view bytes;
    std::shared_ptr<const void> keepalive;
};

// Vote. REQUIRES (encode): every request is from the same candidate.
protocol::vote_request encode_vote_request(const std::vector<addressed<vote_request>>& requests, model::node_id to);
std::vector<addressed<vote_request>> decode_vote_request(const protocol::vote_request& r);
protocol::vote_response encode_vote_response(const std::vector<addressed<vote_response>>& responses);
std::vector<addressed<vote_response>> decode_vote_response(const protocol::vote_response& r,
                                                           const std::vector<addressed<vote_request>>& sent);

// BeginQuorumEpoch.
protocol::begin_quorum_epoch_request encode_begin_quorum_epoch_request(
    const std::vector<addressed<begin_quorum_epoch_request>>& requests, model::node_id to);
std::vector<addressed<begin_quorum_epoch_request>> decode_begin_quorum_epoch_request(
    const protocol::begin_quorum_epoch_request& r);
protocol::begin_quorum_epoch_response encode_begin_quorum_epoch_response(
    const std::vector<addressed<begin_quorum_epoch_response>>& responses);
std::vector<addressed<begin_quorum_epoch_response>> decode_begin_quorum_epoch_response(
    const protocol::begin_quorum_epoch_response& r);

// EndQuorumEpoch (the response carries nothing raft acts on).
protocol::end_quorum_epoch_request encode_end_quorum_epoch_request(
    const std::vector<addressed<end_quorum_epoch_request>>& requests);
std::vector<addressed<end_quorum_epoch_request>> decode_end_quorum_epoch_request(
    const protocol::end_quorum_epoch_request& r);

// Fetch, as a replica sends it. `version` decides whether topics go by id (13+) or by name.
// REQUIRES (encode): every request is from the same replica.
protocol::fetch_request encode_fetch_request(const std::vector<addressed<fetch_request>>& requests,
                                             std::int16_t version, std::int32_t max_wait_ms,
                                             std::int32_t partition_max_bytes);
// The replica comes from ReplicaState (v15+) or ReplicaId. nullopt-free: a consumer's fetch (replica
// id < 0) yields no groups.
std::vector<addressed<fetch_request>> decode_fetch_request(const protocol::fetch_request& r, std::int16_t version);

// A leader's answer for one group and the records it read for it (null unless read_log was set).
struct fetch_answer {
    group_key group;
    fetch_response message;
    protocol::records records;
    model::error_code error = model::error_code::none;
};
protocol::fetch_response encode_fetch_response(const std::vector<fetch_answer>& answers, std::int16_t version);
// Batches are parsed from each partition's records (a malformed batch ends that partition's list there:
// what came before it is still good). `keepalive` holds the response frame the records point into.
std::vector<addressed<fetch_response>> decode_fetch_response(const protocol::fetch_response& r, std::int16_t version,
                                                             const std::vector<addressed<fetch_request>>& sent,
                                                             std::shared_ptr<const void> keepalive);

// The batches of one partition's records as raft sees them, each pointing at a batch_bytes that holds
// `keepalive` (or the records' own keepalive). Stops at the first malformed batch.
std::vector<batch> parse_batches(const protocol::records& records, std::shared_ptr<const void> keepalive);

// The control batches a leader writes, in Kafka's format: LEADER_CHANGE with a LeaderChangeMessage
// (leader and voters), KRAFT_VOTERS with a VotersRecord (the new voter set).
bytes::byte_vector build_leader_change_batch(model::offset base, model::leader_epoch epoch, std::int64_t timestamp,
                                             model::node_id leader, const std::vector<model::node_id>& voters);
bytes::byte_vector build_voters_batch(model::offset base, model::leader_epoch epoch, std::int64_t timestamp,
                                      const std::vector<model::node_id>& voters);

}  // namespace tributary::raft::wire
