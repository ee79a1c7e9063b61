// Per-partition state of idempotent and transactional producers (Kafka's ProducerStateManager,
// ProducerStateEntry and ProducerAppendInfo), owned by the partition's log and touched only on its shard.
//
// For every producer id: its epoch, and the last five batches it appended (first/last sequence,
// first/last offset, max timestamp), which is what a producer with max.in.flight.requests <= 5 may
// retry. The rules, as Kafka applies them to a batch from a client (origin::client):
//   1. Duplicate: same epoch and exactly the sequence range of one of the last five batches. The batch
//      is not appended again; the append returns that batch's original offsets (and no error).
//   2. Epoch: an epoch older than the producer's is INVALID_PRODUCER_EPOCH.
//   3. Sequence, new epoch (or first batch of a producer we have an epoch for): must start at 0, else
//      OUT_OF_ORDER_SEQUENCE_NUMBER. A producer we have no state for (never seen, or expired) may start
//      at any sequence: since KIP-360 (Kafka 2.5) the broker no longer answers UNKNOWN_PRODUCER_ID.
//   4. Sequence, same epoch: first sequence == last sequence + 1, where INT32_MAX is followed by 0;
//      anything else is OUT_OF_ORDER_SEQUENCE_NUMBER.
//   5. Transactions: a non-transactional batch while the producer has a transaction open is
//      INVALID_TXN_STATE; a transactional batch opens one; a COMMIT/ABORT marker closes it, and a marker
//      from an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED.
// Coordinator appends (markers) check the epoch only; replicated appends and recovery replay check nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "model/fundamental.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_control.h"
#include "storage/errors.h"

namespace tributary::storage {

enum class append_origin : std::uint8_t { client, coordinator, replication };

// One appended batch, as remembered for duplicate detection (Kafka's BatchMetadata).
struct producer_batch {
    std::int32_t first_sequence = -1;
    std::int32_t last_sequence = -1;
    model::offset first_offset{-1};
    model::offset last_offset{-1};
    std::int64_t timestamp = -1;  // the batch's max timestamp
    bool operator==(const producer_batch&) const = default;
};

struct producer_entry {
    static constexpr std::size_t batches_to_retain = 5;  // Kafka's NUM_BATCHES_TO_RETAIN

    model::producer_epoch epoch{protocol::batch_format::no_producer_epoch};
    std::int32_t coordinator_epoch = -1;
    std::int64_t last_timestamp = -1;
    std::optional<model::offset> current_txn_first_offset;
    std::vector<producer_batch> batches;  // oldest first, at most batches_to_retain

    std::int32_t last_sequence() const { return batches.empty() ? -1 : batches.back().last_sequence; }
    std::optional<producer_batch> find_batch(std::int32_t first_sequence, std::int32_t last_sequence) const;
    bool operator==(const producer_entry&) const = default;
};

// A COMMIT or ABORT marker of a control batch, decoded by the caller.
struct txn_marker {
    protocol::control_record_type type = protocol::control_record_type::abort;
    std::int32_t coordinator_epoch = 0;
};

class producer_state {
public:
    using map = std::unordered_map<model::producer_id, producer_entry>;

    const producer_entry* find(model::producer_id id) const;
    const map& producers() const { return producers_; }
    std::size_t size() const { return producers_.size(); }
    bool operator==(const producer_state&) const = default;

    // The batch this one repeats (rule 1), if any. Only for origin::client.
    std::optional<producer_batch> find_duplicate(const protocol::record_batch_header& h) const;

    // The smallest first offset of an open transaction: the last stable offset is at most this.
    std::optional<model::offset> first_unstable_offset() const;

    // Removes producers whose last batch is older than now_ms - expiration_ms and which have no open
    // transaction (Kafka's producer.id.expiration.ms). Returns how many were removed.
    std::size_t remove_expired(std::int64_t now_ms, std::int64_t expiration_ms);

    void clear() { producers_.clear(); }
    // For snapshot loading.
    void set(model::producer_id id, producer_entry entry) { producers_[id] = std::move(entry); }

private:
    friend class producer_append;
    map producers_;
};

// The producer-state changes of one append, checked batch by batch against the state plus the earlier
// batches of the same append, and applied all at once by commit() (Kafka's ProducerAppendInfo).
class producer_append {
public:
    // REQUIRES: `state` outlives this object and is not changed before commit().
    producer_append(const producer_state& state, append_origin origin) : state_(state), origin_(origin) {}

    // Checks (per origin) and records one batch whose offsets are final. Batches without a producer id
    // are ignored. `marker` must be set for a control batch holding COMMIT/ABORT.
    storage_error add(const protocol::record_batch_header& h,
                      const std::optional<txn_marker>& marker = std::nullopt);

    void commit(producer_state& state) &&;

private:
    producer_entry& updated(model::producer_id id);
    storage_error check_epoch(const producer_entry& e, model::producer_epoch epoch) const;
    storage_error check_sequence(const producer_entry& current, const producer_entry& e,
                                 model::producer_epoch epoch, std::int32_t first_sequence) const;

    const producer_state& state_;
    append_origin origin_;
    producer_state::map updated_;
};

}  // namespace tributary::storage
