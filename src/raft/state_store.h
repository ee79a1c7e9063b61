// Where a Raft replica's persistent_state goes (core.h: saved durably before anything that depends on
// it is sent): the interface raft::replica writes through, and the broker's implementation, the
// quorum-state file (quorum_state.h) written on the partition's disk executor.
#pragma once

#include <filesystem>

#include "net/asio.h"
#include "raft/core.h"
#include "raft/quorum_state.h"
#include "raft/voters_checkpoint.h"
#include "storage/disk_executor.h"
#include "storage/file_io.h"

namespace tributary::raft {

class state_store {
public:
    virtual ~state_store() = default;
    // True once `state` is durable.
    virtual awaitable<bool> save(persistent_state state) = 0;
    // True once `sets` (the voter sets of the log, voters_checkpoint.h) are durable.
    virtual awaitable<bool> save_voters(std::vector<voter_set> sets) = 0;
};

// The quorum-state file in a partition directory. Its blocking calls run on `disk`, which must be the
// executor the partition's log uses: opening a log removes leftover *.tmp files in the directory, and
// the FIFO order of one executor keeps that from racing a write's quorum-state.tmp.
class quorum_state_file final : public state_store {
public:
    quorum_state_file(storage::disk_executor& disk, storage::file_system& fs, std::filesystem::path dir)
        : disk_(disk), fs_(fs), dir_(std::move(dir)) {}

    // The state in the file (the initial state if there is none), or why it cannot be read.
    awaitable<util::result<quorum_state, quorum_state_error>> load();
    awaitable<bool> save(persistent_state state) override;
    // The voters-checkpoint beside it; nullopt if it cannot be read.
    awaitable<std::optional<std::vector<voter_set>>> load_voters();
    awaitable<bool> save_voters(std::vector<voter_set> sets) override;

private:
    storage::disk_executor& disk_;
    storage::file_system& fs_;
    std::filesystem::path dir_;
};

}  // namespace tributary::raft
