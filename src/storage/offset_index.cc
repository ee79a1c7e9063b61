#include "storage/offset_index.h"

#include <algorithm>
#include <cassert>

#include "storage/format.h"

namespace tributary::storage {

std::optional<offset_position> offset_index::last_entry() const {
    if (entries_.empty()) return std::nullopt;
    return offset_position{model::offset(base_offset_.value() + entries_.back().relative_offset),
                           entries_.back().position};
}

offset_position offset_index::lookup(model::offset target) const {
    const std::int64_t rel = target.value() - base_offset_.value();
    if (rel < 0 || entries_.empty()) return {base_offset_, 0};
    // First entry with relative offset > rel, then step back.
    auto it = std::upper_bound(entries_.begin(), entries_.end(), rel, [](std::int64_t r, const entry& e) {
        return r < std::int64_t{e.relative_offset};
    });
    if (it == entries_.begin()) return {base_offset_, 0};
    --it;
    return {model::offset(base_offset_.value() + it->relative_offset), it->position};
}

void offset_index::append(model::offset offset, std::uint32_t position) {
    const std::int64_t rel = offset.value() - base_offset_.value();
    assert(!is_full());
    assert(rel >= 0 && rel <= format::max_relative_offset);
    assert(entries_.empty() ||
           (rel > entries_.back().relative_offset && position > entries_.back().position));
    entries_.push_back({static_cast<std::uint32_t>(rel), position});
}

void offset_index::truncate_to(model::offset target) {
    const std::int64_t rel = target.value() - base_offset_.value();
    std::erase_if(entries_, [rel](const entry& e) { return std::int64_t{e.relative_offset} >= rel; });
}

void offset_index::truncate_to_position(std::uint32_t position) {
    std::erase_if(entries_, [position](const entry& e) { return e.position >= position; });
}

bytes::byte_vector offset_index::encode() const {
    bytes::byte_vector out(entries_.size() * format::offset_index_entry_size);
    bytes::byte* p = out.data();
    for (const auto& e : entries_) {
        bytes::store_be32(p, e.relative_offset);
        bytes::store_be32(p + 4, e.position);
        p += format::offset_index_entry_size;
    }
    return out;
}

util::result<offset_index, index_error> offset_index::decode(bytes::bytes_view data,
                                                             model::offset base_offset,
                                                             std::uint64_t log_size,
                                                             std::size_t max_entries) {
    if (data.size() % format::offset_index_entry_size != 0) return index_error::bad_size;
    const std::size_t n = data.size() / format::offset_index_entry_size;
    if (n > max_entries) return index_error::bad_size;
    offset_index index(base_offset, max_entries);
    index.entries_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const bytes::byte* p = data.data() + i * format::offset_index_entry_size;
        const entry e{bytes::load_be32(p), bytes::load_be32(p + 4)};
        if (e.relative_offset > format::max_relative_offset || e.position >= log_size)
            return index_error::out_of_range;
        if (!index.entries_.empty() && (e.relative_offset <= index.entries_.back().relative_offset ||
                                        e.position <= index.entries_.back().position)) {
            return index_error::not_monotonic;
        }
        index.entries_.push_back(e);
    }
    return index;
}

}  // namespace tributary::storage
