#include "cluster/topic_commands.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "cluster/topic_name.h"

namespace tributary::cluster {
namespace {

using model::error_code;

constexpr std::int8_t topic_resource = static_cast<std::int8_t>(config_resource_type::topic);

protocol::partition_record partition_on(std::vector<model::node_id> replicas, const model::uuid& topic,
                                        std::int32_t index) {
    protocol::partition_record p;
    p.partition_id = index;
    p.topic_id = topic;
    for (auto r : replicas) p.isr.push_back(r.value());
    p.leader = replicas.front();
    p.replicas = std::move(replicas);
    p.leader_epoch = 0;
    p.partition_epoch = 0;
    return p;
}

// Where new partitions go: see plan_create_topics. `first` is the index of the first new partition.
class placer {
public:
    placer(const std::vector<model::node_id>& brokers, std::size_t rf) : brokers_(brokers), rf_(rf) {
        std::random_device rd;
        start_ = brokers_.size() > 1 ? rd() % brokers_.size() : 0;
        shift_ = brokers_.size() > 1 ? rd() % (brokers_.size() - 1) : 0;
    }
    std::vector<model::node_id> replicas(std::int32_t partition) const {
        const std::size_t n = brokers_.size();
        const auto p = static_cast<std::size_t>(partition);
        const std::size_t first = (start_ + p) % n;
        std::vector<model::node_id> out{brokers_[first]};
        if (n > 1) {
            const std::size_t shift = (shift_ + p / n) % (n - 1);
            for (std::size_t k = 1; k < rf_; ++k) out.push_back(brokers_[(first + 1 + (shift + k - 1) % (n - 1)) % n]);
        }
        return out;
    }

private:
    const std::vector<model::node_id>& brokers_;
    std::size_t rf_;
    std::size_t start_ = 0;
    std::size_t shift_ = 0;
};

model::uuid fresh_topic_id(const topic_table& table, const std::set<model::uuid>& taken) {
    for (;;) {
        auto id = model::uuid::random();
        if (!table.find(id) && !taken.contains(id)) return id;
    }
}

std::string replication_error(std::int32_t rf, std::size_t brokers) {
    return "Unable to replicate the partition " + std::to_string(rf) +
           " time(s): The target replication factor of " + std::to_string(rf) + " cannot be reached because only " +
           std::to_string(brokers) + " broker(s) are registered or some brokers have all their log directories cordoned.";
}

// Kafka's validateManualPartitionAssignment.
api_error check_assignment(const std::vector<std::int32_t>& brokers, std::optional<std::size_t> expected_rf,
                           const std::vector<model::node_id>& registered) {
    if (brokers.empty())
        return make_error(error_code::invalid_replica_assignment,
                          "The manual partition assignment includes an empty replica list.");
    auto sorted = brokers;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (std::find(registered.begin(), registered.end(), model::node_id(sorted[i])) == registered.end())
            return make_error(error_code::invalid_replica_assignment,
                              "The manual partition assignment includes broker " + std::to_string(sorted[i]) +
                                  ", but no such broker is registered.");
        if (i > 0 && sorted[i] == sorted[i - 1])
            return make_error(error_code::invalid_replica_assignment,
                              "The manual partition assignment includes the broker " + std::to_string(sorted[i]) +
                                  " more than once.");
    }
    if (expected_rf && sorted.size() != *expected_rf)
        return make_error(error_code::invalid_replica_assignment,
                          "The manual partition assignment includes a partition with " +
                              std::to_string(sorted.size()) +
                              " replica(s), but this is not consistent with previous partitions, which have " +
                              std::to_string(*expected_rf) + " replica(s).");
    return {};
}

}  // namespace

topic_spec auto_create_spec(std::string_view name, const broker_config_layers& broker) {
    topic_spec spec;
    spec.name = std::string(name);
    if (name == consumer_offsets_topic) {
        spec.num_partitions = static_cast<std::int32_t>(broker.integer("offsets.topic.num.partitions"));
        spec.replication_factor = static_cast<std::int16_t>(broker.integer("offsets.topic.replication.factor"));
        spec.configs = {{"cleanup.policy", "compact"},
                        {"compression.type", "producer"},
                        {"segment.bytes", broker.value("offsets.topic.segment.bytes")}};
    } else if (name == transaction_state_topic) {
        spec.num_partitions = static_cast<std::int32_t>(broker.integer("transaction.state.log.num.partitions"));
        spec.replication_factor =
            static_cast<std::int16_t>(broker.integer("transaction.state.log.replication.factor"));
        spec.configs = {{"cleanup.policy", "compact"},
                        {"compression.type", "uncompressed"},
                        {"min.insync.replicas", broker.value("transaction.state.log.min.isr")},
                        {"segment.bytes", broker.value("transaction.state.log.segment.bytes")},
                        {"unclean.leader.election.enable", "false"}};
    }
    return spec;
}

plan<create_topic_result> plan_create_topics(const topic_table& table, const std::vector<topic_spec>& topics,
                                             const std::vector<model::node_id>& brokers) {
    plan<create_topic_result> out;
    const auto& broker = table.broker_configs();
    std::set<model::uuid> new_ids;
    std::set<std::string, std::less<>> seen;
    for (const auto& spec : topics) {
        create_topic_result result;
        result.name = spec.name;
        auto fail = [&](api_error e) {
            result.error = std::move(e);
            out.results.push_back(std::move(result));
        };
        // The handler reports duplicates as Kafka does; this keeps a plan consistent regardless.
        if (!seen.insert(spec.name).second) {
            fail(make_error(error_code::invalid_request, "Duplicate topic name."));
            continue;
        }
        // Names (Kafka checks collisions against existing topics only, so two colliding names in one
        // request are both created, as in Kafka).
        if (spec.name == cluster_metadata_topic) {
            fail(make_error(error_code::invalid_request,
                            "Creation of internal topic " + std::string(cluster_metadata_topic) + " is prohibited."));
            continue;
        }
        if (auto why = check_topic_name(spec.name)) {
            fail(make_error(error_code::invalid_topic_exception, *why));
            continue;
        }
        if (auto* other = table.find_collision(spec.name); other && other->name != spec.name) {
            fail(make_error(error_code::invalid_topic_exception,
                            "Topic '" + spec.name + "' collides with existing topic: " + other->name));
            continue;
        }
        if (table.find(spec.name)) {
            fail(make_error(error_code::topic_already_exists, "Topic '" + spec.name + "' already exists."));
            continue;
        }
        // Configs.
        config_map overrides;
        std::string null_configs;
        for (const auto& [name, value] : spec.configs) {
            if (!value)
                null_configs += (null_configs.empty() ? "" : ",") + name;
            else
                overrides[name] = *value;
        }
        if (!null_configs.empty()) {
            fail(make_error(error_code::invalid_config, "Null value not supported for topic configs: " + null_configs));
            continue;
        }
        if (auto e = validate_topic_configs(overrides, broker); !e.ok()) {
            fail(std::move(e));
            continue;
        }
        // Partitions and replicas.
        std::int32_t partitions = 0;
        std::int64_t rf = 1;
        if (!spec.assignments.empty()) {
            if (spec.replication_factor != -1) {
                fail(make_error(error_code::invalid_request,
                                "A manual partition assignment was specified, but replication factor was not set to -1."));
                continue;
            }
            if (spec.num_partitions != -1) {
                fail(make_error(error_code::invalid_request,
                                "A manual partition assignment was specified, but numPartitions was not set to -1."));
                continue;
            }
            std::set<std::int32_t> seen;
            std::optional<std::size_t> assigned_rf;
            api_error error;
            for (const auto& a : spec.assignments) {
                if (!seen.insert(a.partition).second) {
                    error = make_error(error_code::invalid_replica_assignment,
                                       "Found multiple manual partition assignments for partition " +
                                           std::to_string(a.partition));
                    break;
                }
                if (error = check_assignment(a.broker_ids, assigned_rf, brokers); !error.ok()) break;
                assigned_rf = a.broker_ids.size();
            }
            if (error.ok()) {
                for (std::int32_t i = 0; i < static_cast<std::int32_t>(seen.size()); ++i) {
                    if (!seen.contains(i)) {
                        error = make_error(error_code::invalid_replica_assignment,
                                           "partitions should be a consecutive 0-based integer sequence");
                        break;
                    }
                }
            }
            if (!error.ok()) {
                fail(std::move(error));
                continue;
            }
            partitions = static_cast<std::int32_t>(seen.size());
            rf = static_cast<std::int64_t>(*assigned_rf);
        } else if (spec.replication_factor < -1 || spec.replication_factor == 0) {
            fail(make_error(error_code::invalid_replication_factor,
                            "Replication factor must be larger than 0, or -1 to use the default value."));
            continue;
        } else if (spec.num_partitions < -1 || spec.num_partitions == 0) {
            fail(make_error(error_code::invalid_partitions,
                            "Number of partitions was set to an invalid non-positive value."));
            continue;
        } else {
            partitions = spec.num_partitions == -1 ? static_cast<std::int32_t>(broker.integer("num.partitions"))
                                                   : spec.num_partitions;
            rf = spec.replication_factor == -1 ? broker.integer("default.replication.factor") : spec.replication_factor;
            if (rf <= 0) {
                fail(make_error(error_code::invalid_replication_factor,
                                "Unable to replicate the partition " + std::to_string(rf) +
                                    " time(s): Invalid replication factor " + std::to_string(rf) +
                                    ": the replication factor must be positive."));
                continue;
            }
            if (rf > static_cast<std::int64_t>(brokers.size())) {
                fail(make_error(error_code::invalid_replication_factor,
                                replication_error(static_cast<std::int32_t>(rf), brokers.size())));
                continue;
            }
        }
        if (partitions > max_partitions_per_topic) {
            fail(make_error(error_code::invalid_partitions,
                            "Number of partitions " + std::to_string(partitions) + " is above the limit of " +
                                std::to_string(max_partitions_per_topic) + " per topic."));
            continue;
        }
        // Success: the records, in Kafka's order (TopicRecord, ConfigRecords, PartitionRecords).
        result.id = fresh_topic_id(table, new_ids);
        new_ids.insert(result.id);
        result.num_partitions = partitions;
        result.replication_factor = static_cast<std::int16_t>(rf);
        result.configs = describe_topic_configs(overrides, broker);
        protocol::topic_record tr;
        tr.name = spec.name;
        tr.topic_id = result.id;
        out.records.emplace_back(std::move(tr));
        for (const auto& [name, value] : overrides) {
            protocol::config_record cr;
            cr.resource_type = topic_resource;
            cr.resource_name = spec.name;
            cr.name = name;
            cr.value = value;
            out.records.emplace_back(std::move(cr));
        }
        if (!spec.assignments.empty()) {
            for (const auto& a : spec.assignments) {
                std::vector<model::node_id> replicas;
                for (auto b : a.broker_ids) replicas.emplace_back(b);
                out.records.emplace_back(partition_on(std::move(replicas), result.id, a.partition));
            }
            // PartitionRecords in partition order, as Kafka writes them.
            std::stable_sort(out.records.end() - partitions, out.records.end(), [](const auto& x, const auto& y) {
                return std::get<protocol::partition_record>(x).partition_id <
                       std::get<protocol::partition_record>(y).partition_id;
            });
        } else {
            placer place(brokers, static_cast<std::size_t>(rf));
            for (std::int32_t i = 0; i < partitions; ++i)
                out.records.emplace_back(partition_on(place.replicas(i), result.id, i));
        }
        out.results.push_back(std::move(result));
    }
    return out;
}

plan<delete_topic_result> plan_delete_topics(const topic_table& table, const std::vector<topic_ref>& topics) {
    plan<delete_topic_result> out;
    const bool enabled = table.broker_configs().boolean("delete.topic.enable");
    std::set<model::uuid> removed;
    for (const auto& ref : topics) {
        delete_topic_result result;
        result.name = ref.name;
        result.id = ref.id;
        const topic_metadata* t = ref.name ? table.find(*ref.name) : table.find(ref.id);
        if (!enabled) {
            result.error = make_error(error_code::topic_deletion_disabled, "Topic deletion is disabled.");
        } else if (!t) {
            result.error = make_error(ref.name ? error_code::unknown_topic_or_partition : error_code::unknown_topic_id);
        } else if (!removed.insert(t->id).second) {
            result.error = make_error(error_code::invalid_request,
                                      "The provided topic name maps to an ID that was already supplied.");
        } else {
            result.name = t->name;
            result.id = t->id;
            protocol::remove_topic_record r;
            r.topic_id = t->id;
            out.records.emplace_back(std::move(r));
        }
        out.results.push_back(std::move(result));
    }
    return out;
}

plan<api_error> plan_create_partitions(const topic_table& table, const std::vector<partition_increase>& topics,
                                       const std::vector<model::node_id>& brokers) {
    plan<api_error> out;
    std::set<std::string, std::less<>> seen;
    for (const auto& inc : topics) {
        if (!seen.insert(inc.name).second) {
            out.results.push_back(make_error(error_code::invalid_request, "Duplicate topic name."));
            continue;
        }
        const topic_metadata* t = table.find(inc.name);
        if (!t) {
            out.results.push_back(make_error(error_code::unknown_topic_or_partition));
            continue;
        }
        const std::int32_t current = t->partition_count();
        if (inc.count == current) {
            out.results.push_back(make_error(error_code::invalid_partitions,
                                             "Topic already has " + std::to_string(current) + " partition(s)."));
            continue;
        }
        if (inc.count < current) {
            out.results.push_back(make_error(error_code::invalid_partitions,
                                             "The topic " + inc.name + " currently has " + std::to_string(current) +
                                                 " partition(s); " + std::to_string(inc.count) +
                                                 " would not be an increase."));
            continue;
        }
        if (inc.count > max_partitions_per_topic) {
            out.results.push_back(make_error(error_code::invalid_partitions,
                                             "Number of partitions " + std::to_string(inc.count) +
                                                 " is above the limit of " + std::to_string(max_partitions_per_topic) +
                                                 " per topic."));
            continue;
        }
        const std::int32_t additional = inc.count - current;
        api_error error;
        if (inc.assignments) {
            if (static_cast<std::int32_t>(inc.assignments->size()) != additional) {
                error = make_error(error_code::invalid_replica_assignment,
                                   "Attempted to add " + std::to_string(additional) +
                                       " additional partition(s), but only " +
                                       std::to_string(inc.assignments->size()) + " assignment(s) were specified.");
            } else {
                for (const auto& assigned : *inc.assignments)
                    if (error = check_assignment(assigned, t->replication_factor(), brokers); !error.ok()) break;
            }
        }
        if (!error.ok()) {
            out.results.push_back(std::move(error));
            continue;
        }
        if (inc.assignments) {
            std::int32_t i = current;
            for (const auto& assigned : *inc.assignments) {
                std::vector<model::node_id> replicas;
                for (auto b : assigned) replicas.emplace_back(b);
                out.records.emplace_back(partition_on(std::move(replicas), t->id, i++));
            }
        } else {
            const auto rf = static_cast<std::size_t>(std::max<std::int16_t>(t->replication_factor(), 1));
            if (rf > brokers.size()) {
                out.results.push_back(make_error(error_code::invalid_replication_factor,
                                                 replication_error(static_cast<std::int32_t>(rf), brokers.size())));
                continue;
            }
            placer place(brokers, rf);
            for (std::int32_t i = current; i < inc.count; ++i) out.records.emplace_back(partition_on(place.replicas(i), t->id, i));
        }
        out.results.push_back({});
    }
    return out;
}

}  // namespace tributary::cluster
