// The consumer group held by a group_manager's group of consumer type, for the consumer-group code
// outside consumer_protocol.cc (consumer_migration.cc). consumer_protocol.cc defines the entry: the
// consumer_group state machine behind the consumer_group_state interface.
#pragma once

#include <memory>
#include <string>

#include "groups/consumer_group.h"
#include "groups/group.h"

namespace tributary::groups {

// REQUIRES: g.type() == consumer and g.consumer is set.
consumer_group& consumer_group_of(group& g);
// REQUIRES: `entry` was made by new_consumer_group_entry.
consumer_group& consumer_group_of(consumer_group_state& entry);
// A new, empty consumer group entry for group::consumer.
std::shared_ptr<consumer_group_state> new_consumer_group_entry(std::string id);

}  // namespace tributary::groups
