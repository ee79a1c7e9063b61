// Which leader epoch wrote which part of a partition's log: a list of (epoch, start offset), one entry per
// leader epoch that wrote batches, ascending in both. It answers OffsetForLeaderEpoch (where did epoch E
// end?), which replicas use to find where their log diverged from the leader's (KIP-101/KIP-279) and
// consumers use to detect a log truncation (KIP-320). Semantics as Kafka's LeaderEpochFileCache.
//
// Kept on disk as `leader-epoch-checkpoint` in the partition directory, in Kafka's text format
// (docs/formats/leader-epoch-checkpoint.md). storage::log owns one and keeps it true across appends,
// truncations and moves of the log start offset; this class is only the list and its rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/fundamental.h"

namespace tributary::storage {

struct epoch_entry {
    std::int32_t epoch = 0;
    model::offset start_offset{0};
    bool operator==(const epoch_entry&) const = default;
};

class leader_epoch_cache {
public:
    static constexpr std::int32_t undefined_epoch = -1;
    static constexpr std::int64_t undefined_offset = -1;

    leader_epoch_cache() = default;
    // REQUIRES: `entries` ascending in epoch and start offset (decode_leader_epoch_checkpoint checks).
    explicit leader_epoch_cache(std::vector<epoch_entry> entries) : entries_(std::move(entries)) {}

    // Records that `epoch` wrote a batch starting at `start_offset`. A new epoch, or the latest one at
    // a lower start offset, replaces the entries it contradicts (epochs >= it or start offsets >= its).
    // Returns whether anything changed (then the file must be rewritten). Negative epochs are ignored.
    bool assign(std::int32_t epoch, model::offset start_offset);
    // The log was truncated to `end_offset`: entries starting at or after it go. Returns whether any did.
    bool truncate_from_end(model::offset end_offset);
    // The log now starts at `start_offset`: entries starting at or before it go, and the last of them
    // is kept with start_offset as its start. Returns whether anything changed.
    bool truncate_from_start(model::offset start_offset);

    // The largest epoch <= `requested` and where it ended: the start offset of the next epoch, or
    // log_end_offset if `requested` is the latest epoch. (undefined_epoch, undefined_offset) if
    // `requested` is undefined or above every epoch. A requested epoch below every epoch answers
    // (requested, the first start offset).
    std::pair<std::int32_t, std::int64_t> end_offset_for(std::int32_t requested, model::offset log_end_offset) const;

    const std::vector<epoch_entry>& entries() const { return entries_; }

private:
    std::vector<epoch_entry> entries_;
};

// Kafka's leader-epoch-checkpoint text: "0\n<count>\n" then "<epoch> <start offset>\n" per entry.
std::string encode_leader_epoch_checkpoint(const std::vector<epoch_entry>& entries);
// nullopt if the text is not a valid version-0 file with ascending entries.
std::optional<std::vector<epoch_entry>> decode_leader_epoch_checkpoint(std::string_view text);

}  // namespace tributary::storage
