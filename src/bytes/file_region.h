// A byte range of an open file, for responses that send file bytes without copying them through user
// memory (sendfile(2) from a log segment straight into the socket).
//
// The descriptor is shared: whoever still has to read the range holds the shared_fd, and the
// descriptor is closed when the last holder drops it. A segment deleted by retention (or replaced by
// compaction) while a response that references it is queued stays readable through that descriptor,
// as an unlinked file does on Linux.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>

#include "bytes/bytes.h"

namespace tributary::bytes {

class shared_fd {
public:
    // Takes ownership of `fd` (closed by the destructor). REQUIRES: fd >= 0.
    explicit shared_fd(int fd) : fd_(fd) {}
    ~shared_fd() { ::close(fd_); }
    shared_fd(const shared_fd&) = delete;
    shared_fd& operator=(const shared_fd&) = delete;

    int get() const { return fd_; }

private:
    int fd_;
};

struct file_region {
    std::shared_ptr<const shared_fd> file;
    std::uint64_t offset = 0;
    std::size_t size = 0;

    bool operator==(const file_region& o) const {
        return file == o.file && offset == o.offset && size == o.size;
    }
};

// Reads the whole region with pread(2) (tests, and writers that need the bytes in memory). False on an
// I/O error or if the file ends before the region does.
inline bool read_region(const file_region& r, byte* out) {
    std::size_t done = 0;
    while (done < r.size) {
        const ssize_t n = ::pread(r.file->get(), out + done, r.size - done, static_cast<off_t>(r.offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace tributary::bytes
