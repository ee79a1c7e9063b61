#include "storage/log_loader.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "protocol/record_batch_reader.h"
#include "storage/checkpoints.h"
#include "storage/format.h"
#include "storage/log_cleaner.h"
#include "storage/producer_snapshot.h"
#include "storage/segment_scanner.h"
#include "storage/segment_io.h"

namespace tributary::storage {

namespace bf = protocol::batch_format;
using protocol::batch_error;

std::string to_string(const recovery_report& r) {
    std::ostringstream out;
    if (r.created) {
        out << "created";
    } else if (r.clean_shutdown) {
        out << "clean shutdown, nothing scanned";
    } else {
        out << "scanned " << r.segments_scanned << " segment(s), " << r.bytes_scanned << " bytes";
    }
    if (r.truncated) {
        out << "; " << (r.truncated->torn_tail ? "torn tail" : "corruption") << " ("
            << (r.truncated->offsets_out_of_order ? std::string_view("batch offsets out of order")
                                                  : protocol::to_string(r.truncated->reason))
            << ") in segment "
            << r.truncated->segment_base_offset.value() << " at position " << r.truncated->position
            << ": dropped " << r.truncated->bytes_dropped << " bytes";
    }
    if (!r.segments_deleted.empty()) out << "; deleted " << r.segments_deleted.size() << " later segment(s)";
    if (r.indexes_rebuilt > 0) out << "; rebuilt " << r.indexes_rebuilt << " index(es)";
    if (r.producer_snapshot) out << "; producer snapshot " << r.producer_snapshot->value();
    if (r.batches_replayed > 0) out << ", replayed " << r.batches_replayed << " batch(es)";
    for (const auto& n : r.notes) out << "; " << n;
    return out.str();
}

std::optional<txn_marker> parse_txn_marker(bytes::bytes_view batch) {
    protocol::record_reader reader;
    if (reader.open(batch) != batch_error::none || !reader.header().is_control() || !reader.next())
        return std::nullopt;
    const auto& r = reader.record();
    if (!r.key || !r.value) return std::nullopt;
    auto key = protocol::parse_control_record_key(*r.key);
    if (!key || (key->type != protocol::control_record_type::abort &&
                 key->type != protocol::control_record_type::commit))
        return std::nullopt;
    auto marker = protocol::parse_end_txn_marker(*r.value);
    if (!marker) return std::nullopt;
    return txn_marker{key->type, marker->coordinator_epoch};
}

namespace {

std::filesystem::path snapshot_path(const std::filesystem::path& dir, model::offset o) {
    return dir / format::offset_file_name(o, format::producer_snapshot_suffix);
}

// True iff every byte of the file from `position` on is zero.
bool zero_tail(file& f, std::uint64_t position, std::uint64_t end) {
    bytes::byte_vector buf(64 * 1024);
    while (position < end) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end - position));
        auto got = f.pread(bytes::mutable_bytes_view(buf).first(n), position);
        if (!got || *got == 0) return false;
        if (std::any_of(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*got),
                        [](bytes::byte b) { return b != 0; }))
            return false;
        position += *got;
    }
    return true;
}

sys_errno remove_segment_files(file_system& fs, const segment_files& files) {
    for (const auto* p : {&files.log_path, &files.offset_index_path, &files.time_index_path}) {
        if (auto e = fs.remove(*p); e != sys_errno::none && e != make_errno(ENOENT)) return e;
    }
    return sys_errno::none;
}

}  // namespace

producer_rebuild rebuild_producer_state(file_system& fs, const std::filesystem::path& dir,
                                        std::set<model::offset>& snapshots,
                                        const std::vector<segment_ref>& segments, model::offset end) {
    producer_rebuild out;
    // Newest usable snapshot at or below `end`; drop the ones above it and unreadable ones.
    for (auto it = snapshots.rbegin(); it != snapshots.rend();) {
        const model::offset o = *it;
        bool usable = false;
        if (o <= end) {
            if (auto data = read_file(fs, snapshot_path(dir, o))) {
                if (auto snap = decode_producer_snapshot(*data); snap && snap->offset == o) {
                    out.state = std::move(snap->state);
                    out.snapshot = o;
                    usable = true;
                }
            }
        }
        if (usable) break;
        fs.remove(snapshot_path(dir, o));
        it = std::make_reverse_iterator(snapshots.erase(std::next(it).base()));
    }
    const model::offset from = out.snapshot.value_or(model::offset(0));
    bytes::byte_vector control;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& seg = segments[i];
        if (seg.base_offset >= end) break;
        if (i + 1 < segments.size() && segments[i + 1].base_offset <= from) continue;
        segment_scanner s(*seg.files->log, 0, seg.size, segment_scanner::mode::headers);
        while (s.next()) {
            const auto& h = s.header();
            if (h.base_offset >= end) break;
            if (h.last_offset() < from || !h.has_producer_id()) continue;
            std::optional<txn_marker> marker;
            if (h.is_control()) {
                control.resize(h.size_bytes());
                auto n = seg.files->log->pread(control, s.position());
                if (!n) {
                    out.io_error = n.error();
                    return out;
                }
                if (*n == control.size()) marker = parse_txn_marker(control);
            }
            producer_append append(out.state, append_origin::replication);
            append.add(h, marker);
            std::move(append).commit(out.state);
            ++out.batches_replayed;
        }
        if (s.io_error() != sys_errno::none) {
            out.io_error = s.io_error();
            return out;
        }
    }
    return out;
}

util::result<loaded_log, storage_error> load_log(file_system& fs, const std::filesystem::path& dir,
                                                 const log_config& config, const model::uuid& topic_id) {
    loaded_log out;
    auto& report = out.report;
    if (fs.create_directories(dir) != sys_errno::none) return storage_error::io_error;

    // partition.metadata: the topic id this directory belongs to. It is written without an fsync of
    // its own (the directory sync below or the next roll makes it durable); a missing or torn file is
    // rewritten, since only a readable file naming another topic is evidence of a stale directory.
    const auto metadata_path = dir / format::partition_metadata_file;
    bool sync_metadata = false;
    std::optional<model::uuid> stored_id;
    if (auto data = read_file(fs, metadata_path))
        stored_id = decode_partition_metadata(bytes::as_chars(*data));
    if (stored_id && !topic_id.is_zero() && *stored_id != topic_id)
        return storage_error::inconsistent_topic_id;
    if (!stored_id && !topic_id.is_zero()) {
        const auto e = write_file_unsynced(fs, metadata_path, bytes::as_bytes(encode_partition_metadata(topic_id)));
        if (e == sys_errno::none) {
            sync_metadata = true;
        } else if (is_out_of_space(e)) {
            // Only a safety check against stale directories: a full disk must not keep the log closed.
            // A partial file does not decode and is rewritten at the next open.
            report.notes.push_back("partition.metadata not written: " + describe(e));
        } else {
            return storage_error::io_error;
        }
    }

    // A compaction that a crash interrupted: finish its swap or drop its output (log_cleaner.h).
    if (complete_interrupted_swaps(fs, dir, config, report.notes) != sys_errno::none) return storage_error::io_error;

    auto names = fs.list(dir);
    if (!names) return storage_error::io_error;
    std::set<model::offset> logs;
    std::vector<std::string> index_files;
    for (const auto& name : *names) {
        if (auto o = format::parse_offset_file_name(name, format::log_suffix)) {
            logs.insert(*o);
        } else if (auto s = format::parse_offset_file_name(name, format::producer_snapshot_suffix)) {
            out.snapshots.insert(*s);
        } else if (name.ends_with(format::temp_suffix)) {
            fs.remove(dir / name);  // an atomic replacement that did not finish
            report.notes.push_back("removed leftover " + name);
        } else if (name.ends_with(format::offset_index_suffix) || name.ends_with(format::time_index_suffix)) {
            index_files.push_back(name);
        }
    }
    for (const auto& name : index_files) {
        const auto suffix = name.ends_with(format::offset_index_suffix) ? format::offset_index_suffix
                                                                        : format::time_index_suffix;
        auto o = format::parse_offset_file_name(name, suffix);
        if (o && !logs.contains(*o)) {
            fs.remove(dir / name);
            report.notes.push_back("removed index without a segment: " + name);
        }
    }

    std::optional<partition_checkpoint> checkpoint;
    if (auto data = read_file(fs, dir / format::partition_checkpoint_file)) {
        if (auto c = decode_partition_checkpoint(*data)) {
            checkpoint = *c;
        } else {
            report.notes.push_back("invalid partition.checkpoint ignored: recovering from the first segment");
        }
    }
    std::optional<clean_shutdown_marker> marker;
    if (auto data = read_file(fs, dir / format::clean_shutdown_file)) {
        out.clean_shutdown_marker = true;
        if (auto m = decode_clean_shutdown_marker(*data)) marker = *m;
    }

    // Open every segment.
    bool created = false;
    if (logs.empty()) {
        logs.insert(checkpoint ? checkpoint->log_start_offset : model::offset(0));
        created = true;
    }
    for (const model::offset base : logs) {
        auto files = std::make_shared<segment_files>(dir, base);
        auto f = fs.open(files->log_path, created ? open_mode::read_write_create : open_mode::read_write);
        if (!f) return storage_error::io_error;
        files->log = std::move(*f);
        auto size = files->log->size();
        if (!size) return storage_error::io_error;
        out.segments.push_back(
            loaded_segment{segment_ref{base, std::move(files), *size}, std::nullopt, std::nullopt});
    }
    if ((created || sync_metadata) && fs.sync_dir(dir) != sys_errno::none) return storage_error::io_error;

    const model::offset first_base = out.segments.front().ref.base_offset;
    auto& active = out.segments.back();
    report.created = created;
    if (created) {
        active.indexes = segment_indexes(active.ref.base_offset, config);
        out.log_end_offset = active.ref.base_offset;
    }
    bool clean = marker && !created && marker->active_base_offset == active.ref.base_offset &&
                 marker->active_size == active.ref.size && marker->log_end_offset >= active.ref.base_offset;
    if (clean) {
        // The index files were written without fsync: use them only if they hold what the marker says.
        std::string problem;
        auto indexes = load_segment_indexes(fs, *active.ref.files, active.ref.base_offset, active.ref.size,
                                            config, &problem);
        if (indexes && (indexes->offsets.size() != marker->offset_index_entries ||
                        indexes->times.size() != marker->time_index_entries)) {
            indexes.reset();
            problem = "index files do not match the clean-shutdown marker";
        }
        if (!indexes) {
            auto scan = scan_segment(*active.ref.files->log, active.ref.base_offset, active.ref.size,
                                     segment_scanner::mode::validate, config);
            if (scan.io_error != sys_errno::none) return storage_error::io_error;
            if (scan.error != batch_error::none || scan.next_offset != marker->log_end_offset) {
                clean = false;
            } else {
                indexes = std::move(scan.indexes);
                ++report.indexes_rebuilt;
                report.notes.push_back(problem + " for the active segment: rebuilt");
            }
        }
        if (clean) {
            indexes->max_timestamp = marker->active_max_timestamp;
            indexes->offset_of_max_timestamp = marker->active_offset_of_max_timestamp;
            active.indexes = std::move(indexes);
            active.rolling_base_timestamp =
                read_first_batch_timestamp(*active.ref.files->log, active.ref.size);
            out.log_end_offset = marker->log_end_offset;
        }
    }
    report.clean_shutdown = clean;

    if (!clean && !created) {
        model::offset recovery_point = checkpoint ? checkpoint->recovery_point : first_base;
        // The segment holding the recovery point and every later one are checked.
        std::size_t first_scanned = 0;
        for (std::size_t i = 0; i < out.segments.size(); ++i) {
            if (out.segments[i].ref.base_offset <= recovery_point) first_scanned = i;
        }
        bool deleted_any = false;
        for (std::size_t i = first_scanned; i < out.segments.size(); ++i) {
            auto& seg = out.segments[i];
            if (i > first_scanned && seg.ref.base_offset < out.log_end_offset) {
                // The segment before runs past this one's base offset: a roll never leaves that, so one
                // of them is damaged. The log ends where the earlier one does.
                recovery_report::truncation t;
                t.segment_base_offset = out.segments[i - 1].ref.base_offset;
                t.position = out.segments[i - 1].ref.size;
                t.reason = batch_error::invalid_record;
                t.offsets_out_of_order = true;
                for (std::size_t j = i; j < out.segments.size(); ++j) {
                    t.bytes_dropped += out.segments[j].ref.size;
                    if (remove_segment_files(fs, *out.segments[j].ref.files) != sys_errno::none)
                        return storage_error::io_error;
                    report.segments_deleted.push_back(out.segments[j].ref.base_offset);
                }
                deleted_any = true;
                out.segments.resize(i);
                report.truncated = t;
                break;
            }
            auto scan = scan_segment(*seg.ref.files->log, seg.ref.base_offset, seg.ref.size,
                                     segment_scanner::mode::validate, config);
            if (scan.io_error != sys_errno::none) return storage_error::io_error;
            ++report.segments_scanned;
            report.bytes_scanned += seg.ref.size;
            if (scan.valid_size < seg.ref.size) {
                recovery_report::truncation t;
                t.segment_base_offset = seg.ref.base_offset;
                t.position = scan.valid_size;
                t.reason = scan.error;
                t.offsets_out_of_order = scan.offsets_out_of_order;
                t.torn_tail = !scan.offsets_out_of_order && i + 1 == out.segments.size() &&
                              (scan.error == batch_error::truncated ||
                               zero_tail(*seg.ref.files->log, scan.valid_size, seg.ref.size));
                t.bytes_dropped = seg.ref.size - scan.valid_size;
                for (std::size_t j = i + 1; j < out.segments.size(); ++j) {
                    t.bytes_dropped += out.segments[j].ref.size;
                    if (remove_segment_files(fs, *out.segments[j].ref.files) != sys_errno::none)
                        return storage_error::io_error;
                    report.segments_deleted.push_back(out.segments[j].ref.base_offset);
                    deleted_any = true;
                }
                out.segments.resize(i + 1);
                if (seg.ref.files->log->truncate(scan.valid_size) != sys_errno::none)
                    return storage_error::io_error;
                seg.ref.size = scan.valid_size;
                report.truncated = t;
            }
            // Make what survived durable before anything is appended after it.
            if (seg.ref.files->log->datasync() != sys_errno::none) return storage_error::io_error;
            seg.rolling_base_timestamp = scan.first_batch_max_timestamp;
            out.log_end_offset = scan.next_offset;
            const bool is_last = i + 1 == out.segments.size();
            if (!is_last) {
                // A closed segment keeps index files; the active one's are written when it is closed.
                scan.indexes.close();
                if (write_segment_indexes_if_room(fs, *seg.ref.files, scan.indexes) != sys_errno::none)
                    return storage_error::io_error;
            }
            seg.indexes = std::move(scan.indexes);
            ++report.indexes_rebuilt;
            if (is_last) break;
        }
        if (deleted_any && fs.sync_dir(dir) != sys_errno::none) return storage_error::io_error;
    }
    out.recovery_point = out.segments.back().ref.base_offset;

    out.log_start_offset = std::max(first_base, checkpoint ? checkpoint->log_start_offset : first_base);
    out.log_start_offset = std::min(out.log_start_offset, out.log_end_offset);

    // Producer state.
    std::vector<segment_ref> refs;
    for (const auto& s : out.segments) refs.push_back(s.ref);
    auto rebuilt = rebuild_producer_state(fs, dir, out.snapshots, refs, out.log_end_offset);
    if (rebuilt.io_error != sys_errno::none) return storage_error::io_error;
    out.producers = std::move(rebuilt.state);
    report.producer_snapshot = rebuilt.snapshot;
    report.batches_replayed = rebuilt.batches_replayed;

    // Leader epochs. Every entry is written before the batch that opens its epoch (log::append), so
    // the file covers the log; entries past a crash's cut, or below the log start, are dropped here.
    {
        leader_epoch_cache epochs;
        bool from_file = false;
        bool rewrite = false;
        if (auto data = read_file(fs, dir / format::leader_epoch_checkpoint_file)) {
            if (auto entries = decode_leader_epoch_checkpoint(bytes::as_chars(*data))) {
                epochs = leader_epoch_cache(std::move(*entries));
                from_file = true;
            } else {
                report.notes.push_back("invalid leader-epoch-checkpoint: rebuilt from the batches");
            }
        }
        if (!from_file && out.log_end_offset > out.log_start_offset) {
            // A log written before the file existed, or a damaged file: one pass over the headers.
            std::size_t batches = 0;
            for (const auto& seg : out.segments) {
                segment_scanner s(*seg.ref.files->log, 0, seg.ref.size, segment_scanner::mode::headers);
                while (s.next()) {
                    const auto& h = s.header();
                    ++batches;
                    if (h.next_offset() <= out.log_start_offset) continue;
                    epochs.assign(h.partition_leader_epoch.value(), std::max(h.base_offset, out.log_start_offset));
                }
                if (s.io_error() != sys_errno::none) return storage_error::io_error;
            }
            report.notes.push_back("leader-epoch-checkpoint rebuilt from " + std::to_string(batches) + " batch headers");
            rewrite = true;
        }
        rewrite |= epochs.truncate_from_end(out.log_end_offset);
        rewrite |= epochs.truncate_from_start(out.log_start_offset);
        if (rewrite) {
            const auto e = write_file_atomically(fs, dir / format::leader_epoch_checkpoint_file,
                                                 bytes::as_bytes(encode_leader_epoch_checkpoint(epochs.entries())));
            if (is_out_of_space(e)) {
                // The next open cuts the file again; nothing relies on it being cut on disk.
                report.notes.push_back("leader-epoch-checkpoint not updated: " + describe(e));
            } else if (e != sys_errno::none) {
                return storage_error::io_error;
            }
        }
        out.leader_epochs = epochs.entries();
    }

    if (checkpoint)
        out.checkpoint_on_disk = std::pair{checkpoint->log_start_offset, checkpoint->recovery_point};
    if (!clean && !created) {
        if (out.clean_shutdown_marker) {
            // A marker that does not match the files is stale: it must not vouch for them next time.
            if (fs.remove(dir / format::clean_shutdown_file) != sys_errno::none ||
                fs.sync_dir(dir) != sys_errno::none)
                return storage_error::io_error;
            out.clean_shutdown_marker = false;
            report.notes.push_back("stale clean-shutdown marker removed");
        }
        // Record where the next crash recovery has to start.
        partition_checkpoint c{out.log_start_offset, out.recovery_point};
        if (!checkpoint || *checkpoint != c) {
            const auto e = write_file_atomically(fs, dir / format::partition_checkpoint_file,
                                                 encode_partition_checkpoint(c));
            if (e == sys_errno::none) {
                out.checkpoint_on_disk = std::pair{c.log_start_offset, c.recovery_point};
            } else if (is_out_of_space(e)) {
                // The old checkpoint (or none) makes the next recovery scan from further back: slower,
                // not wrong. A full disk must not keep the partition from opening.
                report.notes.push_back("partition.checkpoint not updated: " + describe(e));
            } else {
                return storage_error::io_error;
            }
        }
    }
    return out;
}

}  // namespace tributary::storage
