#include "storage/log_checker.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "storage/checkpoints.h"
#include "storage/format.h"
#include "storage/offset_index.h"
#include "storage/producer_snapshot.h"
#include "storage/segment_scanner.h"
#include "storage/time_index.h"

namespace tributary::storage {

namespace {

std::string offset_text(model::offset o) {
    return std::to_string(o.value());
}

// What the scan of one segment learned, for checking its index files.
struct batch_at {
    model::offset last_offset;
    std::int64_t max_timestamp;
    std::int64_t max_timestamp_before;  // the largest max timestamp of the batches before it, or -1
};

struct segment_facts {
    std::map<std::uint64_t, batch_at> by_position;     // batch start -> batch
    std::map<model::offset, std::uint64_t> by_last;    // last offset -> batch start
    std::int64_t max_timestamp = protocol::batch_format::no_timestamp;
};

void check_offset_index(file_system& fs, const std::filesystem::path& path, model::offset base,
                        std::uint64_t size, const segment_facts& facts, partition_check& out) {
    const std::string name = path.filename().string();
    auto data = read_file(fs, path);
    if (!data) {
        out.problems.push_back(name + ": unreadable: " + describe(data.error()));
        return;
    }
    auto index = offset_index::decode(*data, base, size, std::numeric_limits<std::size_t>::max());
    if (!index) {
        out.problems.push_back(name + ": invalid (not whole entries, not increasing, or out of range)");
        return;
    }
    for (std::size_t i = 0; i < index->size(); ++i) {
        const auto e = index->entry_at(i);
        auto it = facts.by_position.find(e.position);
        if (it == facts.by_position.end()) {
            out.problems.push_back(name + ": entry " + std::to_string(i) + " (offset " + offset_text(e.offset) +
                                   ") points at position " + std::to_string(e.position) +
                                   ", which is not the start of a batch");
        } else if (it->second.last_offset != e.offset) {
            out.problems.push_back(name + ": entry " + std::to_string(i) + " says offset " +
                                   offset_text(e.offset) + " but the batch at position " +
                                   std::to_string(e.position) + " ends at offset " +
                                   offset_text(it->second.last_offset));
        }
    }
    out.index_entries += index->size();
}

void check_time_index(file_system& fs, const std::filesystem::path& path, model::offset base,
                      const segment_facts& facts, bool closed, partition_check& out) {
    const std::string name = path.filename().string();
    auto data = read_file(fs, path);
    if (!data) {
        out.problems.push_back(name + ": unreadable: " + describe(data.error()));
        return;
    }
    auto index = time_index::decode(*data, base, std::numeric_limits<std::size_t>::max() - 1);
    if (!index) {
        out.problems.push_back(name + ": invalid (not whole entries, or timestamps not increasing)");
        return;
    }
    for (std::size_t i = 0; i < index->size(); ++i) {
        const auto e = index->entry_at(i);
        auto it = facts.by_last.find(e.offset);
        if (it == facts.by_last.end()) {
            out.problems.push_back(name + ": entry " + std::to_string(i) + " names offset " + offset_text(e.offset) +
                                   ", which is not the last offset of a batch");
            continue;
        }
        const auto& b = facts.by_position.at(it->second);
        if (b.max_timestamp != e.timestamp || b.max_timestamp_before >= e.timestamp) {
            out.problems.push_back(name + ": entry " + std::to_string(i) + " (" + std::to_string(e.timestamp) +
                                   ", offset " + offset_text(e.offset) +
                                   ") is not where the segment's max timestamp first reached that value");
        }
    }
    out.index_entries += index->size();
    // Retention by time reads a closed segment's max timestamp from the last entry.
    if (closed && facts.max_timestamp >= 0) {
        auto last = index->last_entry();
        if (!last || last->timestamp != facts.max_timestamp)
            out.problems.push_back(name + ": the last entry does not hold the segment's max timestamp " +
                                   std::to_string(facts.max_timestamp));
    }
}

}  // namespace

partition_check check_partition_dir(file_system& fs, const std::filesystem::path& dir) {
    partition_check out;
    out.dir = dir;
    auto names = fs.list(dir);
    if (!names) {
        out.problems.push_back("cannot list the directory: " + describe(names.error()));
        return out;
    }
    std::set<model::offset> logs;
    std::set<model::offset> snapshots;
    std::set<std::string> index_files;
    for (const auto& name : *names) {
        if (auto o = format::parse_offset_file_name(name, format::log_suffix)) logs.insert(*o);
        else if (auto s = format::parse_offset_file_name(name, format::producer_snapshot_suffix)) snapshots.insert(*s);
        else if (name.ends_with(format::offset_index_suffix) || name.ends_with(format::time_index_suffix))
            index_files.insert(name);
        else if (name.ends_with(format::temp_suffix)) out.notes.push_back("leftover temporary file " + name);
    }
    if (logs.empty()) {
        out.problems.push_back("no segment files");
        return out;
    }
    for (const auto& name : index_files) {
        const auto suffix =
            name.ends_with(format::offset_index_suffix) ? format::offset_index_suffix : format::time_index_suffix;
        auto o = format::parse_offset_file_name(name, suffix);
        if (!o || !logs.contains(*o)) out.problems.push_back("index file without a segment: " + name);
    }

    std::optional<clean_shutdown_marker> marker;
    if (auto data = read_file(fs, dir / format::clean_shutdown_file)) {
        if (auto m = decode_clean_shutdown_marker(*data)) marker = *m;
        else out.problems.push_back(std::string(format::clean_shutdown_file) + ": does not decode");
    }
    std::optional<partition_checkpoint> checkpoint;
    if (auto data = read_file(fs, dir / format::partition_checkpoint_file)) {
        if (auto c = decode_partition_checkpoint(*data)) checkpoint = *c;
        else out.problems.push_back(std::string(format::partition_checkpoint_file) + ": does not decode");
    }

    std::optional<model::offset> expected;  // where the next batch must start
    std::uint64_t last_size = 0;
    for (auto it = logs.begin(); it != logs.end(); ++it) {
        const model::offset base = *it;
        const bool last = std::next(it) == logs.end();
        const auto log_path = dir / format::offset_file_name(base, format::log_suffix);
        const std::string name = log_path.filename().string();
        ++out.segments;
        // Compaction leaves gaps (between batches and between segments), never overlaps.
        if (expected && base < *expected)
            out.problems.push_back(name + ": starts at offset " + offset_text(base) + " but the segment before ends at " +
                                   offset_text(*expected) + " (an overlap)");
        expected = base;
        auto f = fs.open(log_path, open_mode::read_only);
        if (!f) {
            out.problems.push_back(name + ": cannot open: " + describe(f.error()));
            continue;
        }
        auto size = (*f)->size();
        if (!size) {
            out.problems.push_back(name + ": cannot stat: " + describe(size.error()));
            continue;
        }
        last_size = *size;
        out.bytes += *size;
        if (*size == 0 && !last) out.notes.push_back(name + ": empty (compacted away)");
        segment_facts facts;
        segment_scanner s(**f, 0, *size, segment_scanner::mode::validate);
        while (s.next()) {
            const auto& h = s.header();
            if (h.base_offset < *expected)
                out.problems.push_back(name + ": the batch at position " + std::to_string(s.position()) +
                                       " starts at offset " + offset_text(h.base_offset) + ", expected at least " +
                                       offset_text(*expected) + " (an overlap)");
            facts.by_position.emplace(s.position(), batch_at{h.last_offset(), h.max_timestamp, facts.max_timestamp});
            facts.by_last.emplace(h.last_offset(), s.position());
            facts.max_timestamp = std::max(facts.max_timestamp, h.max_timestamp);
            ++out.batches;
            out.records += static_cast<std::uint64_t>(h.record_count);
            expected = h.next_offset();
        }
        if (s.io_error() != sys_errno::none) {
            out.problems.push_back(name + ": read failed: " + describe(s.io_error()));
        } else if (s.error() != protocol::batch_error::none) {
            out.problems.push_back(name + ": invalid batch at position " + std::to_string(s.position()) + " of " +
                                   std::to_string(*size) + ": " + std::string(protocol::to_string(s.error())));
        }

        // The active segment's index files are written when it is closed: after a clean shutdown they
        // must match (the marker says so); otherwise they may be missing or older than the segment.
        const bool indexes_required = !last || marker.has_value();
        for (const auto suffix : {format::offset_index_suffix, format::time_index_suffix}) {
            const auto path = dir / format::offset_file_name(base, suffix);
            auto present = fs.exists(path);
            if (!present || !*present) {
                // Legitimate after a full disk (the roll or recovery could not write it): the broker
                // rebuilds it from the log when it loads the segment.
                if (indexes_required && *size > 0)
                    out.notes.push_back(path.filename().string() + " missing: rebuilt from the log when loaded");
                continue;
            }
            if (!indexes_required) continue;
            if (suffix == format::offset_index_suffix) check_offset_index(fs, path, base, *size, facts, out);
            else check_time_index(fs, path, base, facts, true, out);
        }
    }
    out.log_end_offset = *expected;

    const model::offset first_base = *logs.begin();
    out.log_start_offset = first_base;
    if (checkpoint) {
        out.log_start_offset = std::max(first_base, checkpoint->log_start_offset);
        if (checkpoint->log_start_offset > out.log_end_offset)
            out.problems.push_back("partition.checkpoint: log start offset " + offset_text(checkpoint->log_start_offset) +
                                   " is past the log end offset " + offset_text(out.log_end_offset));
    }
    if (marker) {
        if (marker->log_end_offset != out.log_end_offset || marker->active_base_offset != *logs.rbegin() ||
            marker->active_size != last_size)
            out.problems.push_back(".clean_shutdown: says log end " + offset_text(marker->log_end_offset) +
                                   ", active segment " + offset_text(marker->active_base_offset) + " of " +
                                   std::to_string(marker->active_size) + " bytes; the files have log end " +
                                   offset_text(out.log_end_offset) + ", active segment " +
                                   offset_text(*logs.rbegin()) + " of " + std::to_string(last_size) + " bytes");
        out.notes.push_back("closed cleanly");
    }
    for (const auto o : snapshots) {
        const std::string name = format::offset_file_name(o, format::producer_snapshot_suffix);
        auto data = read_file(fs, dir / name);
        if (!data) {
            out.problems.push_back(name + ": unreadable");
            continue;
        }
        auto snap = decode_producer_snapshot(*data);
        if (!snap) out.problems.push_back(name + ": does not decode");
        else if (snap->offset != o) out.problems.push_back(name + ": holds the state at offset " + offset_text(snap->offset));
        else if (o > out.log_end_offset) out.notes.push_back(name + ": above the log end offset (removed on open)");
    }
    return out;
}

std::vector<partition_check> check_data_dir(file_system& fs, const std::filesystem::path& data_dir) {
    std::vector<partition_check> out;
    auto names = fs.list(data_dir);
    if (!names) {
        partition_check c;
        c.dir = data_dir;
        c.problems.push_back("cannot list the data directory: " + describe(names.error()));
        out.push_back(std::move(c));
        return out;
    }
    std::sort(names->begin(), names->end());
    for (const auto& name : *names) {
        const auto dir = data_dir / name;
        if (name.find(".stray-") != std::string::npos) continue;
        auto entries = fs.list(dir);
        if (!entries) continue;  // a file, not a directory
        const bool has_segments = std::any_of(entries->begin(), entries->end(), [](const std::string& n) {
            return format::parse_offset_file_name(n, format::log_suffix).has_value();
        });
        if (has_segments) out.push_back(check_partition_dir(fs, dir));
    }
    return out;
}

}  // namespace tributary::storage
