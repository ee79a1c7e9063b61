// The reader side of a log: Fetch reads and ListOffsets lookups. Segment lookups happen on the loop
// (in-memory indexes); the file reads run on the disk executor (segment_io.h).
#include <spdlog/spdlog.h>

#include "storage/log_internal.h"
#include "storage/segment_io.h"

namespace tributary::storage {

struct log::located_range {
    segment_range range;
    std::shared_ptr<const bytes::shared_fd> fd;  // set when the range is to be sent from the file
    std::shared_ptr<read_buffer> buffer;         // else the bytes, read (files without a descriptor)
};

awaitable<util::result<read_result, storage_error>> log::read(model::offset fetch_offset,
                                                              std::size_t max_bytes,
                                                              model::offset upper_bound, bool min_one_batch,
                                                              bool zero_copy) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    op_guard guard(*this);
    if (fetch_offset < log_start_offset_ || fetch_offset > next_offset_)
        co_return storage_error::offset_out_of_range;

    read_result out;
    out.high_watermark = high_watermark();
    out.log_start_offset = log_start_offset_;
    out.log_end_offset = next_offset_;
    // Only written data can be read; a writer never races a read because both run on the FIFO executor.
    const model::offset bound = std::min(upper_bound, written_offset_);
    for (auto seg = segment_for(fetch_offset); seg && seg->base_offset() < bound && fetch_offset < bound;
         seg = segment_after(seg->base_offset())) {
        if (auto e = co_await ensure_loaded(seg); e != storage_error::none) co_return e;
        const std::uint32_t start = seg->indexes().offsets.lookup(fetch_offset).position;
        if (zero_copy) {
            auto zr = co_await locate_range(seg, start, fetch_offset, bound, max_bytes, min_one_batch);
            if (zr.range.io_error != sys_errno::none) co_return storage_error::io_error;
            if (zr.range.corrupt) {
                spdlog::error("{}: corrupt batch in segment {} while reading offset {}", dir_.string(),
                              seg->base_offset().value(), fetch_offset.value());
                co_return storage_error::corrupt_data;
            }
            if (!zr.range.found) continue;
            if (zr.range.data_size > 0) {
                if (zr.fd) {
                    out.region = bytes::file_region{std::move(zr.fd), zr.range.data_position, zr.range.data_size};
                } else {
                    out.records = zr.buffer->span().first(zr.range.data_size);
                    out.buffer = std::move(zr.buffer);
                }
                out.first_offset = zr.range.first_offset;
                out.next_offset = zr.range.next_offset;
            }
            break;
        }
        auto task = [files = seg->files(), start, end = seg->size(), fetch_offset, bound, max_bytes,
                     min_one_batch, buffers = env_.read_buffers] {
            return read_segment(*files->log, start, end, fetch_offset, bound, max_bytes, min_one_batch,
                                *buffers);
        };
        auto r = co_await run_on_disk(env_.disk, std::move(task));
        if (r.io_error != sys_errno::none) co_return storage_error::io_error;
        if (r.corrupt) {
            spdlog::error("{}: corrupt batch in segment {} while reading offset {}", dir_.string(),
                          seg->base_offset().value(), fetch_offset.value());
            co_return storage_error::corrupt_data;
        }
        if (!r.found) continue;  // fetch_offset is past this segment's last batch
        if (!r.data.empty()) {
            out.records = r.data;
            out.buffer = std::move(r.buffer);
            out.first_offset = r.first_offset;
            out.next_offset = r.next_offset;
        }
        break;
    }
    co_return out;
}

awaitable<log::located_range> log::locate_range(std::shared_ptr<segment> seg, std::uint32_t start,
                                                model::offset fetch_offset, model::offset bound,
                                                std::size_t max_bytes, bool min_one_batch) {
    // On the disk executor, in order with the writes: the range is below the written offset, and the
    // descriptor is duplicated before any later task could close the file (retention, a roll's cleanup).
    auto task = [files = seg->files(), start, end = seg->size(), fetch_offset, bound, max_bytes, min_one_batch,
                 buffers = env_.read_buffers] {
        located_range r;
        r.range = locate_segment_range(*files->log, start, end, fetch_offset, bound, max_bytes, min_one_batch);
        if (r.range.data_size == 0 || r.range.io_error != sys_errno::none || r.range.corrupt) return r;
        if (!files->send_fd) {
            if (const int fd = files->log->duplicate_descriptor(); fd >= 0)
                files->send_fd = std::make_shared<const bytes::shared_fd>(fd);
        }
        if (files->send_fd) {
            r.fd = files->send_fd;
            return r;
        }
        // No descriptor (an in-memory file): read the bytes as read_segment does.
        r.buffer = buffers->acquire(r.range.data_size);
        auto n = files->log->pread(r.buffer->span().first(r.range.data_size), r.range.data_position);
        if (!n)
            r.range.io_error = n.error();
        else if (*n != r.range.data_size)
            r.range.corrupt = true;
        return r;
    };
    co_return co_await run_on_disk(env_.disk, std::move(task));
}

awaitable<util::result<std::optional<timestamp_offset>, storage_error>> log::offset_for_timestamp(
    std::int64_t timestamp, model::offset upper_bound) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    op_guard guard(*this);
    const model::offset bound = std::min(upper_bound, written_offset_);
    // The first segment whose largest timestamp reaches the target holds the answer, if any is below
    // the bound (Kafka's UnifiedLog.fetchOffsetByTimestamp).
    for (auto seg = segments_.front(); seg && seg->base_offset() < bound;
         seg = segment_after(seg->base_offset())) {
        if (auto e = co_await ensure_loaded(seg); e != storage_error::none) co_return e;
        if (seg->max_timestamp() < timestamp) continue;
        const model::offset min_offset = log_start_offset_;
        const auto& idx = seg->indexes();
        const model::offset from = std::max(idx.times.lookup(timestamp).offset, min_offset);
        const std::uint32_t start = idx.offsets.lookup(from).position;
        auto task = [files = seg->files(), start, end = seg->size(), timestamp, min_offset, bound] {
            return find_offset_by_timestamp(*files->log, start, end, timestamp, min_offset, bound);
        };
        auto r = co_await run_on_disk(env_.disk, std::move(task));
        if (r.io_error != sys_errno::none) co_return storage_error::io_error;
        if (r.corrupt) co_return storage_error::corrupt_data;
        co_return r.found;
    }
    co_return std::optional<timestamp_offset>{};
}

awaitable<util::result<std::optional<timestamp_offset>, storage_error>> log::max_timestamp_offset(
    model::offset upper_bound) {
    if (auto e = check_open(); e != storage_error::none) co_return e;
    op_guard guard(*this);
    const model::offset bound = std::min(upper_bound, written_offset_);
    // Candidates: each segment's max timestamp when its batch is below the bound; a segment whose max
    // lies beyond the bound (the active one, just after an append) is searched for its max below it.
    struct candidate {
        std::shared_ptr<segment> seg;
        timestamp_offset best;  // offset is the batch's last offset until resolved
        bool resolved = false;
    };
    std::optional<candidate> best;
    for (auto seg = segments_.front(); seg && seg->base_offset() < bound;
         seg = segment_after(seg->base_offset())) {
        if (auto e = co_await ensure_loaded(seg); e != storage_error::none) co_return e;
        const auto& idx = seg->indexes();
        if (idx.max_timestamp < 0) continue;
        candidate c{seg, {idx.max_timestamp, idx.offset_of_max_timestamp}, false};
        if (idx.offset_of_max_timestamp >= bound) {
            auto task = [files = seg->files(), end = seg->size(), bound] {
                return find_max_timestamp(*files->log, 0, end, bound, std::nullopt);
            };
            auto r = co_await run_on_disk(env_.disk, std::move(task));
            if (r.io_error != sys_errno::none) co_return storage_error::io_error;
            if (r.corrupt) co_return storage_error::corrupt_data;
            if (!r.found) continue;
            c.best = *r.found;
            c.resolved = true;
        }
        if (!best || c.best.timestamp > best->best.timestamp) best = c;
    }
    if (!best) co_return std::optional<timestamp_offset>{};
    if (best->resolved) co_return std::optional<timestamp_offset>(best->best);
    const model::offset batch_last = best->best.offset;
    const std::uint32_t start = best->seg->indexes().offsets.lookup(batch_last).position;
    auto task = [files = best->seg->files(), start, end = best->seg->size(), bound, batch_last] {
        return find_max_timestamp(*files->log, start, end, bound, batch_last);
    };
    auto r = co_await run_on_disk(env_.disk, std::move(task));
    if (r.io_error != sys_errno::none) co_return storage_error::io_error;
    if (r.corrupt) co_return storage_error::corrupt_data;
    co_return r.found;
}

}  // namespace tributary::storage
