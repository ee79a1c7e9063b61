// A partition's name: topic name and partition index, as Kafka's TopicPartition.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace tributary::model {

struct topic_partition {
    std::string topic;
    std::int32_t partition = 0;

    auto operator<=>(const topic_partition&) const = default;
    std::string to_string() const { return topic + "-" + std::to_string(partition); }
};

}  // namespace tributary::model

template <>
struct std::hash<tributary::model::topic_partition> {
    std::size_t operator()(const tributary::model::topic_partition& tp) const noexcept {
        return std::hash<std::string>{}(tp.topic) * 31 + static_cast<std::size_t>(tp.partition);
    }
};
