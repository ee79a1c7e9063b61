#include "storage/log_cleaner.h"

#include <algorithm>
#include <cerrno>

#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_reader.h"
#include "storage/format.h"
#include "storage/segment_io.h"
#include "storage/segment_scanner.h"

namespace tributary::storage {

namespace bf = protocol::batch_format;
using protocol::batch_error;

namespace {

// What an entry of the offset map costs beyond its key (node, hash bucket, string header).
constexpr std::size_t map_entry_overhead = 64;

std::string key_string(bytes::bytes_view key) {
    return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

sys_errno remove_if_exists(file_system& fs, const std::filesystem::path& p) {
    auto e = fs.remove(p);
    return e == make_errno(ENOENT) ? sys_errno::none : e;
}

// A batch with every record gone but its header (Kafka's writeEmptyHeader): base offset,
// lastOffsetDelta, producer fields and timestamps as they were, no records, no codec.
bytes::byte_vector empty_batch_of(bytes::bytes_view batch) {
    bytes::byte_vector out(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(bf::header_size));
    bytes::byte* p = out.data();
    bytes::store_be32(p + bf::batch_length_at, static_cast<std::uint32_t>(bf::header_size - bf::log_overhead));
    const auto attributes = static_cast<std::uint16_t>(bytes::load_be16(p + bf::attributes_at) &
                                                       ~static_cast<std::uint16_t>(bf::compression_mask));
    bytes::store_be16(p + bf::attributes_at, attributes);
    bytes::store_be32(p + bf::records_count_at, 0);
    bytes::store_be32(p + bf::crc_at, protocol::compute_crc(out));
    return out;
}

struct kept_record {
    std::int32_t offset_delta;
    std::int64_t timestamp;
    std::optional<bytes::bytes_view> key;
    std::optional<bytes::bytes_view> value;
    std::vector<protocol::record_header> headers;
};

}  // namespace

void offset_map::put(bytes::bytes_view key, model::offset o) {
    auto [it, inserted] = map_.try_emplace(key_string(key), o.value());
    if (inserted) {
        bytes_ += key.size() + map_entry_overhead;
    } else {
        it->second = std::max(it->second, o.value());
    }
}

std::optional<model::offset> offset_map::get(bytes::bytes_view key) const {
    auto it = map_.find(key_string(key));
    if (it == map_.end()) return std::nullopt;
    return model::offset(it->second);
}

chunk_result map_segment_chunk(file& log, std::uint64_t start, std::uint64_t size, offset_map& map,
                               std::size_t budget) {
    chunk_result out;
    segment_scanner s(log, start, size, segment_scanner::mode::validate);
    protocol::record_reader reader;
    std::size_t read = 0;
    out.next_position = start;
    while (read < budget && s.next()) {
        const auto& h = s.header();
        read += h.size_bytes();
        out.next_position = s.position() + h.size_bytes();
        if (h.is_control() || h.is_transactional()) continue;
        if (reader.open(s.batch()) != batch_error::none) {
            out.corrupt = true;
            return out;
        }
        while (reader.next()) {
            const auto& r = reader.record();
            if (r.key) map.put(*r.key, r.offset);
        }
        if (reader.error() != batch_error::none) {
            out.corrupt = true;
            return out;
        }
    }
    if (s.io_error() != sys_errno::none) {
        out.io_error = s.io_error();
    } else if (s.error() != batch_error::none) {
        out.corrupt = true;
    } else if (read < budget) {
        out.next_position = size;
    }
    return out;
}

cleaned_segment::cleaned_segment(const std::filesystem::path& dir, model::offset base, const log_config& config)
    : base_offset(base),
      files(std::make_shared<segment_files>(dir, base)),
      indexes(base, config) {
    cleaned_path = files->log_path;
    cleaned_path += std::string(cleaned_suffix);
    swap_path = files->log_path;
    swap_path += std::string(swap_suffix);
}

sys_errno open_cleaned(file_system& fs, cleaned_segment& out) {
    auto f = fs.open(out.cleaned_path, open_mode::create_truncate);
    if (!f) return f.error();
    out.files->log = std::move(*f);
    return sys_errno::none;
}

chunk_result clean_segment_chunk(file& log, std::uint64_t start, std::uint64_t size,
                                 const cleaning_policy& policy, const log_config& config, cleaned_segment& out,
                                 std::size_t budget) {
    chunk_result result;
    result.next_position = start;
    segment_scanner s(log, start, size, segment_scanner::mode::validate);
    protocol::record_reader reader;
    bytes::byte_vector pending;  // the output of this chunk, written with one pwrite
    std::size_t read = 0;
    std::vector<kept_record> kept;

    auto emit = [&](bytes::bytes_view batch) {
        auto h = protocol::parse_header(batch);
        const auto position = static_cast<std::uint32_t>(out.size + pending.size());
        out.indexes.add_batch(*h, position, config.index_interval_bytes);
        if (!out.first_batch_max_timestamp) out.first_batch_max_timestamp = h->max_timestamp;
        pending.insert(pending.end(), batch.begin(), batch.end());
    };

    while (read < budget && s.next()) {
        const auto h = s.header();
        const bytes::bytes_view batch = s.batch();
        read += h.size_bytes();
        result.next_position = s.position() + h.size_bytes();
        if (h.is_control() || h.is_transactional()) {
            out.records_kept += static_cast<std::uint64_t>(h.record_count);
            emit(batch);
            continue;
        }
        if (reader.open(batch) != batch_error::none) {
            result.corrupt = true;
            return result;
        }
        kept.clear();
        bool removed_any = false;
        bool kept_tombstone = false;
        while (reader.next()) {
            const auto& r = reader.record();
            bool keep = r.key.has_value();
            if (keep) {
                if (auto latest = policy.map->get(*r.key); latest && *latest > r.offset) keep = false;
            }
            if (keep && !r.value && h.has_delete_horizon() && policy.now_ms >= h.delete_horizon_ms()) keep = false;
            if (!keep) {
                removed_any = true;
                continue;
            }
            if (!r.value) kept_tombstone = true;
            kept_record k{r.offset_delta, h.base_timestamp + r.timestamp_delta, r.key, r.value, {}};
            for (const auto& hd : r.headers) k.headers.push_back(hd);
            kept.push_back(std::move(k));
        }
        if (reader.error() != batch_error::none) {
            result.corrupt = true;
            return result;
        }
        out.records_kept += kept.size();
        out.records_removed += static_cast<std::uint64_t>(h.record_count) - kept.size();
        const bool needs_horizon = kept_tombstone && !h.has_delete_horizon();
        if (kept_tombstone) {
            const std::int64_t horizon =
                h.has_delete_horizon() ? h.delete_horizon_ms() : policy.now_ms + policy.delete_retention_ms;
            out.earliest_delete_horizon = std::min(out.earliest_delete_horizon.value_or(horizon), horizon);
        }
        if (!removed_any && !needs_horizon) {
            emit(batch);
            continue;
        }
        if (kept.empty()) {
            // The last batch of a producer the log tracks stays, empty, so its sequence and epoch do.
            if (h.has_producer_id()) {
                auto it = policy.producer_last_offsets.find(h.producer_id.value());
                if (it != policy.producer_last_offsets.end() && it->second == h.last_offset().value()) {
                    emit(empty_batch_of(batch));
                }
            }
            continue;
        }
        protocol::record_batch_builder b(h.compression(), h.base_offset);
        b.producer(h.producer_id, h.producer_epoch, h.base_sequence).partition_leader_epoch(h.partition_leader_epoch);
        if (h.timestamp_type() == protocol::timestamp_type::log_append_time) b.log_append_time(h.max_timestamp);
        if (h.has_delete_horizon()) {
            b.delete_horizon(h.delete_horizon_ms());
        } else if (needs_horizon) {
            b.delete_horizon(policy.now_ms + policy.delete_retention_ms);
        }
        for (const auto& k : kept) b.add_at(k.offset_delta, k.timestamp, k.key, k.value, k.headers);
        b.last_offset_delta(h.last_offset_delta);
        auto built = b.build();
        if (!built) {
            result.corrupt = true;  // cannot recompress: leave the log as it is
            return result;
        }
        emit(*built);
    }
    if (s.io_error() != sys_errno::none) {
        result.io_error = s.io_error();
        return result;
    }
    if (s.error() != batch_error::none) {
        result.corrupt = true;
        return result;
    }
    if (read < budget) result.next_position = size;
    out.bytes_read += read;
    if (!pending.empty()) {
        if (auto e = out.files->log->pwrite(pending, out.size); e != sys_errno::none) {
            result.io_error = e;
            return result;
        }
        out.size += pending.size();
    }
    return result;
}

sys_errno swap_in_cleaned(file_system& fs, const std::filesystem::path& dir, cleaned_segment& cleaned,
                          const std::vector<std::shared_ptr<segment_files>>& old_segments,
                          std::optional<swap_step> stop_after) {
    auto stop = [&](swap_step s) { return stop_after && *stop_after == s; };
    // 1. The cleaned copy is durable before anything refers to it.
    if (auto e = cleaned.files->log->datasync(); e != sys_errno::none) return e;
    if (stop(swap_step::cleaned_synced)) return sys_errno::none;
    // 2. Decided: from now on recovery completes the swap.
    if (auto e = fs.rename(cleaned.cleaned_path, cleaned.swap_path); e != sys_errno::none) return e;
    if (auto e = fs.sync_dir(dir); e != sys_errno::none) return e;
    if (stop(swap_step::renamed_to_swap)) return sys_errno::none;
    // 3. The old segments go (open handles, e.g. of readers in flight, keep working).
    for (std::size_t i = 0; i < old_segments.size(); ++i) {
        auto& f = *old_segments[i];
        f.replaced = true;
        if (i > 0) {
            if (auto e = remove_if_exists(fs, f.log_path); e != sys_errno::none) return e;
        }
        for (const auto* p : {&f.offset_index_path, &f.time_index_path}) {
            if (auto e = remove_if_exists(fs, *p); e != sys_errno::none) return e;
        }
    }
    if (stop(swap_step::old_removed)) return sys_errno::none;
    // 4. The cleaned copy takes the first segment's name.
    if (auto e = fs.rename(cleaned.swap_path, cleaned.files->log_path); e != sys_errno::none) return e;
    if (auto e = fs.sync_dir(dir); e != sys_errno::none) return e;
    if (stop(swap_step::swapped_in)) return sys_errno::none;
    // 5. Its indexes (hints: rebuilt from the log if missing).
    cleaned.indexes.close();
    return write_segment_indexes_if_room(fs, *cleaned.files, cleaned.indexes);
}

sys_errno complete_interrupted_swaps(file_system& fs, const std::filesystem::path& dir, const log_config& config,
                                     std::vector<std::string>& notes) {
    auto names = fs.list(dir);
    if (!names) return names.error();
    const std::string log_cleaned = std::string(format::log_suffix) + std::string(cleaned_suffix);
    const std::string log_swap = std::string(format::log_suffix) + std::string(swap_suffix);
    std::vector<model::offset> swaps;
    std::vector<model::offset> logs;
    bool changed = false;
    for (const auto& name : *names) {
        if (name.ends_with(cleaned_suffix)) {
            if (auto e = remove_if_exists(fs, dir / name); e != sys_errno::none) return e;
            notes.push_back("removed unfinished compaction output " + name);
            changed = true;
        } else if (auto o = format::parse_offset_file_name(name, log_swap)) {
            swaps.push_back(*o);
        } else if (auto l = format::parse_offset_file_name(name, format::log_suffix)) {
            logs.push_back(*l);
        }
    }
    for (const model::offset base : swaps) {
        segment_files target(dir, base);
        auto swap_path = target.log_path;
        swap_path += std::string(swap_suffix);
        auto f = fs.open(swap_path, open_mode::read_write);
        if (!f) return f.error();
        auto size = (*f)->size();
        if (!size) return size.error();
        // It was fsynced before it was renamed, so it is whole; a damaged tail is cut like any other.
        auto scan = scan_segment(**f, base, *size, segment_scanner::mode::validate, config);
        if (scan.io_error != sys_errno::none) return scan.io_error;
        if (scan.valid_size < *size) {
            if (auto e = (*f)->truncate(scan.valid_size); e != sys_errno::none) return e;
            if (auto e = (*f)->datasync(); e != sys_errno::none) return e;
        }
        const model::offset end = scan.next_offset;
        for (const model::offset o : logs) {
            if (o < base || (o > base && o >= end)) continue;
            segment_files old(dir, o);
            if (o != base) {
                if (auto e = remove_if_exists(fs, old.log_path); e != sys_errno::none) return e;
            }
            for (const auto* p : {&old.offset_index_path, &old.time_index_path}) {
                if (auto e = remove_if_exists(fs, *p); e != sys_errno::none) return e;
            }
        }
        if (auto e = fs.rename(swap_path, target.log_path); e != sys_errno::none) return e;
        notes.push_back("completed the interrupted compaction swap of segment " + std::to_string(base.value()) +
                        " (up to offset " + std::to_string(end.value()) + ")");
        changed = true;
    }
    if (changed) return fs.sync_dir(dir);
    return sys_errno::none;
}

}  // namespace tributary::storage
