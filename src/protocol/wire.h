// Encoding rules of the Kafka protocol's variable-length types, shared by every generated codec
// (tools/codegen, docs/formats/protocol-codegen.md). Fixed-width fields use bytes::reader/writer
// directly; this file adds strings, bytes, records, arrays, nullable structs and tagged fields.
//
// `compact` selects the flexible-version encoding (KIP-482): an unsigned varint holding length + 1, with
// 0 meaning null. Otherwise lengths are int16 (strings) or int32 (bytes, records, arrays), -1 meaning
// null. `nullable` says whether the field may be null in the version being decoded or encoded.
//
// Decoding never reads outside the buffer and never allocates for a length the remaining bytes cannot
// hold. Every failure is recorded in the reader's sticky error: negative_length for a length below -1 or
// a null where the version does not allow one, length_too_large for a count or length that cannot fit
// (or a string longer than Kafka's 32767-byte limit), invalid_value for a malformed nullable-struct
// marker or a tagged field whose value does not fill its declared size exactly.
//
// Encoding never fails. A value the version cannot represent is written as the closest valid encoding:
// a null where the version is not nullable is written as empty, and a string is cut at 32767 bytes
// (Kafka's own encoder would throw in both cases).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes/reader.h"
#include "bytes/writer.h"
#include "model/fundamental.h"
#include "protocol/records.h"
#include "protocol/tagged_field.h"

namespace tributary::protocol::wire {

// Kafka rejects strings longer than this in both encodings.
inline constexpr std::size_t max_string_size = 0x7fff;

std::string read_string(bytes::reader& r, bool compact);
std::optional<std::string> read_nullable_string(bytes::reader& r, bool compact, bool nullable);
bytes::byte_vector read_bytes(bytes::reader& r, bool compact);
std::optional<bytes::byte_vector> read_nullable_bytes(bytes::reader& r, bool compact, bool nullable);
// Points into the reader's buffer; no copy.
protocol::records read_records(bytes::reader& r, bool compact, bool nullable);
model::uuid read_uuid(bytes::reader& r);
// The element count of an array, or -1 when it is null (or on error). Fails unless `count` elements of at
// least `min_element_size` bytes each fit in the remaining bytes (a zero size counts as one byte).
std::int64_t read_array_length(bytes::reader& r, bool compact, bool nullable, std::size_t min_element_size);
// How many elements to reserve for an array of `count`: the decoder appends as it goes, so a count that
// only claims to fit costs nothing up front beyond this many.
constexpr std::size_t reserve_hint(std::int64_t count) {
    return count <= 0 ? 0 : count < 1024 ? static_cast<std::size_t>(count) : 1024;
}
// The presence marker of a nullable struct: int8 -1 (null) or 1 in a regular position, unsigned varint 0
// or 1 inside a tagged field. Returns true iff the struct follows.
bool read_struct_marker(bytes::reader& r, bool tagged);
// Reads a tagged-field section whose struct knows no tags: every field is kept in `unknown`.
void read_unknown_tagged_fields(bytes::reader& r, std::vector<tagged_field>& unknown);

void write_string(bytes::writer& w, std::string_view s, bool compact);
void write_nullable_string(bytes::writer& w, const std::optional<std::string>& s, bool compact,
                           bool nullable);
void write_bytes(bytes::writer& w, bytes::bytes_view b, bool compact);
void write_nullable_bytes(bytes::writer& w, const std::optional<bytes::byte_vector>& b, bool compact,
                          bool nullable);
// Large record data becomes its own fragment (bytes::writer::write_external), holding the keepalive.
void write_records(bytes::writer& w, const protocol::records& records, bool compact, bool nullable);
inline void write_uuid(bytes::writer& w, const model::uuid& u) { w.write_bytes(u.bytes); }
void write_array_length(bytes::writer& w, bool compact, std::size_t count);
void write_null_array(bytes::writer& w, bool compact);
void write_struct_marker(bytes::writer& w, bool tagged, bool present);
void write_unknown_tagged_fields(bytes::writer& w, const std::vector<tagged_field>& unknown);

// Reads a tagged-field section: count, then (tag, size, value) per field. `known(tag, value_reader)`
// decodes a tag the struct knows from a reader limited to the field's bytes and returns true, or returns
// false to keep the field in `unknown` as raw bytes.
template <typename KnownFn>
void read_tagged_fields(bytes::reader& r, std::vector<tagged_field>& unknown, KnownFn&& known);

// Collects the known tagged fields of one struct, then writes the section with the unknown ones merged
// in: Kafka's order, where each unknown field goes before the first known tag greater than its own and
// the unknown fields keep their relative order. So decode -> encode reproduces the input.
class tagged_fields_writer {
public:
    explicit tagged_fields_writer(const std::vector<tagged_field>& unknown) : unknown_(unknown) {}

    // Starts the value of a known field. REQUIRES: called with ascending tags. The reference is valid
    // until the next add().
    bytes::writer& add(std::uint32_t tag) { return known_.emplace_back(tag, bytes::writer{}).second; }
    void finish(bytes::writer& w) const;

private:
    const std::vector<tagged_field>& unknown_;
    std::vector<std::pair<std::uint32_t, bytes::writer>> known_;
};

namespace detail {
// Checks that a known tagged field's decoder consumed its value exactly, propagating its error.
void finish_known_tag(bytes::reader& r, const bytes::reader& value);
}  // namespace detail

template <typename KnownFn>
void read_tagged_fields(bytes::reader& r, std::vector<tagged_field>& unknown, KnownFn&& known) {
    std::uint32_t count = r.read_uvarint();
    // Each field takes at least two bytes (its tag and its size).
    if (!r.check_count(count, 2)) return;
    for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
        std::uint32_t tag = r.read_uvarint();
        std::uint32_t size = r.read_uvarint();
        bytes::bytes_view value = r.read_view(size);
        if (!r.ok()) return;
        bytes::reader value_reader(value);
        if (known(tag, value_reader)) {
            detail::finish_known_tag(r, value_reader);
        } else {
            unknown.push_back(tagged_field{tag, bytes::byte_vector(value.begin(), value.end())});
        }
    }
}

}  // namespace tributary::protocol::wire
