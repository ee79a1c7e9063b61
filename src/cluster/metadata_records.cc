#include "cluster/metadata_records.h"

#include "bytes/reader.h"
#include "bytes/writer.h"

namespace tributary::cluster {
namespace {

template <typename T>
constexpr std::int16_t write_version() {
    if constexpr (std::is_same_v<T, protocol::partition_record> || std::is_same_v<T, protocol::partition_change_record>)
        return 0;
    else
        return T::max_version;
}

template <std::size_t I = 0>
bool decode_alternative(std::int16_t type, std::int16_t version, bytes::reader& r, decoded_record& out,
                        std::string& error) {
    if constexpr (I == std::variant_size_v<metadata_record>) {
        error = "unknown metadata record type " + std::to_string(type);
        return false;
    } else {
        using T = std::variant_alternative_t<I, metadata_record>;
        if (T::api_key != type) return decode_alternative<I + 1>(type, version, r, out, error);
        T record;
        record.decode(r, version);
        if (!r.ok()) {
            error = std::string(T::message_name) + " v" + std::to_string(version) +
                    ": " + std::string(bytes::to_string(r.error()));
            return false;
        }
        out.record = std::move(record);
        out.version = version;
        return true;
    }
}

}  // namespace

void encode_metadata_record(const metadata_record& record, bytes::byte_vector& out) {
    bytes::writer w;
    std::visit(
        [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            constexpr std::int16_t version = write_version<T>();
            w.write_uvarint(metadata_frame_version);
            w.write_uvarint(static_cast<std::uint32_t>(T::api_key));
            w.write_uvarint(static_cast<std::uint32_t>(version));
            r.encode(w, version);
        },
        record);
    for (auto f : w.fragments()) out.insert(out.end(), f.begin(), f.end());
}

bool decode_metadata_record(bytes::bytes_view data, decoded_record& out, std::string& error) {
    bytes::reader r(data);
    const std::uint32_t frame = r.read_uvarint();
    const std::uint32_t type = r.read_uvarint();
    const std::uint32_t version = r.read_uvarint();
    if (!r.ok()) {
        error = "truncated record frame";
        return false;
    }
    if (frame != metadata_frame_version) {
        error = "unknown frame version " + std::to_string(frame);
        return false;
    }
    if (type > 0x7fff || version > 0x7fff) {
        error = "record type or version out of range";
        return false;
    }
    if (!decode_alternative(static_cast<std::int16_t>(type), static_cast<std::int16_t>(version), r, out, error))
        return false;
    if (r.remaining() != 0) {
        error = std::to_string(r.remaining()) + " byte(s) after " + std::string(record_name(out.record));
        return false;
    }
    return true;
}

std::string_view record_name(const metadata_record& record) {
    return std::visit([](const auto& r) { return std::decay_t<decltype(r)>::message_name; }, record);
}

}  // namespace tributary::cluster
