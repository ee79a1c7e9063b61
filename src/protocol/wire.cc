#include "protocol/wire.h"

#include <algorithm>

namespace tributary::protocol::wire {
namespace {

using bytes::decode_error;

// The length prefix of a string, bytes or records value: -1 for null, else the length. Returns -2 after
// recording an error.
std::int64_t read_length(bytes::reader& r, bool compact, bool int16_length, bool nullable) {
    std::int64_t length;
    if (compact) {
        length = static_cast<std::int64_t>(r.read_uvarint()) - 1;
    } else if (int16_length) {
        length = r.read_int16();
    } else {
        length = r.read_int32();
    }
    if (!r.ok()) return -2;
    if (length < -1 || (length == -1 && !nullable)) {
        r.fail(decode_error::negative_length);
        return -2;
    }
    if (length > static_cast<std::int64_t>(r.remaining())) {
        r.fail(decode_error::length_too_large);
        return -2;
    }
    return length;
}

void write_length(bytes::writer& w, bool compact, bool int16_length, std::size_t length) {
    if (compact) {
        w.write_uvarlong(std::uint64_t{length} + 1);
    } else if (int16_length) {
        w.write_int16(static_cast<std::int16_t>(length));
    } else {
        w.write_int32(static_cast<std::int32_t>(length));
    }
}

void write_null(bytes::writer& w, bool compact, bool int16_length) {
    if (compact) {
        w.write_uvarint(0);
    } else if (int16_length) {
        w.write_int16(-1);
    } else {
        w.write_int32(-1);
    }
}

std::optional<std::string> read_string_impl(bytes::reader& r, bool compact, bool nullable) {
    std::int64_t length = read_length(r, compact, /*int16_length=*/true, nullable);
    if (length < 0) return std::nullopt;
    if (static_cast<std::size_t>(length) > max_string_size) {
        r.fail(decode_error::length_too_large);
        return std::nullopt;
    }
    return std::string(bytes::as_chars(r.read_view(static_cast<std::size_t>(length))));
}

std::optional<bytes::byte_vector> read_bytes_impl(bytes::reader& r, bool compact, bool nullable) {
    std::int64_t length = read_length(r, compact, /*int16_length=*/false, nullable);
    if (length < 0) return std::nullopt;
    auto view = r.read_view(static_cast<std::size_t>(length));
    return bytes::byte_vector(view.begin(), view.end());
}

// Appends `v` unless it is empty: an empty vector's data() is null, and bytes::writer passes it on to
// memcpy, which must not see a null pointer even for zero bytes.
void write_raw(bytes::writer& w, bytes::bytes_view v) {
    if (!v.empty()) w.write_bytes(v);
}

void write_tagged_field(bytes::writer& w, std::uint32_t tag, bytes::bytes_view value) {
    w.write_uvarint(tag);
    w.write_uvarint(static_cast<std::uint32_t>(value.size()));
    write_raw(w, value);
}

}  // namespace

std::string read_string(bytes::reader& r, bool compact) {
    return read_string_impl(r, compact, /*nullable=*/false).value_or(std::string());
}

std::optional<std::string> read_nullable_string(bytes::reader& r, bool compact, bool nullable) {
    return read_string_impl(r, compact, nullable);
}

bytes::byte_vector read_bytes(bytes::reader& r, bool compact) {
    return read_bytes_impl(r, compact, /*nullable=*/false).value_or(bytes::byte_vector());
}

std::optional<bytes::byte_vector> read_nullable_bytes(bytes::reader& r, bool compact, bool nullable) {
    return read_bytes_impl(r, compact, nullable);
}

protocol::records read_records(bytes::reader& r, bool compact, bool nullable) {
    std::int64_t length = read_length(r, compact, /*int16_length=*/false, nullable);
    if (length < 0) return protocol::records::null();
    return protocol::records::borrowed(r.read_view(static_cast<std::size_t>(length)));
}

model::uuid read_uuid(bytes::reader& r) {
    model::uuid u;
    auto view = r.read_view(u.bytes.size());
    if (!view.empty()) std::copy(view.begin(), view.end(), u.bytes.begin());
    return u;
}

std::int64_t read_array_length(bytes::reader& r, bool compact, bool nullable, std::size_t min_element_size) {
    std::int64_t count = compact ? static_cast<std::int64_t>(r.read_uvarint()) - 1 : r.read_int32();
    if (!r.ok()) return -1;
    if (count < -1 || (count == -1 && !nullable)) {
        r.fail(decode_error::negative_length);
        return -1;
    }
    if (count == -1) return -1;
    if (!r.check_count(static_cast<std::uint64_t>(count), min_element_size)) return -1;
    return count;
}

bool read_struct_marker(bytes::reader& r, bool tagged) {
    if (tagged) {
        std::uint32_t marker = r.read_uvarint();
        if (marker > 1) r.fail(decode_error::invalid_value);
        return r.ok() && marker == 1;
    }
    std::int8_t marker = r.read_int8();
    if (marker != -1 && marker != 1) r.fail(decode_error::invalid_value);
    return r.ok() && marker == 1;
}

void read_unknown_tagged_fields(bytes::reader& r, std::vector<tagged_field>& unknown) {
    read_tagged_fields(r, unknown, [](std::uint32_t, bytes::reader&) { return false; });
}

void write_string(bytes::writer& w, std::string_view s, bool compact) {
    if (s.size() > max_string_size) s = s.substr(0, max_string_size);
    write_length(w, compact, /*int16_length=*/true, s.size());
    write_raw(w, bytes::as_bytes(s));
}

void write_nullable_string(bytes::writer& w, const std::optional<std::string>& s, bool compact,
                           bool nullable) {
    if (s) {
        write_string(w, *s, compact);
    } else if (nullable) {
        write_null(w, compact, /*int16_length=*/true);
    } else {
        write_string(w, {}, compact);
    }
}

void write_bytes(bytes::writer& w, bytes::bytes_view b, bool compact) {
    write_length(w, compact, /*int16_length=*/false, b.size());
    write_raw(w, b);
}

void write_nullable_bytes(bytes::writer& w, const std::optional<bytes::byte_vector>& b, bool compact,
                          bool nullable) {
    if (b) {
        write_bytes(w, *b, compact);
    } else if (nullable) {
        write_null(w, compact, /*int16_length=*/false);
    } else {
        write_bytes(w, {}, compact);
    }
}

void write_records(bytes::writer& w, const protocol::records& records, bool compact, bool nullable) {
    if (records.is_null() && nullable) {
        write_null(w, compact, /*int16_length=*/false);
        return;
    }
    write_length(w, compact, /*int16_length=*/false, records.size_bytes());
    if (records.is_file())
        w.write_file_region(records.file());
    else if (records.size_bytes() > 0)
        w.write_external(records.data(), records.keepalive());
}

void write_array_length(bytes::writer& w, bool compact, std::size_t count) {
    write_length(w, compact, /*int16_length=*/false, count);
}

void write_null_array(bytes::writer& w, bool compact) { write_null(w, compact, /*int16_length=*/false); }

void write_struct_marker(bytes::writer& w, bool tagged, bool present) {
    if (tagged) {
        w.write_uvarint(present ? 1 : 0);
    } else {
        w.write_int8(present ? 1 : -1);
    }
}

void write_unknown_tagged_fields(bytes::writer& w, const std::vector<tagged_field>& unknown) {
    w.write_uvarint(static_cast<std::uint32_t>(unknown.size()));
    for (const auto& f : unknown) write_tagged_field(w, f.tag, f.data);
}

void tagged_fields_writer::finish(bytes::writer& w) const {
    w.write_uvarint(static_cast<std::uint32_t>(known_.size() + unknown_.size()));
    auto next_unknown = unknown_.begin();
    for (const auto& [tag, value] : known_) {
        for (; next_unknown != unknown_.end() && next_unknown->tag < tag; ++next_unknown) {
            write_tagged_field(w, next_unknown->tag, next_unknown->data);
        }
        // Known values never hold borrowed fragments (records cannot be tagged), so one copy suffices.
        write_tagged_field(w, tag, value.to_vector());
    }
    for (; next_unknown != unknown_.end(); ++next_unknown) {
        write_tagged_field(w, next_unknown->tag, next_unknown->data);
    }
}

namespace detail {
void finish_known_tag(bytes::reader& r, const bytes::reader& value) {
    if (!value.ok()) {
        r.fail(value.error());
    } else if (!value.at_end()) {
        r.fail(decode_error::invalid_value);
    }
}
}  // namespace detail

}  // namespace tributary::protocol::wire
