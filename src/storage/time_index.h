// A segment's sparse time index (Kafka's TimeIndex), in memory for lookups and written whole to the
// segment's .timeindex file. Format and rules: docs/formats/indexes.md.
//
// An entry (t, o) says: the segment's maximum timestamp first reached t in the batch whose last offset
// is o. Entries are added only when that maximum grows, so timestamps strictly increase, and every batch
// before o's batch has a maximum timestamp < t. So lookup(t) gives a safe place to start searching for the
// first record with timestamp >= t: the batch holding the entry's offset (Kafka's findOffsetByTimestamp).
// When a segment is closed its maximum timestamp is appended, so the last entry holds it; a reopened log
// learns a segment's maximum timestamp from this file, as Kafka does.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bytes/bytes.h"
#include "model/fundamental.h"
#include "storage/offset_index.h"
#include "util/result.h"

namespace tributary::storage {

struct timestamp_offset {
    std::int64_t timestamp = -1;
    model::offset offset{-1};
    bool operator==(const timestamp_offset&) const = default;
};

class time_index {
public:
    time_index() = default;  // empty, with room for nothing: what util::result holds on error
    time_index(model::offset base_offset, std::size_t max_entries)
        : base_offset_(base_offset), max_entries_(max_entries) {}

    model::offset base_offset() const { return base_offset_; }
    std::size_t size() const { return entries_.size(); }
    bool is_full() const { return entries_.size() >= max_entries_; }
    std::optional<timestamp_offset> last_entry() const;
    // The i-th entry. REQUIRES: i < size().
    timestamp_offset entry_at(std::size_t i) const {
        return {entries_[i].timestamp, model::offset(base_offset_.value() + entries_[i].relative_offset)};
    }

    // The entry with the largest timestamp <= target, or {-1, base_offset} if there is none.
    timestamp_offset lookup(std::int64_t target) const;

    // Appends (timestamp, offset) iff timestamp is larger than the last entry's (or the index is empty).
    // Beyond max_entries only when `even_if_full` (the closing entry of a segment).
    // REQUIRES: offset >= the last entry's offset; 0 <= offset - base_offset <= max_relative_offset.
    void maybe_append(std::int64_t timestamp, model::offset offset, bool even_if_full = false);

    // Removes every entry whose offset >= target.
    void truncate_to(model::offset target);

    bytes::byte_vector encode() const;
    // Validates: whole entries, at most max_entries + 1 (the closing entry), timestamps strictly
    // increasing, offsets non-decreasing and within the relative range.
    static util::result<time_index, index_error> decode(bytes::bytes_view data, model::offset base_offset,
                                                        std::size_t max_entries);

private:
    struct entry {
        std::int64_t timestamp;
        std::uint32_t relative_offset;
    };
    model::offset base_offset_{0};
    std::size_t max_entries_ = 0;
    std::vector<entry> entries_;
};

}  // namespace tributary::storage
