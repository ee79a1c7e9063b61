#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/file_io.h"

namespace tributary::storage {
namespace {

sys_errno last_errno() {
    return make_errno(errno);
}

class posix_file final : public file {
public:
    explicit posix_file(int fd) : fd_(fd) {}
    ~posix_file() override { ::close(fd_); }

    sys_errno pwrite(bytes::bytes_view data, std::uint64_t position) override {
        while (!data.empty()) {
            ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(position));
            if (n < 0) {
                if (errno == EINTR) continue;
                return last_errno();
            }
            data = data.subspan(static_cast<std::size_t>(n));
            position += static_cast<std::uint64_t>(n);
        }
        return sys_errno::none;
    }

    io_result<std::size_t> pread(bytes::mutable_bytes_view out, std::uint64_t position) override {
        std::size_t done = 0;
        while (done < out.size()) {
            ssize_t n =
                ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(position + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                return last_errno();
            }
            if (n == 0) break;
            done += static_cast<std::size_t>(n);
        }
        return done;
    }

    int duplicate_descriptor() const override { return ::fcntl(fd_, F_DUPFD_CLOEXEC, 0); }

    sys_errno datasync() override { return ::fdatasync(fd_) == 0 ? sys_errno::none : last_errno(); }

    sys_errno truncate(std::uint64_t size) override {
        return ::ftruncate(fd_, static_cast<off_t>(size)) == 0 ? sys_errno::none : last_errno();
    }

    io_result<std::uint64_t> size() override {
        struct stat st {};
        if (::fstat(fd_, &st) != 0) return last_errno();
        return static_cast<std::uint64_t>(st.st_size);
    }

private:
    int fd_;
};

class posix_fs final : public file_system {
public:
    io_result<std::unique_ptr<file>> open(const std::filesystem::path& path, open_mode mode) override {
        int flags = O_CLOEXEC;
        switch (mode) {
            case open_mode::read_only: flags |= O_RDONLY; break;
            case open_mode::read_write: flags |= O_RDWR; break;
            case open_mode::read_write_create: flags |= O_RDWR | O_CREAT; break;
            case open_mode::create_truncate: flags |= O_RDWR | O_CREAT | O_TRUNC; break;
        }
        int fd = ::open(path.c_str(), flags, 0644);
        if (fd < 0) return last_errno();
        return std::unique_ptr<file>(std::make_unique<posix_file>(fd));
    }

    sys_errno rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
        return ::rename(from.c_str(), to.c_str()) == 0 ? sys_errno::none : last_errno();
    }

    sys_errno remove(const std::filesystem::path& path) override {
        return ::unlink(path.c_str()) == 0 ? sys_errno::none : last_errno();
    }

    io_result<std::vector<std::string>> list(const std::filesystem::path& dir) override {
        std::error_code ec;
        std::vector<std::string> out;
        for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            out.push_back(it->path().filename().string());
        }
        if (ec) return make_errno(ec.value());
        return out;
    }

    sys_errno sync_dir(const std::filesystem::path& dir) override {
        int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return last_errno();
        sys_errno e = ::fsync(fd) == 0 ? sys_errno::none : last_errno();
        ::close(fd);
        return e;
    }

    sys_errno create_directories(const std::filesystem::path& dir) override {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        return ec ? make_errno(ec.value()) : sys_errno::none;
    }

    sys_errno remove_all(const std::filesystem::path& path) override {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
        return ec ? make_errno(ec.value()) : sys_errno::none;
    }

    io_result<bool> exists(const std::filesystem::path& path) override {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) return true;
        if (errno == ENOENT) return false;
        return last_errno();
    }
};

}  // namespace

std::string describe(sys_errno e) {
    const int v = static_cast<int>(e);
    const char* name = strerrorname_np(v);
    return std::string(std::strerror(v)) + " (" + (name ? name : std::to_string(v)) + ")";
}

bool is_out_of_space(sys_errno e) {
    return e == make_errno(ENOSPC) || e == make_errno(EDQUOT);
}

file_system& posix_file_system() {
    static posix_fs fs;
    return fs;
}

io_result<bytes::byte_vector> read_file(file_system& fs, const std::filesystem::path& path) {
    auto f = fs.open(path, open_mode::read_only);
    if (!f) return f.error();
    auto size = (*f)->size();
    if (!size) return size.error();
    bytes::byte_vector out(*size);
    auto n = (*f)->pread(out, 0);
    if (!n) return n.error();
    out.resize(*n);
    return out;
}

sys_errno write_file_unsynced(file_system& fs, const std::filesystem::path& path, bytes::bytes_view content) {
    auto f = fs.open(path, open_mode::create_truncate);
    if (!f) return f.error();
    return (*f)->pwrite(content, 0);
}

sys_errno write_file_atomically(file_system& fs, const std::filesystem::path& target,
                                bytes::bytes_view content) {
    auto tmp = target;
    tmp += ".tmp";
    {
        auto f = fs.open(tmp, open_mode::create_truncate);
        if (!f) return f.error();
        sys_errno e = (*f)->pwrite(content, 0);
        if (e == sys_errno::none) e = (*f)->datasync();
        if (e == sys_errno::none) e = fs.rename(tmp, target);
        if (e != sys_errno::none) {
            fs.remove(tmp);  // on a full disk, the partial file would hold on to what little is left
            return e;
        }
    }
    return fs.sync_dir(target.parent_path());
}

}  // namespace tributary::storage
