#include "storage/time_index.h"

#include <algorithm>
#include <cassert>

#include "storage/format.h"

namespace tributary::storage {

std::optional<timestamp_offset> time_index::last_entry() const {
    if (entries_.empty()) return std::nullopt;
    return timestamp_offset{entries_.back().timestamp,
                            model::offset(base_offset_.value() + entries_.back().relative_offset)};
}

timestamp_offset time_index::lookup(std::int64_t target) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), target,
                               [](std::int64_t t, const entry& e) { return t < e.timestamp; });
    if (it == entries_.begin()) return {-1, base_offset_};
    --it;
    return {it->timestamp, model::offset(base_offset_.value() + it->relative_offset)};
}

void time_index::maybe_append(std::int64_t timestamp, model::offset offset, bool even_if_full) {
    const std::int64_t rel = offset.value() - base_offset_.value();
    assert(rel >= 0 && rel <= format::max_relative_offset);
    if (!entries_.empty() && timestamp <= entries_.back().timestamp) return;
    if (is_full() && !even_if_full) return;
    assert(entries_.empty() || rel >= entries_.back().relative_offset);
    entries_.push_back({timestamp, static_cast<std::uint32_t>(rel)});
}

void time_index::truncate_to(model::offset target) {
    const std::int64_t rel = target.value() - base_offset_.value();
    std::erase_if(entries_, [rel](const entry& e) { return std::int64_t{e.relative_offset} >= rel; });
}

bytes::byte_vector time_index::encode() const {
    bytes::byte_vector out(entries_.size() * format::time_index_entry_size);
    bytes::byte* p = out.data();
    for (const auto& e : entries_) {
        bytes::store_be64(p, static_cast<std::uint64_t>(e.timestamp));
        bytes::store_be32(p + 8, e.relative_offset);
        p += format::time_index_entry_size;
    }
    return out;
}

util::result<time_index, index_error> time_index::decode(bytes::bytes_view data, model::offset base_offset,
                                                         std::size_t max_entries) {
    if (data.size() % format::time_index_entry_size != 0) return index_error::bad_size;
    const std::size_t n = data.size() / format::time_index_entry_size;
    if (n > max_entries + 1) return index_error::bad_size;
    time_index index(base_offset, max_entries);
    index.entries_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const bytes::byte* p = data.data() + i * format::time_index_entry_size;
        const entry e{static_cast<std::int64_t>(bytes::load_be64(p)), bytes::load_be32(p + 8)};
        if (e.relative_offset > format::max_relative_offset) return index_error::out_of_range;
        if (!index.entries_.empty() && (e.timestamp <= index.entries_.back().timestamp ||
                                        e.relative_offset < index.entries_.back().relative_offset)) {
            return index_error::not_monotonic;
        }
        index.entries_.push_back(e);
    }
    return index;
}

}  // namespace tributary::storage
