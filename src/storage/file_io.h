// The thin file-system interface the storage engine is written against, so that tests can lose unsynced
// bytes, fail the Nth write and fill the disk (memory_file_system.h), and io_uring can replace the POSIX
// calls later without touching the log.
//
// Every call here blocks: it is meant to run on a disk executor thread (disk_executor.h), never on an
// event loop. Errors are errno values (sys_errno), never exceptions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bytes/bytes.h"
#include "util/result.h"

namespace tributary::storage {

// An errno value; `none` (0) means success, so it can be the error type of util::result.
enum class sys_errno : int { none = 0 };

inline sys_errno make_errno(int e) {
    return static_cast<sys_errno>(e);
}
std::string describe(
    sys_errno e);  // strerror text and the symbolic name, e.g. "No space left on device (ENOSPC)"
// True iff `e` says the file system has no room (ENOSPC, or EDQUOT: a quota): an error that goes away
// when space is freed, unlike EIO. The log rolls back what such a write left and keeps serving.
bool is_out_of_space(sys_errno e);

template <typename T>
using io_result = util::result<T, sys_errno>;

// An open file. Not thread-safe; the storage engine uses each file from one disk executor at a time.
class file {
public:
    virtual ~file() = default;

    // Writes all of `data` at `position`. On failure some prefix may have been written (a short write
    // followed by ENOSPC, as the kernel does); the caller must treat the bytes after `position` as garbage.
    virtual sys_errno pwrite(bytes::bytes_view data, std::uint64_t position) = 0;

    // Reads up to out.size() bytes at `position`; returns how many were read (fewer only at end of file).
    virtual io_result<std::size_t> pread(bytes::mutable_bytes_view out, std::uint64_t position) = 0;

    // fdatasync: the bytes written so far (and the size) survive a crash once this returns none.
    virtual sys_errno datasync() = 0;

    virtual sys_errno truncate(std::uint64_t size) = 0;
    virtual io_result<std::uint64_t> size() = 0;

    // A new descriptor for the same open file (dup), owned by the caller, for sending file bytes
    // with sendfile(2); -1 for files that have no descriptor (in-memory test files) or on failure.
    virtual int duplicate_descriptor() const { return -1; }
};

enum class open_mode : std::uint8_t {
    read_only,
    read_write,         // the file must exist
    read_write_create,  // created empty if missing
    create_truncate,    // created, or emptied if it exists
};

class file_system {
public:
    virtual ~file_system() = default;

    virtual io_result<std::unique_ptr<file>> open(const std::filesystem::path& path, open_mode mode) = 0;

    // rename(2): atomically replaces `to`. Durable only after sync_dir() of the directory.
    virtual sys_errno rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
    // unlink(2). Open handles keep working. Durable only after sync_dir().
    virtual sys_errno remove(const std::filesystem::path& path) = 0;
    // Names (not paths) of the entries of `dir`, in no particular order.
    virtual io_result<std::vector<std::string>> list(const std::filesystem::path& dir) = 0;
    // fsync of the directory: makes creations, renames and removals in it durable.
    virtual sys_errno sync_dir(const std::filesystem::path& dir) = 0;
    // mkdir -p.
    virtual sys_errno create_directories(const std::filesystem::path& dir) = 0;
    // rm -r, for deleting a whole partition.
    virtual sys_errno remove_all(const std::filesystem::path& path) = 0;
    virtual io_result<bool> exists(const std::filesystem::path& path) = 0;
};

// The real file system (open/pwrite/pread/fdatasync/ftruncate/rename/unlink/fsync of the directory).
// Stateless and thread-safe.
file_system& posix_file_system();

// Convenience over the interface.
// Reads a whole (small) file.
io_result<bytes::byte_vector> read_file(file_system& fs, const std::filesystem::path& path);
// Writes `content` to `path` (created or emptied) without fsync: for files whose readers validate them
// and fall back when they are missing or torn (indexes, producer snapshots).
sys_errno write_file_unsynced(file_system& fs, const std::filesystem::path& path, bytes::bytes_view content);
// Replaces `target` atomically with `content`: write `target`.tmp, fdatasync it, rename it over
// `target`, sync the directory. After a crash the file holds either the old or the new content; after
// a failure before the rename, `target` is unchanged and the temporary file is removed.
sys_errno write_file_atomically(file_system& fs, const std::filesystem::path& target,
                                bytes::bytes_view content);

}  // namespace tributary::storage
