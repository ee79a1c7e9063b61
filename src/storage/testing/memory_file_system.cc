#include "storage/testing/memory_file_system.h"

#include <algorithm>
#include <cerrno>

namespace tributary::storage::testing {

struct memory_file_system::inode {
    bytes::byte_vector data;     // what reads see
    bytes::byte_vector durable;  // what survives crash()
};

class memory_file_system::handle final : public file {
public:
    handle(memory_file_system& fs, std::shared_ptr<inode> node, bool writable)
        : fs_(fs), node_(std::move(node)), writable_(writable), generation_(fs.generation_) {}

    sys_errno pwrite(bytes::bytes_view data, std::uint64_t position) override {
        std::lock_guard lock(fs_.mu_);
        if (auto e = check(); e != sys_errno::none) return e;
        if (!writable_) return make_errno(EBADF);
        ++fs_.writes_;
        if (fs_.fail_write_countdown_ > 0 && --fs_.fail_write_countdown_ == 0) return fs_.fail_write_error_;
        std::size_t n = data.size();
        sys_errno result = sys_errno::none;
        const std::uint64_t end = position + data.size();
        if (fs_.capacity_ && end > node_->data.size()) {
            const std::uint64_t used = fs_.used_bytes_locked();
            const std::uint64_t growth = end - node_->data.size();
            if (used + growth > *fs_.capacity_) {
                const std::uint64_t room = *fs_.capacity_ - std::min(used, *fs_.capacity_);
                const std::uint64_t max_end = node_->data.size() + room;
                n = max_end > position ? static_cast<std::size_t>(max_end - position) : 0;
                result = make_errno(ENOSPC);
            }
        }
        if (n > 0) {
            if (node_->data.size() < position + n) node_->data.resize(position + n);
            std::copy_n(data.begin(), n, node_->data.begin() + static_cast<std::ptrdiff_t>(position));
        }
        return result;
    }

    io_result<std::size_t> pread(bytes::mutable_bytes_view out, std::uint64_t position) override {
        std::lock_guard lock(fs_.mu_);
        if (auto e = check(); e != sys_errno::none) return e;
        if (position >= node_->data.size()) return std::size_t{0};
        const std::size_t n = std::min<std::size_t>(out.size(), node_->data.size() - position);
        std::copy_n(node_->data.begin() + static_cast<std::ptrdiff_t>(position), n, out.begin());
        return n;
    }

    sys_errno datasync() override {
        std::lock_guard lock(fs_.mu_);
        if (auto e = check(); e != sys_errno::none) return e;
        if (fs_.fail_sync_error_ != sys_errno::none) return fs_.fail_sync_error_;
        node_->durable = node_->data;
        ++fs_.datasyncs_;
        return sys_errno::none;
    }

    sys_errno truncate(std::uint64_t size) override {
        std::lock_guard lock(fs_.mu_);
        if (auto e = check(); e != sys_errno::none) return e;
        if (!writable_) return make_errno(EBADF);
        node_->data.resize(size);
        return sys_errno::none;
    }

    io_result<std::uint64_t> size() override {
        std::lock_guard lock(fs_.mu_);
        if (auto e = check(); e != sys_errno::none) return e;
        return static_cast<std::uint64_t>(node_->data.size());
    }

private:
    // REQUIRES: fs_.mu_ is held.
    sys_errno check() const { return generation_ == fs_.generation_ ? sys_errno::none : make_errno(EIO); }

    memory_file_system& fs_;
    std::shared_ptr<inode> node_;
    bool writable_;
    std::uint64_t generation_;
};

memory_file_system::memory_file_system() {
    dirs_.insert("/");
}
memory_file_system::~memory_file_system() = default;

memory_file_system::path_key memory_file_system::key(const std::filesystem::path& p) {
    auto s = p.lexically_normal().string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

memory_file_system::path_key memory_file_system::parent_of(const path_key& k) {
    return std::filesystem::path(k).parent_path().string();
}

std::uint64_t memory_file_system::used_bytes_locked() const {
    std::uint64_t total = 0;
    std::set<const inode*> seen;
    for (const auto& [k, n] : visible_) {
        if (seen.insert(n.get()).second) total += n->data.size();
    }
    return total;
}

io_result<std::unique_ptr<file>> memory_file_system::open(const std::filesystem::path& path, open_mode mode) {
    std::lock_guard lock(mu_);
    const auto k = key(path);
    if (!dirs_.contains(parent_of(k))) return make_errno(ENOENT);
    if (dirs_.contains(k)) return make_errno(EISDIR);
    auto it = visible_.find(k);
    if (it == visible_.end()) {
        if (mode == open_mode::read_only || mode == open_mode::read_write) return make_errno(ENOENT);
        if (fail_create_error_ != sys_errno::none) return fail_create_error_;
        it = visible_.emplace(k, std::make_shared<inode>()).first;
    } else if (mode == open_mode::create_truncate) {
        it->second->data.clear();
    }
    return std::unique_ptr<file>(std::make_unique<handle>(*this, it->second, mode != open_mode::read_only));
}

sys_errno memory_file_system::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::lock_guard lock(mu_);
    auto it = visible_.find(key(from));
    if (it == visible_.end()) return make_errno(ENOENT);
    if (!dirs_.contains(parent_of(key(to)))) return make_errno(ENOENT);
    auto node = it->second;
    visible_.erase(it);
    visible_[key(to)] = std::move(node);
    return sys_errno::none;
}

sys_errno memory_file_system::remove(const std::filesystem::path& path) {
    std::lock_guard lock(mu_);
    return visible_.erase(key(path)) > 0 ? sys_errno::none : make_errno(ENOENT);
}

io_result<std::vector<std::string>> memory_file_system::list(const std::filesystem::path& dir) {
    std::lock_guard lock(mu_);
    const auto d = key(dir);
    if (!dirs_.contains(d)) return make_errno(ENOENT);
    std::vector<std::string> out;
    for (const auto& [k, n] : visible_) {
        if (parent_of(k) == d) out.push_back(std::filesystem::path(k).filename().string());
    }
    for (const auto& k : dirs_) {
        if (k != d && parent_of(k) == d) out.push_back(std::filesystem::path(k).filename().string());
    }
    return out;
}

sys_errno memory_file_system::sync_dir(const std::filesystem::path& dir) {
    std::lock_guard lock(mu_);
    const auto d = key(dir);
    if (!dirs_.contains(d)) return make_errno(ENOENT);
    if (fail_sync_error_ != sys_errno::none) return fail_sync_error_;
    std::erase_if(durable_, [&](const auto& e) { return parent_of(e.first) == d; });
    for (const auto& [k, n] : visible_) {
        if (parent_of(k) == d) durable_[k] = n;
    }
    ++dir_syncs_;
    return sys_errno::none;
}

sys_errno memory_file_system::create_directories(const std::filesystem::path& dir) {
    std::lock_guard lock(mu_);
    std::filesystem::path p = key(dir);
    std::vector<path_key> chain;
    for (; !p.empty() && p != p.root_path(); p = p.parent_path()) chain.push_back(p.string());
    for (auto& k : chain) {
        if (visible_.contains(k)) return make_errno(ENOTDIR);
        dirs_.insert(k);
    }
    return sys_errno::none;
}

sys_errno memory_file_system::remove_all(const std::filesystem::path& path) {
    std::lock_guard lock(mu_);
    const auto k = key(path);
    const auto prefix = k + "/";
    std::erase_if(visible_, [&](const auto& e) { return e.first == k || e.first.starts_with(prefix); });
    std::erase_if(durable_, [&](const auto& e) { return e.first == k || e.first.starts_with(prefix); });
    std::erase_if(dirs_, [&](const auto& d) { return d == k || d.starts_with(prefix); });
    return sys_errno::none;
}

io_result<bool> memory_file_system::exists(const std::filesystem::path& path) {
    std::lock_guard lock(mu_);
    const auto k = key(path);
    return visible_.contains(k) || dirs_.contains(k);
}

void memory_file_system::crash() {
    std::lock_guard lock(mu_);
    visible_ = durable_;
    for (auto& [k, n] : visible_) n->data = n->durable;
    ++generation_;
    fail_write_countdown_ = 0;
    fail_sync_error_ = sys_errno::none;
}

void memory_file_system::fail_nth_write(int n, sys_errno error) {
    std::lock_guard lock(mu_);
    fail_write_countdown_ = n;
    fail_write_error_ = error;
}

void memory_file_system::set_capacity(std::optional<std::uint64_t> bytes) {
    std::lock_guard lock(mu_);
    capacity_ = bytes;
}

void memory_file_system::fail_creates(sys_errno error) {
    std::lock_guard lock(mu_);
    fail_create_error_ = error;
}

void memory_file_system::fail_syncs(sys_errno error) {
    std::lock_guard lock(mu_);
    fail_sync_error_ = error;
}

std::uint64_t memory_file_system::write_count() const {
    std::lock_guard lock(mu_);
    return writes_;
}
std::uint64_t memory_file_system::datasync_count() const {
    std::lock_guard lock(mu_);
    return datasyncs_;
}
std::uint64_t memory_file_system::dir_sync_count() const {
    std::lock_guard lock(mu_);
    return dir_syncs_;
}
std::uint64_t memory_file_system::used_bytes() const {
    std::lock_guard lock(mu_);
    return used_bytes_locked();
}

std::optional<bytes::byte_vector> memory_file_system::contents(const std::filesystem::path& path) const {
    std::lock_guard lock(mu_);
    auto it = visible_.find(key(path));
    if (it == visible_.end()) return std::nullopt;
    return it->second->data;
}

void memory_file_system::set_contents(const std::filesystem::path& path, bytes::bytes_view data) {
    std::lock_guard lock(mu_);
    const auto k = key(path);
    auto& node = visible_[k];
    if (!node) node = std::make_shared<inode>();
    node->data.assign(data.begin(), data.end());
    node->durable = node->data;
    durable_[k] = node;
}

}  // namespace tributary::storage::testing
