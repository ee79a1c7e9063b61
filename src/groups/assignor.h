// Server-side partition assignors of the consumer group protocol (KIP-848): given the members of a
// group, what each subscribes to and what each was assigned last time, compute the next target
// assignment. Pure functions of their input: no clocks, no I/O, deterministic (members are ordered
// by id), so every replay of the same input gives the same output.
//
// Two assignors, named as Kafka names them (`group.consumer.assignors`, ServerAssignor):
//   "uniform"  every subscribed partition to exactly one member, balanced and sticky. When all members
//              subscribe to the same topics the partition counts differ by at most one; otherwise no
//              single partition can move to an eligible member that has two or more fewer (a local
//              balance). Partitions stay with their current member unless balance requires a move.
//   "range"    per topic, contiguous ranges of partitions over the members subscribed to it, in a fixed
//              member order (static members by instance id first, then the others by member id), so
//              members get the same ranges of co-partitioned topics. Like Kafka's range assignor for
//              the new protocol it is not sticky: the order alone decides.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/fundamental.h"

namespace tributary::groups {

// Partitions by topic id, both ordered. An empty set is never stored.
using topic_partitions = std::map<model::uuid, std::set<std::int32_t>>;

struct assignment_member {
    std::string member_id;
    std::optional<std::string> instance_id;
    std::optional<std::string> rack_id;
    // Ids of the existing topics the member subscribes to.
    std::set<model::uuid> subscribed_topics;
    // The member's partitions in the current target assignment (the starting point for stickiness).
    topic_partitions current;
};

struct assignment_spec {
    std::vector<assignment_member> members;
    // Partition count of every topic some member subscribes to.
    std::map<model::uuid, std::int32_t> partition_counts;
};

// Member id -> its new target partitions. Every member of the spec has an entry (maybe empty).
using group_assignment = std::map<std::string, topic_partitions>;

class partition_assignor {
public:
    virtual ~partition_assignor() = default;
    virtual std::string_view name() const = 0;
    // REQUIRES: member ids are distinct; every subscribed topic is in spec.partition_counts.
    virtual group_assignment assign(const assignment_spec& spec) const = 0;
};

class uniform_assignor final : public partition_assignor {
public:
    std::string_view name() const override { return "uniform"; }
    group_assignment assign(const assignment_spec& spec) const override;
};

class range_assignor final : public partition_assignor {
public:
    std::string_view name() const override { return "range"; }
    group_assignment assign(const assignment_spec& spec) const override;
};

// The built-in assignor called `name`, or null.
const partition_assignor* find_assignor(std::string_view name);

// Number of partitions in `a`.
std::size_t partition_count(const topic_partitions& a);

}  // namespace tributary::groups
