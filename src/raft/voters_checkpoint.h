// The voter sets a Raft group's log holds (raft::voter_set, one per voters batch, and the set in force
// at the log start), kept in `voters-checkpoint` in the partition directory so that a restarted
// replica counts majorities with the right set without reading its whole log back
// (docs/formats/voters-checkpoint.md). The file may run ahead of the log, never behind it: a set is
// written here before its batch is appended, and a reader drops the sets at or past the log end.
// The file calls block: run them on the partition's disk executor.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/core.h"
#include "storage/file_io.h"

namespace tributary::raft {

inline constexpr std::string_view voters_checkpoint_file_name = "voters-checkpoint";

// "0\n<count>\n" then "<offset> <id>,<id>,...\n" per set, ascending by offset.
std::string encode_voters_checkpoint(const std::vector<voter_set>& sets);
// nullopt unless a version-0 file with ascending offsets and non-empty sets.
std::optional<std::vector<voter_set>> decode_voters_checkpoint(std::string_view text);

// The sets in `dir`'s file (none if there is no file); nullopt if it cannot be read or decoded.
std::optional<std::vector<voter_set>> read_voters_checkpoint(storage::file_system& fs, const std::filesystem::path& dir);
// Replaces the file atomically and durably. False on failure.
bool write_voters_checkpoint(storage::file_system& fs, const std::filesystem::path& dir, const std::vector<voter_set>& sets);

// What of a checkpoint applies to a log [log_start, log_end): sets at or past log_end are gone (the
// file ran ahead), and of the sets below log_start only the last is kept.
std::vector<voter_set> voter_sets_for(std::vector<voter_set> sets, model::offset log_start, model::offset log_end);

}  // namespace tributary::raft
