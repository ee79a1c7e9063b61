// Topic names: Kafka's rules (org.apache.kafka.common.internals.Topic) and the internal topics.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tributary::cluster {

inline constexpr std::string_view consumer_offsets_topic = "__consumer_offsets";
inline constexpr std::string_view transaction_state_topic = "__transaction_state";
inline constexpr std::string_view share_group_state_topic = "__share_group_state";
// The controller's own log; no client may create a topic of this name.
inline constexpr std::string_view cluster_metadata_topic = "__cluster_metadata";
inline constexpr std::size_t max_topic_name_length = 249;

// nullopt iff `name` is a legal topic name: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
// Otherwise the reason, worded as Kafka words it ("Topic name is invalid: ...").
std::optional<std::string> check_topic_name(std::string_view name);

// The topics Kafka's coordinators own; Metadata reports them with is_internal.
bool is_internal_topic(std::string_view name);

// '.' and '_' collide in metric names, so two topics that differ only there cannot both exist.
bool has_collision_chars(std::string_view name);
std::string unify_collision_chars(std::string_view name);  // every '.' becomes '_'

}  // namespace tributary::cluster
