// The check of log_recovery_fuzz, also replayed by tests/unit/storage/fuzz_regressions_test.cc: log
// recovery (storage::load_log) over a fuzzed partition directory on the in-memory file system.
// Input: one flags byte, then the segment data.
//   flags bit 0: split the data into two segments at the position in the next two bytes (big-endian,
//                clamped), the second named by the base offset its first batch claims, as a roll
//                would have named it;
//   flags bit 1: the first segment is closed: its .index and .timeindex are fuzzed too (taken from the
//                tail of the data: 8 x n and 12 x m bytes, n and m from the flags' upper bits).
// After recovery: it succeeded (the file system never fails here); every surviving segment is a prefix
// of what was written (recovery only truncates); the log is whole batches with valid CRCs and
// increasing offsets up to the log end offset (check_partition_dir, the `check-log` code, which also
// flags gaps: those recovery allows); and a second open finds nothing to repair and the same log end
// offset. A failure aborts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>

#include "storage/format.h"
#include "storage/log_checker.h"
#include "storage/log_loader.h"
#include "storage/testing/memory_file_system.h"

namespace tributary::fuzz {

namespace log_recovery_detail {

namespace fmt_ = storage::format;

[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "log_recovery_fuzz: %s\n", what);
    std::abort();
}

inline bool is_prefix(const bytes::byte_vector& shorter, bytes::bytes_view longer) {
    return shorter.size() <= longer.size() && std::equal(shorter.begin(), shorter.end(), longer.begin());
}

}  // namespace log_recovery_detail

inline void check_log_recovery_input(bytes::bytes_view input) {
    using namespace log_recovery_detail;
    if (input.empty()) return;
    const std::uint8_t flags = input[0];
    bytes::bytes_view rest = input.subspan(1);

    storage::testing::memory_file_system fs;
    const std::filesystem::path dir = "/data/fuzz-0";
    fs.create_directories(dir);
    storage::log_config config;
    config.index_interval_bytes = 64;

    // Index files for the first segment, from the tail of the data.
    bytes::bytes_view offset_index, time_index;
    if (flags & 2) {
        const std::size_t n = ((flags >> 2) & 7) * storage::format::offset_index_entry_size;
        const std::size_t m = ((flags >> 5) & 7) * storage::format::time_index_entry_size;
        if (rest.size() >= n + m) {
            offset_index = rest.subspan(rest.size() - n - m, n);
            time_index = rest.subspan(rest.size() - m);
            rest = rest.first(rest.size() - n - m);
        }
    }
    // One or two segments.
    bytes::bytes_view first = rest, second;
    model::offset second_base{-1};
    if ((flags & 1) && rest.size() >= 2) {
        const std::size_t split =
            std::min<std::size_t>(rest.size() - 2, (static_cast<std::size_t>(rest[0]) << 8) | rest[1]);
        first = rest.subspan(2, split);
        second = rest.subspan(2 + split);
        std::int64_t claimed = second.size() >= 8 ? static_cast<std::int64_t>(bytes::load_be64(second.data())) : 0;
        if (claimed <= 0 || claimed > (std::int64_t{1} << 40)) claimed = 1000;
        second_base = model::offset(claimed);
    }
    const auto first_path = dir / fmt_::offset_file_name(model::offset(0), fmt_::log_suffix);
    fs.set_contents(first_path, first);
    if (flags & 2) {
        fs.set_contents(dir / fmt_::offset_file_name(model::offset(0), fmt_::offset_index_suffix), offset_index);
        fs.set_contents(dir / fmt_::offset_file_name(model::offset(0), fmt_::time_index_suffix), time_index);
    }
    std::filesystem::path second_path;
    if (second_base >= model::offset(0)) {
        second_path = dir / fmt_::offset_file_name(second_base, fmt_::log_suffix);
        fs.set_contents(second_path, second);
    }

    auto loaded = storage::load_log(fs, dir, config, model::uuid{});
    if (!loaded) fail("load_log failed on a healthy file system");
    if (!is_prefix(fs.contents(first_path).value_or(bytes::byte_vector{}), first))
        fail("recovery changed the first segment instead of truncating it");
    if (!second_path.empty()) {
        if (auto c = fs.contents(second_path); c && !is_prefix(*c, second))
            fail("recovery changed the second segment instead of truncating it");
    }
    loaded->segments.clear();  // closes the files

    const auto check = storage::check_partition_dir(fs, dir);
    if (!check.problems.empty()) {
        for (const auto& p : check.problems) std::fprintf(stderr, "  problem: %s\n", p.c_str());
        // Recovery allows gaps between offsets (replication and compaction will leave them; check-log
        // reports them because nothing does yet); everything else must be consistent.
        for (const auto& p : check.problems)
            if (p.find("(a gap)") == std::string::npos) fail("the recovered log does not pass check-log");
    }
    if (check.log_end_offset != loaded->log_end_offset)
        fail("check-log and recovery disagree on the log end offset");

    auto again = storage::load_log(fs, dir, config, model::uuid{});
    if (!again) fail("the second open failed");
    if (again->report.truncated) fail("the second open truncated again");
    if (again->log_end_offset != loaded->log_end_offset) fail("the second open has another log end offset");
}

}  // namespace tributary::fuzz
