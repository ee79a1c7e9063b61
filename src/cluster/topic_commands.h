// Topic changes as the controller plans them: each command is checked against a topic table the way
// Kafka's ReplicationControlManager checks it, and turns into the metadata records that make the
// change plus one result per topic. Planning does no I/O and changes nothing; the controller appends
// the records and applies them (controller.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/api_error.h"
#include "cluster/effective_config.h"
#include "cluster/metadata_records.h"
#include "cluster/topic_table.h"

namespace tributary::cluster {

// CreateTopics: one topic of the request.
struct topic_spec {
    std::string name;
    std::int32_t num_partitions = -1;      // -1: num.partitions
    std::int16_t replication_factor = -1;  // -1: default.replication.factor
    struct assignment {
        std::int32_t partition = 0;
        std::vector<std::int32_t> broker_ids;
    };
    std::vector<assignment> assignments;  // manual placement; then both numbers above must be -1
    std::vector<std::pair<std::string, std::optional<std::string>>> configs;
};

struct create_topic_result {
    std::string name;
    api_error error;
    // On success (also with validate_only), as CreateTopics v5+ reports them.
    model::uuid id;
    std::int32_t num_partitions = -1;
    std::int16_t replication_factor = -1;
    std::vector<described_config> configs;  // every topic config, effective, ordered by name
};

// DeleteTopics: a topic named by name or by id (exactly one of them).
struct topic_ref {
    std::optional<std::string> name;
    model::uuid id;
};

struct delete_topic_result {
    std::optional<std::string> name;
    model::uuid id;
    api_error error;
};

// CreatePartitions: grow `name` to `count` partitions.
struct partition_increase {
    std::string name;
    std::int32_t count = 0;
    std::optional<std::vector<std::vector<std::int32_t>>> assignments;  // one broker list per new partition
};

template <typename Result>
struct plan {
    std::vector<metadata_record> records;  // empty when nothing changes
    std::vector<Result> results;           // one per input, in input order
};

// The most partitions one topic may have, so one CreateTopics fits in one metadata batch (Kafka caps a
// controller operation at 10,000 records instead).
inline constexpr std::int32_t max_partitions_per_topic = 100'000;

// Kafka's checks, in Kafka's order: name, collision, existence, configs (null values, names, values),
// assignments or counts and replication factor. Topic ids are random and never reused.
//
// `brokers` are the brokers replicas may be placed on (sorted, not empty). Each partition's replicas are
// distinct brokers: its leader's place moves by one broker per partition from a random start, so leaders
// spread evenly, and the followers are the brokers after it with a shift that changes every
// brokers.size() partitions, so that the followers of one broker's partitions spread as well.
plan<create_topic_result> plan_create_topics(const topic_table& table, const std::vector<topic_spec>& topics,
                                             const std::vector<model::node_id>& brokers);
inline plan<create_topic_result> plan_create_topics(const topic_table& table, const std::vector<topic_spec>& topics,
                                                    model::node_id node) {
    return plan_create_topics(table, topics, std::vector<model::node_id>{node});
}

// The topics Metadata auto-creates and the coordinators' internal topics: num.partitions and the
// default replication factor, or the internal topic's own partitions, replication factor and configs.
topic_spec auto_create_spec(std::string_view name, const broker_config_layers& broker);

// UNKNOWN_TOPIC_OR_PARTITION for an unknown name, UNKNOWN_TOPIC_ID for an unknown id,
// TOPIC_DELETION_DISABLED when delete.topic.enable is false.
plan<delete_topic_result> plan_delete_topics(const topic_table& table, const std::vector<topic_ref>& topics);

// Increase only: INVALID_PARTITIONS for the same or a lower count, INVALID_REPLICA_ASSIGNMENT for
// assignments that do not match the new partitions.
plan<api_error> plan_create_partitions(const topic_table& table, const std::vector<partition_increase>& topics,
                                       const std::vector<model::node_id>& brokers);
inline plan<api_error> plan_create_partitions(const topic_table& table, const std::vector<partition_increase>& topics,
                                              model::node_id node) {
    return plan_create_partitions(table, topics, std::vector<model::node_id>{node});
}

}  // namespace tributary::cluster
