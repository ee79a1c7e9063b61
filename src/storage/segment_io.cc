#include "storage/segment_io.h"

#include <cerrno>

#include "protocol/record_batch_reader.h"
#include "storage/format.h"

namespace tributary::storage {

namespace bf = protocol::batch_format;

segment_scan scan_segment(file& log, model::offset base_offset, std::uint64_t size,
                          segment_scanner::mode mode, const log_config& config,
                          std::optional<model::offset> stop_before,
                          const std::function<void(const protocol::record_batch_header&)>& on_batch) {
    segment_scan out{segment_indexes(base_offset, config)};
    out.next_offset = base_offset;
    model::offset expected = base_offset;
    segment_scanner s(log, 0, size, mode);
    while (s.next()) {
        const auto& h = s.header();
        // REQUIRES of parse_header: last_offset_delta >= 0. Written so that nothing can overflow.
        if (h.base_offset < expected ||
            h.base_offset.value() - base_offset.value() > format::max_relative_offset - h.last_offset_delta) {
            out.error = protocol::batch_error::invalid_record;
            out.offsets_out_of_order = true;
            out.io_error = s.io_error();
            return out;
        }
        if (stop_before && h.last_offset() >= *stop_before) break;
        if (!out.first_batch_max_timestamp) out.first_batch_max_timestamp = h.max_timestamp;
        out.indexes.add_batch(h, static_cast<std::uint32_t>(s.position()), config.index_interval_bytes);
        out.valid_size = s.position() + h.size_bytes();
        out.next_offset = h.next_offset();
        expected = h.next_offset();
        ++out.batches;
        if (on_batch) on_batch(h);
    }
    out.error = s.error();  // none if the scan stopped at stop_before or the end
    out.io_error = s.io_error();
    return out;
}

std::optional<segment_indexes> load_segment_indexes(file_system& fs, segment_files& files,
                                                    model::offset base_offset, std::uint64_t size,
                                                    const log_config& config, std::string* problem) {
    auto offsets_data = read_file(fs, files.offset_index_path);
    auto times_data = read_file(fs, files.time_index_path);
    if (!offsets_data || !times_data) {
        *problem = "index file missing or unreadable";
        return std::nullopt;
    }
    auto offsets = offset_index::decode(*offsets_data, base_offset, size, config.max_offset_index_entries());
    if (!offsets) {
        *problem = "invalid .index file";
        return std::nullopt;
    }
    auto times = time_index::decode(*times_data, base_offset, config.max_time_index_entries());
    if (!times) {
        *problem = "invalid .timeindex file";
        return std::nullopt;
    }
    // Indexes are not checksummed: the last entry must point at a batch that ends at its offset.
    if (auto last = offsets->last_entry()) {
        bytes::byte header[bf::header_size];
        auto n = files.log->pread(header, last->position);
        if (!n || *n < bf::header_size) {
            *problem = "last .index entry points past the data";
            return std::nullopt;
        }
        auto h = protocol::parse_header(bytes::bytes_view(header, bf::header_size));
        if (!h || h->last_offset() != last->offset || last->position + h->size_bytes() > size) {
            *problem = "last .index entry does not point at its batch";
            return std::nullopt;
        }
    }
    segment_indexes out(base_offset, config);
    out.offsets = std::move(*offsets);
    out.times = std::move(*times);
    out.restore_max_timestamp();
    return out;
}

sys_errno write_segment_indexes(file_system& fs, const segment_files& files, const segment_indexes& indexes,
                                bool sync) {
    const std::pair<const std::filesystem::path*, bytes::byte_vector> outputs[] = {
        {&files.offset_index_path, indexes.offsets.encode()},
        {&files.time_index_path, indexes.times.encode()},
    };
    for (const auto& [path, data] : outputs) {
        auto f = fs.open(*path, open_mode::create_truncate);
        if (!f) return f.error();
        if (auto e = (*f)->pwrite(data, 0); e != sys_errno::none) return e;
        if (sync) {
            if (auto e = (*f)->datasync(); e != sys_errno::none) return e;
        }
    }
    return sys_errno::none;
}

sys_errno write_segment_indexes_if_room(file_system& fs, const segment_files& files,
                                        const segment_indexes& indexes, bool sync) {
    const sys_errno e = write_segment_indexes(fs, files, indexes, sync);
    if (!is_out_of_space(e)) return e;
    for (const auto* p : {&files.offset_index_path, &files.time_index_path}) {
        if (auto r = fs.remove(*p); r != sys_errno::none && r != make_errno(ENOENT)) return r;
    }
    return sys_errno::none;
}

std::optional<std::int64_t> read_first_batch_timestamp(file& log, std::uint64_t size) {
    if (size < bf::header_size) return std::nullopt;
    bytes::byte header[bf::header_size];
    auto n = log.pread(header, 0);
    if (!n || *n < bf::header_size) return std::nullopt;
    auto h = protocol::parse_header(bytes::bytes_view(header, bf::header_size));
    if (!h) return std::nullopt;
    return h->max_timestamp;
}

namespace {
constexpr std::size_t lookup_chunk_size = 64 * 1024;
}

segment_read read_segment(file& log, std::uint64_t start_position, std::uint64_t end_position,
                          model::offset fetch_offset, model::offset upper_bound, std::size_t max_bytes,
                          bool min_one_batch, read_buffer_pool& buffers) {
    segment_read out;
    segment_scanner s(log, start_position, end_position, segment_scanner::mode::headers, lookup_chunk_size);
    bool found = false;
    while (s.next()) {
        if (s.header().last_offset() >= fetch_offset) {
            found = true;
            break;
        }
    }
    if (!found) {
        out.io_error = s.io_error();
        // Batches below the written offset are whole; an invalid one there is damage.
        out.corrupt =
            s.error() != protocol::batch_error::none && s.error() != protocol::batch_error::truncated;
        return out;
    }
    out.found = true;
    const auto& first = s.header();
    if (first.base_offset >= upper_bound) return out;
    const std::uint64_t position = s.position();
    std::size_t want = max_bytes;
    if (min_one_batch) want = std::max(want, first.size_bytes());
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_position - position));
    if (want == 0) return out;
    auto buffer = buffers.acquire(want);
    auto n = log.pread(buffer->span().first(want), position);
    if (!n) {
        out.io_error = n.error();
        return out;
    }
    const bytes::bytes_view data = buffer->span().first(*n);
    // Keep whole batches below upper_bound.
    std::size_t keep = 0;
    while (keep + bf::header_size <= data.size()) {
        auto h = protocol::parse_header(data.subspan(keep));
        if (!h || h->base_offset >= upper_bound || keep + h->size_bytes() > data.size()) break;
        if (keep == 0) out.first_offset = h->base_offset;
        out.next_offset = h->next_offset();
        keep += h->size_bytes();
    }
    if (keep == 0) return out;
    out.data = data.first(keep);
    out.buffer = std::move(buffer);
    return out;
}

segment_range locate_segment_range(file& log, std::uint64_t start_position, std::uint64_t end_position,
                                   model::offset fetch_offset, model::offset upper_bound, std::size_t max_bytes,
                                   bool min_one_batch) {
    segment_range out;
    // Windows of the file holding the headers. Large batches need one small read each; after a small
    // batch the window grows so that runs of small batches cost one read per many headers.
    constexpr std::size_t small_window = 256;
    constexpr std::size_t large_window = 16 * 1024;
    constexpr std::size_t small_batch = 8 * 1024;
    bytes::byte window[large_window];
    std::uint64_t window_start = 0;
    std::size_t window_size = 0;
    std::size_t want_window = large_window;
    // The header at `pos`, or an error: io error, corrupt (an invalid header below the written end),
    // or `past_end` (no whole header before end_position).
    enum class at { ok, past_end, io, corrupt };
    protocol::record_batch_header h{};
    auto header_at = [&](std::uint64_t pos) {
        if (pos + bf::header_size > end_position) return at::past_end;
        if (pos < window_start || pos + bf::header_size > window_start + window_size) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(want_window, end_position - pos));
            auto got = log.pread(bytes::mutable_bytes_view(window, n), pos);
            if (!got) {
                out.io_error = got.error();
                return at::io;
            }
            window_start = pos;
            window_size = *got;
            if (window_size < bf::header_size) return at::past_end;
        }
        auto parsed = protocol::parse_header(
            bytes::bytes_view(window + (pos - window_start), bf::header_size));
        if (!parsed) return at::corrupt;
        h = *parsed;
        want_window = h.size_bytes() >= small_batch ? small_window : large_window;
        return at::ok;
    };

    // 1. The batch holding fetch_offset, or the first after it.
    std::uint64_t pos = start_position;
    for (;;) {
        const auto r = header_at(pos);
        if (r == at::io) return out;
        if (r == at::corrupt) {
            out.corrupt = true;
            return out;
        }
        if (r == at::past_end) return out;  // not found
        if (pos + h.size_bytes() > end_position) return out;  // a batch still being written
        if (h.last_offset() >= fetch_offset) break;
        pos += h.size_bytes();
    }
    out.found = true;
    if (h.base_offset >= upper_bound) return out;
    std::size_t want = max_bytes;
    if (min_one_batch) want = std::max(want, h.size_bytes());
    out.data_position = pos;

    // 2. Whole batches below upper_bound within `want` bytes.
    std::size_t keep = 0;
    for (;;) {
        if (keep + h.size_bytes() > want || pos + h.size_bytes() > end_position) break;
        if (keep == 0) out.first_offset = h.base_offset;
        out.next_offset = h.next_offset();
        keep += h.size_bytes();
        pos += h.size_bytes();
        const auto r = header_at(pos);
        if (r == at::io) return out;
        if (r != at::ok || h.base_offset >= upper_bound) break;
    }
    out.data_size = keep;
    return out;
}

namespace {
// Reads the whole batch at `position` (whose header is h).
bool read_batch(file& log, std::uint64_t position, const protocol::record_batch_header& h,
                bytes::byte_vector& out, sys_errno& io_error) {
    out.resize(h.size_bytes());
    auto n = log.pread(out, position);
    if (!n) {
        io_error = n.error();
        return false;
    }
    return *n == out.size();
}
}  // namespace

segment_timestamp_lookup find_offset_by_timestamp(file& log, std::uint64_t start_position,
                                                  std::uint64_t end_position, std::int64_t target,
                                                  model::offset min_offset, model::offset upper_bound) {
    segment_timestamp_lookup out;
    segment_scanner s(log, start_position, end_position, segment_scanner::mode::headers, lookup_chunk_size);
    bytes::byte_vector batch;
    protocol::record_reader reader;
    while (s.next()) {
        const auto& h = s.header();
        if (h.base_offset >= upper_bound) break;
        if (h.max_timestamp < target || h.last_offset() < min_offset) continue;
        if (!read_batch(log, s.position(), h, batch, out.io_error)) {
            out.corrupt = out.io_error == sys_errno::none;
            return out;
        }
        if (reader.open(batch) != protocol::batch_error::none) {
            out.corrupt = true;
            return out;
        }
        while (reader.next()) {
            const auto& r = reader.record();
            if (r.offset >= upper_bound) break;
            if (r.timestamp >= target && r.offset >= min_offset) {
                out.found = timestamp_offset{r.timestamp, r.offset};
                return out;
            }
        }
        if (reader.error() != protocol::batch_error::none) {
            out.corrupt = true;
            return out;
        }
    }
    out.io_error = s.io_error();
    return out;
}

segment_timestamp_lookup find_max_timestamp(file& log, std::uint64_t start_position,
                                            std::uint64_t end_position, model::offset upper_bound,
                                            std::optional<model::offset> stop_after) {
    segment_timestamp_lookup out;
    segment_scanner s(log, start_position, end_position, segment_scanner::mode::headers, lookup_chunk_size);
    std::optional<std::pair<std::uint64_t, protocol::record_batch_header>> best;
    while (s.next()) {
        const auto& h = s.header();
        if (h.base_offset >= upper_bound) break;
        if (h.record_count > 0 && (!best || h.max_timestamp > best->second.max_timestamp))
            best.emplace(s.position(), h);
        if (stop_after && h.last_offset() >= *stop_after) break;
    }
    if (s.io_error() != sys_errno::none) {
        out.io_error = s.io_error();
        return out;
    }
    if (!best) return out;
    const auto& [position, h] = *best;
    if (h.timestamp_type() == protocol::timestamp_type::log_append_time) {
        out.found = timestamp_offset{h.max_timestamp, h.base_offset};
        return out;
    }
    bytes::byte_vector batch;
    if (!read_batch(log, position, h, batch, out.io_error)) {
        out.corrupt = out.io_error == sys_errno::none;
        return out;
    }
    protocol::record_reader reader;
    if (reader.open(batch) != protocol::batch_error::none) {
        out.corrupt = true;
        return out;
    }
    while (reader.next()) {
        if (reader.record().timestamp == h.max_timestamp) {
            out.found = timestamp_offset{h.max_timestamp, reader.record().offset};
            return out;
        }
    }
    // maxTimestamp disagrees with the records (a producer bug): report the batch's last offset.
    out.found = timestamp_offset{h.max_timestamp, h.last_offset()};
    return out;
}

}  // namespace tributary::storage
