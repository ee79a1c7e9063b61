#include "storage/producer_state.h"

#include <limits>

namespace tributary::storage {

namespace bf = protocol::batch_format;

std::optional<producer_batch> producer_entry::find_batch(std::int32_t first_sequence,
                                                         std::int32_t last_sequence) const {
    for (const auto& b : batches) {
        if (b.first_sequence == first_sequence && b.last_sequence == last_sequence) return b;
    }
    return std::nullopt;
}

const producer_entry* producer_state::find(model::producer_id id) const {
    auto it = producers_.find(id);
    return it == producers_.end() ? nullptr : &it->second;
}

std::optional<producer_batch> producer_state::find_duplicate(const protocol::record_batch_header& h) const {
    if (!h.has_producer_id()) return std::nullopt;
    const producer_entry* e = find(h.producer_id);
    if (e == nullptr || e->epoch != h.producer_epoch) return std::nullopt;
    return e->find_batch(h.base_sequence, h.last_sequence());
}

std::optional<model::offset> producer_state::first_unstable_offset() const {
    std::optional<model::offset> first;
    for (const auto& [id, e] : producers_) {
        if (e.current_txn_first_offset && (!first || *e.current_txn_first_offset < *first)) {
            first = e.current_txn_first_offset;
        }
    }
    return first;
}

std::size_t producer_state::remove_expired(std::int64_t now_ms, std::int64_t expiration_ms) {
    return std::erase_if(producers_, [&](const auto& p) {
        return !p.second.current_txn_first_offset && now_ms - p.second.last_timestamp >= expiration_ms;
    });
}

producer_entry& producer_append::updated(model::producer_id id) {
    auto it = updated_.find(id);
    if (it != updated_.end()) return it->second;
    const producer_entry* current = state_.find(id);
    return updated_.emplace(id, current ? *current : producer_entry{}).first->second;
}

storage_error producer_append::check_epoch(const producer_entry& e, model::producer_epoch epoch) const {
    if (origin_ != append_origin::replication && epoch < e.epoch)
        return storage_error::invalid_producer_epoch;
    return storage_error::none;
}

namespace {
// INT32_MAX is followed by 0: the producer's sequences wrap (Kafka's ProducerAppendInfo.inSequence).
bool in_sequence(std::int32_t last, std::int32_t next) {
    return std::int64_t{next} == std::int64_t{last} + 1 ||
           (next == 0 && last == std::numeric_limits<std::int32_t>::max());
}
}  // namespace

storage_error producer_append::check_sequence(const producer_entry& current, const producer_entry& e,
                                              model::producer_epoch epoch,
                                              std::int32_t first_sequence) const {
    if (epoch != e.epoch) {
        // A new epoch starts at sequence 0, unless we know nothing about this producer.
        if (first_sequence != 0 && e.epoch.value() != bf::no_producer_epoch) {
            return storage_error::out_of_order_sequence;
        }
        return storage_error::none;
    }
    // With no state (the producer's batches were removed by retention or DeleteRecords, or it expired),
    // any sequence is accepted.
    if (current.epoch.value() == bf::no_producer_epoch) return storage_error::none;
    if (!in_sequence(e.last_sequence(), first_sequence)) return storage_error::out_of_order_sequence;
    return storage_error::none;
}

storage_error producer_append::add(const protocol::record_batch_header& h,
                                   const std::optional<txn_marker>& marker) {
    if (!h.has_producer_id()) return storage_error::none;
    const producer_entry* committed = state_.find(h.producer_id);
    const producer_entry current = committed ? *committed : producer_entry{};
    producer_entry& e = updated(h.producer_id);

    if (h.is_control()) {
        // An empty control batch (compaction removed its marker) changes nothing; other control records
        // (KRaft's) do not belong to a producer.
        if (!marker) return storage_error::none;
        if (auto err = check_epoch(e, h.producer_epoch); err != storage_error::none) return err;
        if (origin_ != append_origin::replication && marker->coordinator_epoch < e.coordinator_epoch) {
            return storage_error::coordinator_fenced;
        }
        if (e.epoch != h.producer_epoch) {
            e.epoch = h.producer_epoch;
            e.batches.clear();
        }
        e.coordinator_epoch = marker->coordinator_epoch;
        e.current_txn_first_offset.reset();
        e.last_timestamp = h.max_timestamp;
        return storage_error::none;
    }

    if (auto err = check_epoch(e, h.producer_epoch); err != storage_error::none) return err;
    if (origin_ == append_origin::client) {
        if (auto err = check_sequence(current, e, h.producer_epoch, h.base_sequence);
            err != storage_error::none) {
            return err;
        }
    }
    if (e.current_txn_first_offset && !h.is_transactional()) {
        if (origin_ != append_origin::replication) return storage_error::invalid_txn_state;
    }
    if (e.epoch != h.producer_epoch) {
        e.epoch = h.producer_epoch;
        e.batches.clear();
    }
    if (e.batches.size() == producer_entry::batches_to_retain) e.batches.erase(e.batches.begin());
    e.batches.push_back(
        {h.base_sequence, h.last_sequence(), h.base_offset, h.last_offset(), h.max_timestamp});
    e.last_timestamp = h.max_timestamp;
    if (!e.current_txn_first_offset && h.is_transactional()) e.current_txn_first_offset = h.base_offset;
    return storage_error::none;
}

void producer_append::commit(producer_state& state) && {
    for (auto& [id, e] : updated_) state.producers_[id] = std::move(e);
    updated_.clear();
}

}  // namespace tributary::storage
