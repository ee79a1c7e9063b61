#include "storage/segment.h"

#include <algorithm>
#include <cassert>

#include "storage/format.h"

namespace tributary::storage {

segment_files::segment_files(const std::filesystem::path& dir, model::offset base_offset)
    : log_path(dir / format::offset_file_name(base_offset, format::log_suffix)),
      offset_index_path(dir / format::offset_file_name(base_offset, format::offset_index_suffix)),
      time_index_path(dir / format::offset_file_name(base_offset, format::time_index_suffix)) {}

void segment_indexes::add_batch(const protocol::record_batch_header& h, std::uint32_t position,
                                std::int32_t index_interval_bytes) {
    if (h.max_timestamp > max_timestamp) {
        max_timestamp = h.max_timestamp;
        offset_of_max_timestamp = h.last_offset();
    }
    if (bytes_since_last_entry > static_cast<std::size_t>(index_interval_bytes)) {
        if (!offsets.is_full()) offsets.append(h.last_offset(), position);
        if (max_timestamp >= 0) times.maybe_append(max_timestamp, offset_of_max_timestamp);
        bytes_since_last_entry = 0;
    }
    bytes_since_last_entry += h.size_bytes();
}

void segment_indexes::restore_max_timestamp() {
    if (auto last = times.last_entry()) {
        max_timestamp = last->timestamp;
        offset_of_max_timestamp = last->offset;
    }
}

bool segment::should_roll(const log_config& config, std::uint64_t bytes, std::int64_t max_timestamp,
                          model::offset last_offset, std::int64_t now_ms) const {
    assert(loaded());
    if (size_ == 0) return false;
    const std::uint64_t limit =
        static_cast<std::uint64_t>(std::min(config.segment_bytes, format::max_segment_bytes));
    if (size_ + bytes > limit) return true;
    if (indexes_->offsets.is_full() || indexes_->times.is_full()) return true;
    if (last_offset.value() - base_offset_.value() > format::max_relative_offset) return true;
    // segment.ms, measured like Kafka: from the first batch's timestamp to this one's, or by the clock
    // from the segment's creation when the batches carry no timestamps.
    const std::int64_t waited = rolling_base_timestamp_ && *rolling_base_timestamp_ >= 0 && max_timestamp >= 0
                                    ? max_timestamp - *rolling_base_timestamp_
                                    : now_ms - created_ms_;
    return waited > config.segment_ms;
}

void segment::append(const protocol::record_batch_header& h, const log_config& config) {
    assert(loaded());
    if (size_ == 0) rolling_base_timestamp_ = h.max_timestamp;
    indexes_->add_batch(h, static_cast<std::uint32_t>(size_), config.index_interval_bytes);
    size_ += h.size_bytes();
    unsynced_ = true;
}

}  // namespace tributary::storage
