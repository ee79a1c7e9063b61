// Pieces of log's implementation shared by log.cc, log_read.cc and log_maintenance.cc. Not for other users.
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "storage/log.h"

namespace tributary::storage {

// Shared by a log and its disk tasks. Disk tasks of one log run in order, so a failure recorded here is
// seen by every task queued after the one that failed:
//   fatal  - a roll, metadata update or fsync failed: every later task does nothing; the log is offline.
//   poison - a write failed (e.g. ENOSPC): later writes are skipped, so none lands after a hole, until
//            the truncation that repairs the log clears it.
struct log::io_state {
    std::atomic<int> fatal{0};
    std::atomic<int> poison{0};

    void set_fatal(sys_errno e) {
        int expected = 0;
        fatal.compare_exchange_strong(expected, static_cast<int>(e));
    }
};

// Counts an operation in flight; close() waits until none is.
class log::op_guard {
public:
    explicit op_guard(log& l) : log_(l) { ++log_.ops_in_flight_; }
    ~op_guard() {
        if (--log_.ops_in_flight_ == 0) log_.notify();
    }
    op_guard(const op_guard&) = delete;
    op_guard& operator=(const op_guard&) = delete;

private:
    log& log_;
};

// Held by truncation, retention and DeleteRecords, which must not interleave. Acquire with
//   while (exclusive_) co_await wait_change();  exclusive_guard g(*this);
class log::exclusive_guard {
public:
    explicit exclusive_guard(log& l) : log_(l) { log_.exclusive_ = true; }
    ~exclusive_guard() {
        log_.exclusive_ = false;
        log_.notify();
    }
    exclusive_guard(const exclusive_guard&) = delete;
    exclusive_guard& operator=(const exclusive_guard&) = delete;

private:
    log& log_;
};

// The result of loading (or rebuilding) a closed segment's indexes on the disk executor.
struct load_outcome {
    std::optional<segment_indexes> indexes;
    std::string rebuilt_because;  // empty if the index files were valid
    sys_errno io_error = sys_errno::none;
};

}  // namespace tributary::storage
