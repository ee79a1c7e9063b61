// A segment's sparse offset index (Kafka's OffsetIndex), kept in memory for lookups and written whole
// to the segment's .index file. Format and rules: docs/formats/indexes.md.
//
// An entry maps the last offset of a batch to the file position where that batch starts; the log adds
// one every index.interval.bytes of appended data. lookup(o) returns the last entry at or before o, so
// the batch holding o starts at or after the returned position: the caller scans forward from there.
// The file is not checksummed: decode() validates it and the caller rebuilds it from the log if invalid.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bytes/bytes.h"
#include "model/fundamental.h"
#include "util/result.h"

namespace tributary::storage {

struct offset_position {
    model::offset offset;
    std::uint32_t position = 0;
    bool operator==(const offset_position&) const = default;
};

enum class index_error : std::uint8_t {
    none = 0,
    bad_size,       // the file size is not a multiple of the entry size, or it has too many entries
    not_monotonic,  // offsets (or positions, or timestamps) do not increase
    out_of_range,   // a relative offset or position outside the segment
};

class offset_index {
public:
    offset_index() = default;  // empty, with room for nothing: what util::result holds on error
    offset_index(model::offset base_offset, std::size_t max_entries)
        : base_offset_(base_offset), max_entries_(max_entries) {}

    model::offset base_offset() const { return base_offset_; }
    std::size_t size() const { return entries_.size(); }
    bool is_full() const { return entries_.size() >= max_entries_; }
    std::optional<offset_position> last_entry() const;
    // The i-th entry. REQUIRES: i < size().
    offset_position entry_at(std::size_t i) const {
        return {model::offset(base_offset_.value() + entries_[i].relative_offset), entries_[i].position};
    }

    // The entry with the largest offset <= target, or {base_offset, 0} if there is none.
    offset_position lookup(model::offset target) const;

    // REQUIRES: !is_full(); offset > every entry's offset and position > every entry's position;
    //           0 <= offset - base_offset <= format::max_relative_offset.
    void append(model::offset offset, std::uint32_t position);

    // Removes every entry whose offset >= target.
    void truncate_to(model::offset target);
    // Removes every entry whose position >= position.
    void truncate_to_position(std::uint32_t position);

    bytes::byte_vector encode() const;
    // Decodes and validates a .index file of a segment whose .log is log_size bytes: whole entries, at
    // most max_entries, offsets and positions strictly increasing, positions < log_size.
    static util::result<offset_index, index_error> decode(bytes::bytes_view data, model::offset base_offset,
                                                          std::uint64_t log_size, std::size_t max_entries);

private:
    struct entry {
        std::uint32_t relative_offset;
        std::uint32_t position;
    };
    model::offset base_offset_{0};
    std::size_t max_entries_ = 0;
    std::vector<entry> entries_;
};

}  // namespace tributary::storage
