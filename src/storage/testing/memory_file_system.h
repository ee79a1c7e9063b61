// An in-memory file_system for tests that injects the failures a disk has: a crash that drops every
// byte not yet made durable, the Nth write failing, a full disk (ENOSPC after a short write), and failing
// fsyncs. It also counts writes and fsyncs, so tests can assert group commit.
//
// The durability model is the strict POSIX one:
//   - file contents (and size) become durable at file::datasync();
//   - a name (creation, rename, removal) becomes durable at sync_dir() of its directory;
//   - directories themselves are durable as soon as they are created (a simplification).
// crash() resets every file to its durable contents and every directory to its durable names, and makes
// all handles opened before it fail with EIO, as a process that died would no longer write.
//
// Thread-safe: every call takes one mutex, so each operation is atomic.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "storage/file_io.h"

namespace tributary::storage::testing {

class memory_file_system final : public file_system {
public:
    memory_file_system();
    ~memory_file_system() override;

    io_result<std::unique_ptr<file>> open(const std::filesystem::path& path, open_mode mode) override;
    sys_errno rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
    sys_errno remove(const std::filesystem::path& path) override;
    io_result<std::vector<std::string>> list(const std::filesystem::path& dir) override;
    sys_errno sync_dir(const std::filesystem::path& dir) override;
    sys_errno create_directories(const std::filesystem::path& dir) override;
    sys_errno remove_all(const std::filesystem::path& path) override;
    io_result<bool> exists(const std::filesystem::path& path) override;

    // --- Fault injection ---

    // Drops everything not durable (see the model above) and invalidates every open handle.
    void crash();
    // The write that is the `n`th from now (1 = the next one) fails with `error`, writing nothing.
    void fail_nth_write(int n, sys_errno error);
    // Total bytes of all files may not exceed `bytes`: a write that would cross it writes what fits and
    // fails with ENOSPC. std::nullopt removes the limit.
    void set_capacity(std::optional<std::uint64_t> bytes);
    // Every datasync/sync_dir from now on fails with `error` (none to stop).
    void fail_syncs(sys_errno error);
    // Creating a file that does not exist fails with `error` from now on (none to stop), as on a file
    // system out of inodes or directory blocks.
    void fail_creates(sys_errno error);

    // --- Inspection and direct manipulation (bypass the injected faults and counters) ---

    std::uint64_t write_count() const;
    std::uint64_t datasync_count() const;  // file::datasync calls that succeeded
    std::uint64_t dir_sync_count() const;
    std::uint64_t used_bytes() const;
    // The current (visible) contents; nullopt if there is no such file.
    std::optional<bytes::byte_vector> contents(const std::filesystem::path& path) const;
    // Replaces the contents, durably (as if written and synced long ago).
    void set_contents(const std::filesystem::path& path, bytes::bytes_view data);

private:
    struct inode;
    class handle;
    friend class handle;

    using path_key = std::string;  // lexically normal path
    static path_key key(const std::filesystem::path& p);
    static path_key parent_of(const path_key& k);
    std::uint64_t used_bytes_locked() const;

    mutable std::mutex mu_;
    std::map<path_key, std::shared_ptr<inode>> visible_;
    std::map<path_key, std::shared_ptr<inode>> durable_;
    std::set<path_key> dirs_;
    std::uint64_t generation_ = 0;  // bumped by crash(); handles of older generations fail
    int fail_write_countdown_ = 0;
    sys_errno fail_write_error_ = sys_errno::none;
    sys_errno fail_sync_error_ = sys_errno::none;
    sys_errno fail_create_error_ = sys_errno::none;
    std::optional<std::uint64_t> capacity_;
    std::uint64_t writes_ = 0;
    std::uint64_t datasyncs_ = 0;
    std::uint64_t dir_syncs_ = 0;
};

}  // namespace tributary::storage::testing
