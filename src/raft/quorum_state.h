// The quorum-state file of a Raft group: what raft::core asks the driver to persist (output::persist:
// the epoch and the vote cast in it) and the leader known in that epoch, one file per group in the
// group's partition directory. The format is KRaft's `quorum-state` file (Kafka's FileQuorumStateStore:
// one line of JSON, QuorumStateData plus `data_version`), described in docs/formats/quorum-state.md;
// the constants below are that document's.
//
// Writer and reader are a pair. The writer replaces the file atomically (temporary file, fsync, rename,
// fsync of the directory), so the reader never sees a torn file: a missing file is a replica that never
// persisted anything (epoch 0, no vote), and a file that does not decode is an error, never a reason to
// start again from nothing, since forgetting a vote could let the replica vote twice in one epoch.
//
// The file calls block: run them on a disk executor (storage/file_io.h), never on an event loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "model/fundamental.h"
#include "raft/core.h"
#include "storage/file_io.h"
#include "util/result.h"

namespace tributary::raft {

namespace quorum_state_format {
inline constexpr std::string_view file_name = "quorum-state";
// storage::write_file_atomically writes here first; a leftover one is an unfinished write.
inline constexpr std::string_view temp_file_name = "quorum-state.tmp";
// data_version: 0 is KRaft's first format (with clusterId, appliedOffset, currentVoters), 1 the one
// since KIP-853 (with votedDirectoryId, without the others). Both are read; 1 is written.
inline constexpr std::int64_t lowest_data_version = 0;
inline constexpr std::int64_t data_version = 1;
// leaderId and votedId when there is none (Kafka's UNKNOWN_LEADER_ID and NOT_VOTED).
inline constexpr std::int32_t no_id = -1;
// votedDirectoryId when the vote names no directory: the zero uuid (Kafka's Uuid.ZERO_UUID) in Kafka's
// Uuid text. We do not track directory ids, so it is what we write.
inline constexpr std::string_view no_directory_id = "AAAAAAAAAAAAAAAAAAAAAA";
}  // namespace quorum_state_format

// Everything the file holds for us. persistent_state is the part whose loss would break Raft's safety;
// the leader only saves a restarted replica from waiting for the next BeginQuorumEpoch or fetch answer.
struct quorum_state {
    persistent_state state;
    std::optional<model::node_id> leader;  // the leader of state.epoch, if known
    bool operator==(const quorum_state&) const = default;
};

enum class quorum_state_error : std::uint8_t {
    none = 0,
    io_error,             // the file (or its directory) could not be read, written or synced
    corrupt,              // not one JSON object with the fields of its data_version, or a value out of range
    unsupported_version,  // a data_version this reader does not know (written by a newer release)
};
std::string_view to_string(quorum_state_error e);

// The file's text: one compact JSON object, fields in Kafka's order, no trailing newline (byte for byte
// what Kafka writes for the same state at data_version 1).
std::string encode_quorum_state(const quorum_state& s);
// Accepts data_version 0 and 1; fields it does not use (v0's clusterId, appliedOffset, currentVoters;
// v1's votedDirectoryId beyond being a Kafka Uuid) are not kept.
util::result<quorum_state, quorum_state_error> decode_quorum_state(std::string_view text);

// Reads `dir`/quorum-state: the state in it, the initial state (epoch 0, no vote, no leader) if there is
// no such file, or an error. A leftover quorum-state.tmp is removed (an interrupted write whose rename
// never happened: the file it would have replaced is still the truth).
util::result<quorum_state, quorum_state_error> read_quorum_state(storage::file_system& fs,
                                                                 const std::filesystem::path& dir);

// Replaces `dir`/quorum-state with `s` durably: when this returns none, a crash at any later point
// reads back `s`. On failure nothing that depends on `s` may be sent: a failure before the rename
// leaves the previous file in place (and removes the temporary one), and a failed fsync of the
// directory after it leaves undecided which of the two a restart reads. REQUIRES: `dir` exists.
quorum_state_error write_quorum_state(storage::file_system& fs, const std::filesystem::path& dir,
                                      const quorum_state& s);

}  // namespace tributary::raft
