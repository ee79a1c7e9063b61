// raft's messages through Kafka's KRaft APIs and back, via the generated codecs' bytes.
#include "raft/kafka_wire.h"

#include <gtest/gtest.h>

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "protocol/record_batch_builder.h"

namespace tributary::raft::wire {
namespace {

node_id n(int i) { return node_id(i); }
offset off(std::int64_t o) { return offset(o); }
leader_epoch ep(std::int32_t e) { return leader_epoch(e); }

const group_key orders0{"orders", model::uuid{{1, 2, 3}}, 0};
const group_key orders3{"orders", model::uuid{{1, 2, 3}}, 3};
const group_key metadata0{"__cluster_metadata", model::uuid{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}, 0};

// Encodes at `version` and decodes the bytes again, as the peer would.
template <typename M>
M through_bytes(const M& m, std::int16_t version, bytes::byte_vector& keep) {
    bytes::writer w;
    m.encode(w, version);
    keep = w.to_vector();
    bytes::reader r{bytes::bytes_view(keep)};
    M out;
    out.decode(r, version);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
    return out;
}

TEST(RaftKafkaWire, VotesAndPreVotesSurviveTheWireInOneRequestForManyGroups) {
    std::vector<addressed<vote_request>> sent = {
        {orders0, vote_request{ep(7), n(2), {off(120), ep(6)}, true}},
        {orders3, vote_request{ep(4), n(2), {off(9), ep(3)}, false}},
        {metadata0, vote_request{ep(12), n(2), {off(5000), ep(11)}, false}},
    };
    auto wire = encode_vote_request(sent, n(3));
    ASSERT_EQ(wire.topics.size(), 2u);  // grouped by topic
    EXPECT_EQ(wire.topics[0].partitions[0].replica_epoch, 6) << "a pre-vote is sent in the candidate's own epoch";
    bytes::byte_vector keep;
    auto decoded = decode_vote_request(through_bytes(wire, 2, keep));
    ASSERT_EQ(decoded.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(decoded[i].group.topic, sent[i].group.topic);
        EXPECT_EQ(decoded[i].group.partition, sent[i].group.partition);
        EXPECT_EQ(decoded[i].message, sent[i].message) << i;
    }

    std::vector<addressed<vote_response>> answers = {
        {orders0, vote_response{ep(6), n(1), false, true, ep(7)}},
        {orders3, vote_response{ep(4), std::nullopt, true, false, ep(4)}},
        {metadata0, vote_response{}, model::error_code::unknown_topic_or_partition},
    };
    auto back = decode_vote_response(through_bytes(encode_vote_response(answers), 2, keep), sent);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0].message, answers[0].message);
    EXPECT_EQ(back[1].message, answers[1].message);
    EXPECT_EQ(back[2].error, model::error_code::unknown_topic_or_partition);
}

TEST(RaftKafkaWire, AnAnswerForAGroupNotAskedIsDropped) {
    std::vector<addressed<vote_request>> sent = {{orders0, vote_request{ep(2), n(1), {}, false}}};
    std::vector<addressed<vote_response>> answers = {{orders3, vote_response{ep(2), std::nullopt, true, false, ep(2)}}};
    EXPECT_TRUE(decode_vote_response(encode_vote_response(answers), sent).empty());
}

TEST(RaftKafkaWire, BeginAndEndQuorumEpochSurviveTheWire) {
    bytes::byte_vector keep;
    std::vector<addressed<begin_quorum_epoch_request>> begin = {{orders0, {ep(5), n(1)}}, {metadata0, {ep(9), n(1)}}};
    auto begin_back = decode_begin_quorum_epoch_request(through_bytes(encode_begin_quorum_epoch_request(begin, n(2)), 1, keep));
    ASSERT_EQ(begin_back.size(), 2u);
    EXPECT_EQ(begin_back[1].message, begin[1].message);
    std::vector<addressed<begin_quorum_epoch_response>> acks = {{orders0, {ep(5), n(1)}}};
    auto acks_back = decode_begin_quorum_epoch_response(through_bytes(encode_begin_quorum_epoch_response(acks), 1, keep));
    ASSERT_EQ(acks_back.size(), 1u);
    EXPECT_EQ(acks_back[0].message.leader, n(1));

    std::vector<addressed<end_quorum_epoch_request>> end = {{orders3, {ep(5), n(1), {n(3), n(2)}}}};
    for (std::int16_t version : {0, 1}) {
        auto end_back = decode_end_quorum_epoch_request(through_bytes(encode_end_quorum_epoch_request(end), version, keep));
        ASSERT_EQ(end_back.size(), 1u);
        EXPECT_EQ(end_back[0].message, end[0].message) << "version " << version;
    }
}

TEST(RaftKafkaWire, AReplicaFetchNamesTopicsByIdFromVersion13AndByNameBefore) {
    std::vector<addressed<fetch_request>> sent = {
        {orders0, fetch_request{ep(3), n(2), off(100), ep(3), 7}},
        {orders3, fetch_request{ep(1), n(2), off(0), ep(0), 8}},
    };
    bytes::byte_vector keep;
    for (std::int16_t version : {12, 17}) {
        auto back = decode_fetch_request(through_bytes(encode_fetch_request(sent, version, 500, 1 << 20), version, keep), version);
        ASSERT_EQ(back.size(), 2u) << version;
        for (std::size_t i = 0; i < 2; ++i) {
            EXPECT_EQ(back[i].group.partition, sent[i].group.partition);
            if (version >= 13) EXPECT_EQ(back[i].group.topic_id, sent[i].group.topic_id);
            else EXPECT_EQ(back[i].group.topic, sent[i].group.topic);
            auto expected = sent[i].message;
            expected.sequence = 0;  // not on the wire
            EXPECT_EQ(back[i].message, expected);
        }
    }
    // A consumer's fetch is not a replica's.
    auto consumer = encode_fetch_request(sent, 17, 500, 1 << 20);
    consumer.replica_state.replica_id = n(-1);
    EXPECT_TRUE(decode_fetch_request(consumer, 17).empty());
}

TEST(RaftKafkaWire, AFetchResponseCarriesBatchesWithTheirKindsAndTheLeadersAnswers) {
    // Records: a leader_change control batch at 10, two data records at 11-12, a voters batch at 13.
    auto leader_change = build_leader_change_batch(off(10), ep(4), 1000, n(1), {n(1), n(2), n(3)});
    protocol::record_batch_builder data(util::compression_type::none, off(11));
    data.partition_leader_epoch(ep(4)).add(1001, std::nullopt, bytes::bytes_view{}).add(1002, std::nullopt, bytes::bytes_view{});
    auto data_batch = *data.build();
    auto voters = build_voters_batch(off(13), ep(4), 1003, {n(1), n(2), n(3), n(4)});
    bytes::byte_vector all = leader_change;
    all.insert(all.end(), data_batch.begin(), data_batch.end());
    all.insert(all.end(), voters.begin(), voters.end());

    std::vector<addressed<fetch_request>> sent = {
        {orders0, fetch_request{ep(4), n(2), off(10), ep(3), 41}},
        {orders3, fetch_request{ep(4), n(2), off(50), ep(2), 42}},
        {metadata0, fetch_request{ep(3), n(2), off(7), ep(3), 43}},
    };
    fetch_answer records_answer{orders0, {}, protocol::records::owned(all)};
    records_answer.message.epoch = ep(4);
    records_answer.message.leader = n(1);
    records_answer.message.high_watermark = 12;
    records_answer.message.log_start_offset = off(0);
    fetch_answer diverged{orders3, {}, protocol::records::null()};
    diverged.message.epoch = ep(4);
    diverged.message.leader = n(1);
    diverged.message.diverging_epoch = offset_and_epoch{off(40), ep(2)};
    fetch_answer fenced{metadata0, {}, protocol::records::null()};
    fenced.message.error = fetch_error::fenced_leader_epoch;
    fenced.message.epoch = ep(5);
    fenced.message.leader = n(3);

    bytes::byte_vector keep;
    auto wire = through_bytes(encode_fetch_response({records_answer, diverged, fenced}, 17), 17, keep);
    auto back = decode_fetch_response(wire, 17, sent, nullptr);
    ASSERT_EQ(back.size(), 3u);

    const auto& r = back[0].message;
    EXPECT_EQ(r.sequence, 41u) << "echoes filled from the request";
    EXPECT_EQ(r.fetch_offset, off(10));
    EXPECT_EQ(r.high_watermark, 12);
    EXPECT_EQ(r.leader, n(1));
    ASSERT_EQ(r.batches.size(), 3u);
    EXPECT_EQ(r.batches[0].kind, batch_kind::leader_change);
    EXPECT_EQ(r.batches[0].base, off(10));
    EXPECT_EQ(r.batches[1].kind, batch_kind::data);
    EXPECT_EQ(r.batches[1].base, off(11));
    EXPECT_EQ(r.batches[1].last, off(12));
    EXPECT_EQ(r.batches[1].epoch, ep(4));
    EXPECT_EQ(r.batches[2].kind, batch_kind::voters);
    EXPECT_EQ(r.batches[2].voters, (std::vector<node_id>{n(1), n(2), n(3), n(4)}));
    // The batch bytes are the leader's, unchanged, for the follower to append.
    auto* bytes0 = static_cast<const batch_bytes*>(r.batches[1].data.get());
    ASSERT_NE(bytes0, nullptr);
    EXPECT_TRUE(std::equal(bytes0->bytes.begin(), bytes0->bytes.end(), data_batch.begin(), data_batch.end()));

    ASSERT_TRUE(back[1].message.diverging_epoch);
    EXPECT_EQ(*back[1].message.diverging_epoch, (offset_and_epoch{off(40), ep(2)}));
    EXPECT_TRUE(back[1].message.batches.empty());

    EXPECT_EQ(back[2].message.error, fetch_error::fenced_leader_epoch);
    EXPECT_EQ(back[2].message.epoch, ep(5));
    EXPECT_EQ(back[2].message.leader, n(3));
    EXPECT_EQ(back[2].error, model::error_code::none);
}

TEST(RaftKafkaWire, ABatchListEndsAtTheFirstMalformedBatch) {
    protocol::record_batch_builder data(util::compression_type::none, off(0));
    data.partition_leader_epoch(ep(1)).add(1, std::nullopt, bytes::bytes_view{});
    auto good = *data.build();
    bytes::byte_vector all = good;
    all.insert(all.end(), good.begin(), good.begin() + 20);  // a torn second batch
    fetch_answer a{orders0, {}, protocol::records::owned(all)};
    a.message.epoch = ep(1);
    a.message.leader = n(1);
    std::vector<addressed<fetch_request>> sent = {{orders0, fetch_request{ep(1), n(2), off(0), ep(0), 1}}};
    bytes::byte_vector keep;
    auto back = decode_fetch_response(through_bytes(encode_fetch_response({a}, 17), 17, keep), 17, sent, nullptr);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].message.batches.size(), 1u);
}

}  // namespace
}  // namespace tributary::raft::wire
