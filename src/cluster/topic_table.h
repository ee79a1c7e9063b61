// The cluster's topics as of one point of the metadata log: an immutable snapshot, shared between
// shards as std::shared_ptr<const topic_table>. Nothing in it changes after build(), so any thread may
// read it; a change makes a new table (topics that did not change are shared with the previous one).
//
// Besides the topics it carries the broker's config layers, because a topic's effective storage
// settings (log_config) are its overrides over the broker defaults: a change of a dynamic broker
// config gives every topic a new log_config.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/config_types.h"
#include "cluster/effective_config.h"
#include "cluster/metadata_records.h"
#include "model/fundamental.h"
#include "storage/log_config.h"

namespace tributary::cluster {

struct partition_metadata {
    std::int32_t index = 0;
    std::vector<model::node_id> replicas;  // preferred order
    std::vector<model::node_id> isr;
    model::node_id leader{-1};
    model::leader_epoch leader_epoch{0};
    std::int32_t partition_epoch = 0;

    bool operator==(const partition_metadata&) const = default;
};

struct topic_metadata {
    std::string name;
    model::uuid id;  // random at creation, never reused; Produce v13+/Fetch v13+ name topics by it
    std::vector<partition_metadata> partitions;  // partitions[i].index == i
    config_map overrides;                        // topic configs set on this topic (Kafka names)
    bool internal = false;                       // __consumer_offsets, __transaction_state, ...
    storage::log_config log_config;              // effective: overrides over the broker defaults

    std::int32_t partition_count() const { return static_cast<std::int32_t>(partitions.size()); }
    std::int16_t replication_factor() const {
        return partitions.empty() ? 0 : static_cast<std::int16_t>(partitions.front().replicas.size());
    }
    const partition_metadata* partition(std::int32_t index) const {
        return index >= 0 && index < partition_count() ? &partitions[static_cast<std::size_t>(index)] : nullptr;
    }
};

class topic_table {
public:
    using topic_ptr = std::shared_ptr<const topic_metadata>;
    using topic_map = std::map<std::string, topic_ptr, std::less<>>;

    // An empty table (version 0) over the broker's start-up config layers.
    static std::shared_ptr<const topic_table> empty(broker_config_layers broker);

    // The number of metadata log records applied so far; every published table has a larger version
    // than the one before.
    std::int64_t version() const { return version_; }

    const topic_metadata* find(std::string_view name) const;
    const topic_metadata* find(const model::uuid& id) const;
    topic_ptr find_shared(std::string_view name) const;
    // An existing topic whose name equals `name` once '.' and '_' are unified (Kafka refuses to create
    // such a topic), or null.
    const topic_metadata* find_collision(std::string_view name) const;

    const topic_map& topics() const { return by_name_; }  // ordered by name
    std::size_t size() const { return by_name_.size(); }
    std::size_t partition_count() const;

    const broker_config_layers& broker_configs() const { return broker_; }

    class builder;

private:
    std::int64_t version_ = 0;
    topic_map by_name_;
    std::map<model::uuid, topic_ptr> by_id_;
    std::map<std::string, std::string, std::less<>> by_unified_name_;  // only names with '.' or '_'
    broker_config_layers broker_;
};

// Applies metadata records to a copy of a table. Used by the controller for each change and by
// replay at start-up (all records of the log onto an empty table).
class topic_table::builder {
public:
    explicit builder(const topic_table& base);

    // Applies one record. Records about other things (producer ids, features) are ignored. Returns
    // false, with the reason, for a record that contradicts the table (a duplicate topic, a partition
    // of an unknown topic...), which the table is left unchanged by.
    bool apply(const metadata_record& record, std::string* error = nullptr);

    // REQUIRES: version > the base table's version.
    std::shared_ptr<const topic_table> build(std::int64_t version);

private:
    topic_metadata& mutable_topic(const std::string& name);
    const std::string* find_name(const model::uuid& id) const;

    topic_map by_name_;
    std::map<model::uuid, std::string> ids_;
    std::map<std::string, std::shared_ptr<topic_metadata>, std::less<>> changed_;  // copies being edited
    broker_config_layers broker_;
    bool broker_changed_ = false;
};

}  // namespace tributary::cluster
