// Strong types for the numbers that must not mix (node ids, offsets, epochs, producer ids), and the
// 16-byte UUID Kafka uses for topic ids and cluster-unique identifiers.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace tributary::model {

// A named wrapper around an integer. Construction is explicit, so an offset cannot be passed where a
// node id is expected; value() gives the raw number for arithmetic and encoding.
template <typename T, typename Tag>
class named_type {
public:
    using value_type = T;
    constexpr named_type() = default;
    constexpr explicit named_type(T v) : value_(v) {}
    constexpr T value() const { return value_; }
    constexpr auto operator<=>(const named_type&) const = default;

private:
    T value_{};
};

using node_id = named_type<std::int32_t, struct node_id_tag>;
using producer_id = named_type<std::int64_t, struct producer_id_tag>;
using producer_epoch = named_type<std::int16_t, struct producer_epoch_tag>;
using partition_id = named_type<std::int32_t, struct partition_id_tag>;
using offset = named_type<std::int64_t, struct offset_tag>;
using leader_epoch = named_type<std::int32_t, struct leader_epoch_tag>;

// Kafka's Uuid: 128 bits, printed as URL-safe base64 without padding (22 characters).
struct uuid {
    std::array<std::uint8_t, 16> bytes{};

    static uuid random();
    bool is_zero() const;
    std::string to_string() const;
    static bool parse(std::string_view text, uuid& out);
    auto operator<=>(const uuid&) const = default;
};

}  // namespace tributary::model

template <typename T, typename Tag>
struct std::hash<tributary::model::named_type<T, Tag>> {
    std::size_t operator()(const tributary::model::named_type<T, Tag>& v) const noexcept {
        return std::hash<T>{}(v.value());
    }
};
