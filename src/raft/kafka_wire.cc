#include "raft/kafka_wire.h"

#include <algorithm>
#include <map>

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "protocol/messages/leader_change_message.h"
#include "protocol/messages/voters_record.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_control.h"
#include "protocol/record_batch_reader.h"

namespace tributary::raft::wire {

namespace {

constexpr std::int32_t no_id = -1;

std::int32_t id_or_none(const std::optional<model::node_id>& n) { return n ? n->value() : no_id; }
std::optional<model::node_id> none_if_negative(model::node_id n) {
    return n.value() < 0 ? std::nullopt : std::optional<model::node_id>(n);
}

// Groups `items` by topic name into Kafka's topics[] / partitions[] shape, topics in first-seen order.
template <typename Topic, typename Item, typename MakePartition>
std::vector<Topic> by_topic(const std::vector<Item>& items, MakePartition make_partition) {
    std::vector<Topic> topics;
    std::map<std::string, std::size_t> index;
    for (const auto& item : items) {
        auto [it, inserted] = index.try_emplace(item.group.topic, topics.size());
        if (inserted) {
            topics.emplace_back();
            topics.back().topic_name = item.group.topic;
        }
        topics[it->second].partitions.push_back(make_partition(item));
    }
    return topics;
}

const addressed<vote_request>* find_sent(const std::vector<addressed<vote_request>>& sent, const group_key& g) {
    // Vote names topics only by name.
    auto it = std::find_if(sent.begin(), sent.end(),
                           [&](const auto& s) { return s.group.topic == g.topic && s.group.partition == g.partition; });
    return it == sent.end() ? nullptr : &*it;
}

fetch_error fetch_error_from(model::error_code e) {
    switch (e) {
        case model::error_code::fenced_leader_epoch: return fetch_error::fenced_leader_epoch;
        case model::error_code::not_leader_or_follower: return fetch_error::not_leader;
        default: return fetch_error::none;
    }
}

model::error_code error_from(fetch_error e) {
    switch (e) {
        case fetch_error::none: return model::error_code::none;
        case fetch_error::fenced_leader_epoch: return model::error_code::fenced_leader_epoch;
        case fetch_error::not_leader: return model::error_code::not_leader_or_follower;
    }
    return model::error_code::unknown_server_error;
}

template <typename T>
bytes::byte_vector encode_value(const T& message, std::int16_t version) {
    bytes::writer w;
    message.encode(w, version);
    return w.to_vector();
}

bytes::byte_vector control_key(protocol::control_record_type type) {
    bytes::writer w;
    w.write_int16(0);
    w.write_int16(static_cast<std::int16_t>(type));
    return w.to_vector();
}

bytes::byte_vector build_control_batch(model::offset base, model::leader_epoch epoch, std::int64_t timestamp,
                                       protocol::control_record_type type, const bytes::byte_vector& value) {
    const auto key = control_key(type);
    protocol::record_batch_builder b(util::compression_type::none, base);
    b.control().partition_leader_epoch(epoch).add(timestamp, bytes::bytes_view(key), bytes::bytes_view(value));
    auto built = b.build();
    return built ? std::move(*built) : bytes::byte_vector{};
}

}  // namespace

std::vector<batch> parse_batches(const protocol::records& records, std::shared_ptr<const void> keepalive) {
    std::vector<batch> out;
    protocol::batch_iterator it(records.data());
    protocol::record_reader reader;
    while (it.next()) {
        const auto& h = it.header();
        batch b{h.base_offset, h.last_offset(), model::leader_epoch(h.partition_leader_epoch), batch_kind::data, nullptr};
        if (h.is_control()) {
            if (reader.open(it.batch()) != protocol::batch_error::none || !reader.next() || !reader.record().key) break;
            auto key = protocol::parse_control_record_key(*reader.record().key);
            if (!key) break;
            if (key->type == protocol::control_record_type::leader_change) {
                b.kind = batch_kind::leader_change;
            } else if (key->type == protocol::control_record_type::kraft_voters) {
                if (!reader.record().value) break;
                bytes::reader r(*reader.record().value);
                protocol::voters_record voters;
                voters.decode(r, 0);
                if (!r.ok() || voters.voters.empty()) break;
                b.kind = batch_kind::voters;
                for (const auto& v : voters.voters) b.voters.push_back(v.voter_id);
            }
        }
        b.data = std::make_shared<const batch_bytes>(batch_bytes{it.batch(), keepalive ? keepalive : records.keepalive()});
        out.push_back(std::move(b));
    }
    return out;
}

// ---- Vote --------------------------------------------------------------------------------------------

protocol::vote_request encode_vote_request(const std::vector<addressed<vote_request>>& requests, model::node_id to) {
    protocol::vote_request r;
    r.voter_id = to;
    r.topics = by_topic<protocol::vote_request::topic_data>(requests, [](const addressed<vote_request>& a) {
        protocol::vote_request::partition_data p;
        p.partition_index = a.group.partition;
        // A pre-vote is sent in the candidate's current epoch (messages.h).
        p.replica_epoch = a.message.candidate_epoch.value() - (a.message.pre_vote ? 1 : 0);
        p.replica_id = a.message.candidate;
        p.last_offset_epoch = a.message.last.epoch.value();
        p.last_offset = a.message.last.offset.value();
        p.pre_vote = a.message.pre_vote;
        return p;
    });
    return r;
}

std::vector<addressed<vote_request>> decode_vote_request(const protocol::vote_request& r) {
    std::vector<addressed<vote_request>> out;
    for (const auto& t : r.topics) {
        for (const auto& p : t.partitions) {
            vote_request v;
            v.candidate_epoch = model::leader_epoch(p.replica_epoch + (p.pre_vote ? 1 : 0));
            v.candidate = p.replica_id;
            v.last = {model::offset(p.last_offset), model::leader_epoch(p.last_offset_epoch)};
            v.pre_vote = p.pre_vote;
            out.push_back({{t.topic_name, {}, p.partition_index}, v});
        }
    }
    return out;
}

protocol::vote_response encode_vote_response(const std::vector<addressed<vote_response>>& responses) {
    protocol::vote_response r;
    r.topics = by_topic<protocol::vote_response::topic_data>(responses, [](const addressed<vote_response>& a) {
        protocol::vote_response::partition_data p;
        p.partition_index = a.group.partition;
        p.error_code = static_cast<std::int16_t>(a.error);
        p.leader_id = model::node_id(id_or_none(a.message.leader));
        p.leader_epoch = a.message.epoch.value();
        p.vote_granted = a.message.granted;
        return p;
    });
    return r;
}

std::vector<addressed<vote_response>> decode_vote_response(const protocol::vote_response& r,
                                                           const std::vector<addressed<vote_request>>& sent) {
    std::vector<addressed<vote_response>> out;
    for (const auto& t : r.topics) {
        for (const auto& p : t.partitions) {
            const group_key g{t.topic_name, {}, p.partition_index};
            const auto* request = find_sent(sent, g);
            if (!request) continue;  // not something we asked
            vote_response v;
            v.epoch = model::leader_epoch(p.leader_epoch);
            v.leader = none_if_negative(p.leader_id);
            v.granted = p.vote_granted;
            v.pre_vote = request->message.pre_vote;
            v.candidate_epoch = request->message.candidate_epoch;
            out.push_back({request->group, v, static_cast<model::error_code>(p.error_code)});
        }
    }
    return out;
}

// ---- BeginQuorumEpoch / EndQuorumEpoch ----------------------------------------------------------------

protocol::begin_quorum_epoch_request encode_begin_quorum_epoch_request(
    const std::vector<addressed<begin_quorum_epoch_request>>& requests, model::node_id to) {
    protocol::begin_quorum_epoch_request r;
    r.voter_id = to;
    r.topics = by_topic<protocol::begin_quorum_epoch_request::topic_data>(
        requests, [](const addressed<begin_quorum_epoch_request>& a) {
            protocol::begin_quorum_epoch_request::partition_data p;
            p.partition_index = a.group.partition;
            p.leader_id = a.message.leader;
            p.leader_epoch = a.message.epoch.value();
            return p;
        });
    return r;
}

std::vector<addressed<begin_quorum_epoch_request>> decode_begin_quorum_epoch_request(
    const protocol::begin_quorum_epoch_request& r) {
    std::vector<addressed<begin_quorum_epoch_request>> out;
    for (const auto& t : r.topics) {
        for (const auto& p : t.partitions) {
            out.push_back({{t.topic_name, {}, p.partition_index},
                           begin_quorum_epoch_request{model::leader_epoch(p.leader_epoch), p.leader_id}});
        }
    }
    return out;
}

protocol::begin_quorum_epoch_response encode_begin_quorum_epoch_response(
    const std::vector<addressed<begin_quorum_epoch_response>>& responses) {
    protocol::begin_quorum_epoch_response r;
    r.topics = by_topic<protocol::begin_quorum_epoch_response::topic_data>(
        responses, [](const addressed<begin_quorum_epoch_response>& a) {
            protocol::begin_quorum_epoch_response::partition_data p;
            p.partition_index = a.group.partition;
            p.error_code = static_cast<std::int16_t>(a.error);
            p.leader_id = model::node_id(id_or_none(a.message.leader));
            p.leader_epoch = a.message.epoch.value();
            return p;
        });
    return r;
}

std::vector<addressed<begin_quorum_epoch_response>> decode_begin_quorum_epoch_response(
    const protocol::begin_quorum_epoch_response& r) {
    std::vector<addressed<begin_quorum_epoch_response>> out;
    for (const auto& t : r.topics) {
        for (const auto& p : t.partitions) {
            out.push_back({{t.topic_name, {}, p.partition_index},
                           begin_quorum_epoch_response{model::leader_epoch(p.leader_epoch), none_if_negative(p.leader_id)},
                           static_cast<model::error_code>(p.error_code)});
        }
    }
    return out;
}

protocol::end_quorum_epoch_request encode_end_quorum_epoch_request(
    const std::vector<addressed<end_quorum_epoch_request>>& requests) {
    protocol::end_quorum_epoch_request r;
    r.topics = by_topic<protocol::end_quorum_epoch_request::topic_data>(
        requests, [](const addressed<end_quorum_epoch_request>& a) {
            protocol::end_quorum_epoch_request::partition_data p;
            p.partition_index = a.group.partition;
            p.leader_id = a.message.leader;
            p.leader_epoch = a.message.epoch.value();
            // v0 names successors by id, v1 by id and directory: fill both, the version picks.
            for (auto s : a.message.preferred_successors) {
                p.preferred_successors.push_back(s.value());
                protocol::end_quorum_epoch_request::replica_info c;
                c.candidate_id = s;
                p.preferred_candidates.push_back(c);
            }
            return p;
        });
    return r;
}

std::vector<addressed<end_quorum_epoch_request>> decode_end_quorum_epoch_request(
    const protocol::end_quorum_epoch_request& r) {
    std::vector<addressed<end_quorum_epoch_request>> out;
    for (const auto& t : r.topics) {
        for (const auto& p : t.partitions) {
            end_quorum_epoch_request e{model::leader_epoch(p.leader_epoch), p.leader_id, {}};
            for (auto s : p.preferred_successors) e.preferred_successors.push_back(model::node_id(s));
            if (e.preferred_successors.empty()) {
                for (const auto& c : p.preferred_candidates) e.preferred_successors.push_back(c.candidate_id);
            }
            out.push_back({{t.topic_name, {}, p.partition_index}, std::move(e)});
        }
    }
    return out;
}

// ---- Fetch -------------------------------------------------------------------------------------------

protocol::fetch_request encode_fetch_request(const std::vector<addressed<fetch_request>>& requests,
                                             std::int16_t version, std::int32_t max_wait_ms,
                                             std::int32_t partition_max_bytes) {
    protocol::fetch_request r;
    if (!requests.empty()) {
        r.replica_id = requests.front().message.replica;  // before v15
        r.replica_state.replica_id = requests.front().message.replica;
    }
    r.max_wait_ms = max_wait_ms;
    r.min_bytes = 0;
    std::map<group_key, std::size_t> index;
    for (const auto& a : requests) {
        // One topic entry per topic (by id from v13, by name before).
        const group_key topic{version >= 13 ? std::string{} : a.group.topic, version >= 13 ? a.group.topic_id : model::uuid{}, 0};
        auto [it, inserted] = index.try_emplace(topic, r.topics.size());
        if (inserted) {
            r.topics.emplace_back();
            r.topics.back().topic = a.group.topic;
            r.topics.back().topic_id = a.group.topic_id;
        }
        protocol::fetch_request::fetch_partition p;
        p.partition = a.group.partition;
        p.current_leader_epoch = a.message.epoch.value();
        p.fetch_offset = a.message.fetch_offset.value();
        p.last_fetched_epoch = a.message.last_fetched_epoch.value();
        p.partition_max_bytes = partition_max_bytes;
        r.topics[it->second].partitions.push_back(p);
    }
    return r;
}

std::vector<addressed<fetch_request>> decode_fetch_request(const protocol::fetch_request& r, std::int16_t version) {
    const auto replica = version >= 15 ? r.replica_state.replica_id : r.replica_id;
    std::vector<addressed<fetch_request>> out;
    if (replica.value() < 0) return out;
    for (const auto& t : r.topics) {
        for (const auto& p : t.partitions) {
            fetch_request f;
            f.epoch = model::leader_epoch(p.current_leader_epoch);
            f.replica = replica;
            f.fetch_offset = model::offset(p.fetch_offset);
            f.last_fetched_epoch = model::leader_epoch(p.last_fetched_epoch);
            out.push_back({{t.topic, t.topic_id, p.partition}, f});
        }
    }
    return out;
}

protocol::fetch_response encode_fetch_response(const std::vector<fetch_answer>& answers, std::int16_t version) {
    protocol::fetch_response r;
    std::map<group_key, std::size_t> index;
    for (const auto& a : answers) {
        const group_key topic{version >= 13 ? std::string{} : a.group.topic, version >= 13 ? a.group.topic_id : model::uuid{}, 0};
        auto [it, inserted] = index.try_emplace(topic, r.responses.size());
        if (inserted) {
            r.responses.emplace_back();
            r.responses.back().topic = a.group.topic;
            r.responses.back().topic_id = a.group.topic_id;
        }
        const auto& m = a.message;
        protocol::fetch_response::partition_data p;
        p.partition_index = a.group.partition;
        p.error_code = static_cast<std::int16_t>(a.error != model::error_code::none ? a.error : error_from(m.error));
        p.high_watermark = m.high_watermark;
        p.log_start_offset = m.log_start_offset.value();
        if (m.diverging_epoch) {
            p.diverging_epoch.epoch = m.diverging_epoch->epoch.value();
            p.diverging_epoch.end_offset = m.diverging_epoch->offset.value();
        }
        p.current_leader.leader_id = model::node_id(id_or_none(m.leader));
        p.current_leader.leader_epoch = m.epoch.value();
        if (m.snapshot) {
            p.snapshot_id.end_offset = m.snapshot->offset.value();
            p.snapshot_id.epoch = m.snapshot->epoch.value();
        }
        p.records = a.records.is_null() ? protocol::records::owned({}) : a.records;
        r.responses[it->second].partitions.push_back(std::move(p));
    }
    return r;
}

std::vector<addressed<fetch_response>> decode_fetch_response(const protocol::fetch_response& r, std::int16_t version,
                                                             const std::vector<addressed<fetch_request>>& sent,
                                                             std::shared_ptr<const void> keepalive) {
    std::vector<addressed<fetch_response>> out;
    for (const auto& t : r.responses) {
        for (const auto& p : t.partitions) {
            // Match the request by topic id (v13+) or name, and partition.
            auto it = std::find_if(sent.begin(), sent.end(), [&](const auto& s) {
                const bool same_topic = version >= 13 ? s.group.topic_id == t.topic_id : s.group.topic == t.topic;
                return same_topic && s.group.partition == p.partition_index;
            });
            if (it == sent.end()) continue;
            const auto error = static_cast<model::error_code>(p.error_code);
            fetch_response f;
            f.error = fetch_error_from(error);
            f.epoch = model::leader_epoch(p.current_leader.leader_epoch);
            f.leader = none_if_negative(p.current_leader.leader_id);
            f.fetch_offset = it->message.fetch_offset;
            f.last_fetched_epoch = it->message.last_fetched_epoch;
            f.sequence = it->message.sequence;
            f.high_watermark = p.high_watermark;
            f.log_start_offset = model::offset(p.log_start_offset);
            if (p.diverging_epoch.epoch >= 0 && p.diverging_epoch.end_offset >= 0) {
                f.diverging_epoch = offset_and_epoch{model::offset(p.diverging_epoch.end_offset),
                                                     model::leader_epoch(p.diverging_epoch.epoch)};
            }
            if (p.snapshot_id.end_offset >= 0 && p.snapshot_id.epoch >= 0) {
                f.snapshot = offset_and_epoch{model::offset(p.snapshot_id.end_offset), model::leader_epoch(p.snapshot_id.epoch)};
            }
            if (error == model::error_code::none) f.batches = parse_batches(p.records, keepalive);
            // An error raft does not know (e.g. UNKNOWN_TOPIC_OR_PARTITION) stays in `error` for the driver.
            const bool raft_error = f.error != fetch_error::none || error == model::error_code::none;
            out.push_back({it->group, std::move(f), raft_error ? model::error_code::none : error});
        }
    }
    return out;
}

// ---- control batches ---------------------------------------------------------------------------------

bytes::byte_vector build_leader_change_batch(model::offset base, model::leader_epoch epoch, std::int64_t timestamp,
                                             model::node_id leader, const std::vector<model::node_id>& voters) {
    protocol::leader_change_message m;
    m.version = 0;
    m.leader_id = leader;
    for (auto v : voters) {
        protocol::leader_change_message::voter entry;
        entry.voter_id = v.value();
        m.voters.push_back(entry);
    }
    return build_control_batch(base, epoch, timestamp, protocol::control_record_type::leader_change, encode_value(m, 0));
}

bytes::byte_vector build_voters_batch(model::offset base, model::leader_epoch epoch, std::int64_t timestamp,
                                      const std::vector<model::node_id>& voters) {
    protocol::voters_record m;
    m.version = 0;
    for (auto v : voters) {
        protocol::voters_record::voter entry;
        entry.voter_id = v;
        m.voters.push_back(entry);
    }
    return build_control_batch(base, epoch, timestamp, protocol::control_record_type::kraft_voters, encode_value(m, 0));
}

}  // namespace tributary::raft::wire
