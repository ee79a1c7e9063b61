#include "groups/embedded_protocol.h"

#include <algorithm>

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "protocol/messages/consumer_protocol_assignment.h"
#include "protocol/messages/consumer_protocol_subscription.h"

namespace tributary::groups {
namespace {

constexpr std::int16_t newest_version = 3;

// Decodes M after its version prefix. Trailing bytes are allowed: a newer version's fields.
template <typename M>
std::optional<M> decode_prefixed(bytes::bytes_view data, std::int16_t& version) {
    bytes::reader r(data);
    version = r.read_int16();
    if (!r.ok() || version < 0) return std::nullopt;
    M out;
    out.decode(r, std::min(version, newest_version));
    if (!r.ok()) return std::nullopt;
    return out;
}

}  // namespace

std::int16_t embedded_version(bytes::bytes_view metadata) {
    bytes::reader r(metadata);
    const std::int16_t version = r.read_int16();
    if (!r.ok() || version < 0) return 0;
    return std::min(version, newest_version);
}

std::optional<embedded_subscription> decode_embedded_subscription(bytes::bytes_view metadata) {
    std::int16_t version = 0;
    auto m = decode_prefixed<protocol::consumer_protocol_subscription>(metadata, version);
    if (!m) return std::nullopt;
    embedded_subscription out;
    out.version = version;
    out.topics = std::move(m->topics);
    for (const auto& tp : m->owned_partitions) out.owned[tp.topic].insert(tp.partitions.begin(), tp.partitions.end());
    out.rack_id = std::move(m->rack_id);
    return out;
}

std::optional<named_partitions> decode_embedded_assignment(bytes::bytes_view assignment) {
    if (assignment.empty()) return named_partitions{};
    std::int16_t version = 0;
    auto m = decode_prefixed<protocol::consumer_protocol_assignment>(assignment, version);
    if (!m) return std::nullopt;
    named_partitions out;
    for (const auto& tp : m->assigned_partitions) out[tp.topic].insert(tp.partitions.begin(), tp.partitions.end());
    return out;
}

bytes::byte_vector encode_embedded_assignment(const named_partitions& partitions, std::int16_t version) {
    version = std::clamp<std::int16_t>(version, 0, newest_version);
    protocol::consumer_protocol_assignment a;
    for (const auto& [topic, ps] : partitions) {
        if (ps.empty()) continue;
        auto& tp = a.assigned_partitions.emplace_back();
        tp.topic = topic;
        tp.partitions.assign(ps.begin(), ps.end());
    }
    a.user_data.reset();
    bytes::writer w;
    w.write_int16(version);
    a.encode(w, version);
    return w.to_vector();
}

}  // namespace tributary::groups
