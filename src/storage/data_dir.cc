#include "storage/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tributary::storage {
namespace {

constexpr const char* meta_file = "meta.properties";
constexpr const char* lock_file = ".lock";

std::runtime_error failure(const std::filesystem::path& p, const std::string& what) {
    return std::runtime_error(p.string() + ": " + what);
}

std::map<std::string, std::string> read_properties(const std::filesystem::path& p) {
    std::map<std::string, std::string> out;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

// Writes to a temporary file, fsyncs it, renames it over the target and fsyncs the directory, so a
// crash leaves either the old file or the new one, never a torn one.
void write_file_atomically(const std::filesystem::path& target, const std::string& content) {
    auto tmp = target;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw failure(tmp, std::strerror(errno));
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            throw failure(tmp, std::strerror(e));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int e = errno;
        ::close(fd);
        throw failure(tmp, std::strerror(e));
    }
    ::close(fd);
    std::filesystem::rename(tmp, target);
    int dfd = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace

data_dir data_dir::open(const std::filesystem::path& path, std::int32_t node_id) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) throw failure(path, "cannot create data directory: " + ec.message());

    auto lock_path = path / lock_file;
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw failure(lock_path, std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        throw failure(path, "data directory is locked by another process (is a broker already running?)");
    }

    data_dir_identity identity;
    auto meta_path = path / meta_file;
    if (std::filesystem::exists(meta_path)) {
        auto props = read_properties(meta_path);
        identity.cluster_id = props["cluster.id"];
        model::uuid parsed;
        if (!model::uuid::parse(identity.cluster_id, parsed)) {
            ::close(fd);
            throw failure(meta_path, "cluster.id is missing or malformed");
        }
        try {
            identity.node_id = std::stoi(props["node.id"]);
        } catch (const std::exception&) {
            ::close(fd);
            throw failure(meta_path, "node.id is missing or malformed");
        }
        if (identity.node_id != node_id) {
            ::close(fd);
            throw failure(meta_path, "belongs to node.id " + std::to_string(identity.node_id) +
                                         ", not " + std::to_string(node_id));
        }
    } else {
        identity.cluster_id = model::uuid::random().to_string();
        identity.node_id = node_id;
        std::ostringstream out;
        out << "# Written by Tributary on first start. Do not edit.\n"
            << "version=1\n"
            << "cluster.id=" << identity.cluster_id << "\n"
            << "node.id=" << identity.node_id << "\n";
        write_file_atomically(meta_path, out.str());
    }
    return data_dir(path, fd, std::move(identity));
}

data_dir::data_dir(std::filesystem::path path, int lock_fd, data_dir_identity identity)
    : path_(std::move(path)), lock_fd_(lock_fd), identity_(std::move(identity)) {}

data_dir::data_dir(data_dir&& other) noexcept
    : path_(std::move(other.path_)), lock_fd_(other.lock_fd_), identity_(std::move(other.identity_)) {
    other.lock_fd_ = -1;
}

data_dir::~data_dir() {
    if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

}  // namespace tributary::storage
