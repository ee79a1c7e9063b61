#include "storage/checkpoints.h"

#include "storage/format.h"

namespace tributary::storage {

std::string encode_partition_metadata(const model::uuid& topic_id) {
    return "version: 0\ntopic_id: " + topic_id.to_string() + "\n";
}

std::optional<model::uuid> decode_partition_metadata(std::string_view text) {
    std::optional<model::uuid> id;
    bool version_ok = false;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view k = line.substr(0, colon);
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.remove_suffix(1);
        if (k == "version") version_ok = v == "0";
        if (k == "topic_id") {
            model::uuid u;
            if (model::uuid::parse(v, u)) id = u;
        }
    }
    if (!version_ok) return std::nullopt;
    return id;
}

namespace {
void put64(bytes::byte* p, std::int64_t v) {
    bytes::store_be64(p, static_cast<std::uint64_t>(v));
}
std::int64_t get64(const bytes::byte* p) {
    return static_cast<std::int64_t>(bytes::load_be64(p));
}
}  // namespace

bytes::byte_vector encode_partition_checkpoint(const partition_checkpoint& c) {
    bytes::byte body[16];
    put64(body, c.log_start_offset.value());
    put64(body + 8, c.recovery_point.value());
    return encode_envelope(format::partition_checkpoint_magic, format::partition_checkpoint_version,
                           format::partition_checkpoint_version, body);
}

util::result<partition_checkpoint, envelope_error> decode_partition_checkpoint(bytes::bytes_view data) {
    auto env =
        decode_envelope(data, format::partition_checkpoint_magic, format::partition_checkpoint_version);
    if (!env) return env.error();
    if (env->body.size() < 16) return envelope_error::truncated;
    return partition_checkpoint{model::offset(get64(env->body.data())),
                                model::offset(get64(env->body.data() + 8))};
}

bytes::byte_vector encode_clean_shutdown_marker(const clean_shutdown_marker& m) {
    bytes::byte body[48];
    put64(body, m.log_end_offset.value());
    put64(body + 8, m.active_base_offset.value());
    put64(body + 16, static_cast<std::int64_t>(m.active_size));
    put64(body + 24, m.active_max_timestamp);
    put64(body + 32, m.active_offset_of_max_timestamp.value());
    bytes::store_be32(body + 40, m.offset_index_entries);
    bytes::store_be32(body + 44, m.time_index_entries);
    return encode_envelope(format::clean_shutdown_magic, format::clean_shutdown_version,
                           format::clean_shutdown_version, body);
}

util::result<clean_shutdown_marker, envelope_error> decode_clean_shutdown_marker(bytes::bytes_view data) {
    auto env = decode_envelope(data, format::clean_shutdown_magic, format::clean_shutdown_version);
    if (!env) return env.error();
    if (env->body.size() < 48) return envelope_error::truncated;
    const bytes::byte* p = env->body.data();
    clean_shutdown_marker m;
    m.log_end_offset = model::offset(get64(p));
    m.active_base_offset = model::offset(get64(p + 8));
    m.active_size = static_cast<std::uint64_t>(get64(p + 16));
    m.active_max_timestamp = get64(p + 24);
    m.active_offset_of_max_timestamp = model::offset(get64(p + 32));
    m.offset_index_entries = bytes::load_be32(p + 40);
    m.time_index_entries = bytes::load_be32(p + 44);
    return m;
}

}  // namespace tributary::storage
