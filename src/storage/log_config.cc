#include "storage/log_config.h"

#include <algorithm>

#include "storage/format.h"

namespace tributary::storage {

std::size_t log_config::max_offset_index_entries() const {
    return static_cast<std::size_t>(
        std::max<std::int64_t>(segment_index_bytes, format::offset_index_entry_size) /
        format::offset_index_entry_size);
}

std::size_t log_config::max_time_index_entries() const {
    return static_cast<std::size_t>(
        std::max<std::int64_t>(segment_index_bytes, format::time_index_entry_size) /
        format::time_index_entry_size);
}

}  // namespace tributary::storage
