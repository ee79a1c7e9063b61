// The broker's data directory: an exclusive lock so two brokers never share it, and meta.properties,
// the identity file Kafka also keeps there (cluster.id, node.id, version). The cluster id is created on
// the first start and never changes afterwards.
#pragma once

#include <filesystem>
#include <string>

#include "model/fundamental.h"

namespace tributary::storage {

struct data_dir_identity {
    std::string cluster_id;  // Kafka Uuid text, 22 characters
    std::int32_t node_id = 0;
};

class data_dir {
public:
    // Creates the directory if needed, takes the lock, and loads or creates meta.properties.
    // Throws std::runtime_error (with the path and reason) when the directory cannot be used, the lock
    // is held by another process, or meta.properties names a different node id.
    static data_dir open(const std::filesystem::path& path, std::int32_t node_id);

    data_dir(data_dir&&) noexcept;
    data_dir& operator=(data_dir&&) = delete;
    data_dir(const data_dir&) = delete;
    ~data_dir();

    const std::filesystem::path& path() const { return path_; }
    const data_dir_identity& identity() const { return identity_; }

private:
    data_dir(std::filesystem::path path, int lock_fd, data_dir_identity identity);

    std::filesystem::path path_;
    int lock_fd_ = -1;
    data_dir_identity identity_;
};

}  // namespace tributary::storage
