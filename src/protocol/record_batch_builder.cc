#include "protocol/record_batch_builder.h"

#include <cassert>

namespace tributary::protocol {

namespace bf = batch_format;

namespace {

void put_uvarlong(bytes::byte_vector& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<bytes::byte>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<bytes::byte>(v));
}
void put_varint(bytes::byte_vector& out, std::int32_t v) { put_uvarlong(out, bytes::zigzag32(v)); }
void put_varlong(bytes::byte_vector& out, std::int64_t v) { put_uvarlong(out, bytes::zigzag64(v)); }

void put_nullable(bytes::byte_vector& out, std::optional<bytes::bytes_view> v) {
    if (!v) {
        put_varint(out, -1);
        return;
    }
    put_varint(out, static_cast<std::int32_t>(v->size()));
    out.insert(out.end(), v->begin(), v->end());
}

std::size_t nullable_size(std::optional<bytes::bytes_view> v) {
    return v ? bytes::varint_size(static_cast<std::int32_t>(v->size())) + v->size() : 1;
}

}  // namespace

record_batch_builder& record_batch_builder::add_at(std::int32_t offset_delta, std::int64_t timestamp,
                                                   std::optional<bytes::bytes_view> key,
                                                   std::optional<bytes::bytes_view> value,
                                                   std::span<const record_header> headers) {
    assert(offset_delta >= next_offset_delta_);
    if (!base_timestamp_) base_timestamp_ = timestamp;
    const std::int64_t timestamp_delta = timestamp - *base_timestamp_;

    // The body first, to know the length prefix.
    std::size_t body = 1 + bytes::varlong_size(timestamp_delta) + bytes::varint_size(offset_delta) +
                       nullable_size(key) + nullable_size(value) +
                       bytes::varint_size(static_cast<std::int32_t>(headers.size()));
    for (const auto& h : headers) body += nullable_size(bytes::as_bytes(h.key)) + nullable_size(h.value);

    put_varint(records_, static_cast<std::int32_t>(body));
    const std::size_t start = records_.size();
    records_.push_back(0);  // record attributes: none defined
    put_varlong(records_, timestamp_delta);
    put_varint(records_, offset_delta);
    put_nullable(records_, key);
    put_nullable(records_, value);
    put_varint(records_, static_cast<std::int32_t>(headers.size()));
    for (const auto& h : headers) {
        put_nullable(records_, bytes::as_bytes(h.key));
        put_nullable(records_, h.value);
    }
    assert(records_.size() - start == body);
    (void)start;

    if (timestamp > max_timestamp_) max_timestamp_ = timestamp;
    ++record_count_;
    next_offset_delta_ = offset_delta + 1;
    return *this;
}

util::result<bytes::byte_vector, util::compression_error> record_batch_builder::build() const {
    bytes::byte_vector out(bf::header_size);
    if (auto e = util::compress(compression_, records_, out, level_); e != util::compression_error::none) return e;

    const bool log_append = (attributes_ & bf::timestamp_type_bit) != 0;
    const std::int16_t attributes =
        static_cast<std::int16_t>(attributes_ | static_cast<std::int16_t>(compression_));
    bytes::byte* p = out.data();
    bytes::store_be64(p + bf::base_offset_at, static_cast<std::uint64_t>(base_offset_.value()));
    bytes::store_be32(p + bf::batch_length_at, static_cast<std::uint32_t>(out.size() - bf::log_overhead));
    bytes::store_be32(p + bf::partition_leader_epoch_at, static_cast<std::uint32_t>(partition_leader_epoch_.value()));
    p[bf::magic_at] = static_cast<bytes::byte>(bf::magic_v2);
    bytes::store_be16(p + bf::attributes_at, static_cast<std::uint16_t>(attributes));
    // An empty batch keeps lastOffsetDelta 0, as Kafka's builder does.
    bytes::store_be32(p + bf::last_offset_delta_at,
                      static_cast<std::uint32_t>(last_offset_delta_     ? *last_offset_delta_
                                                 : next_offset_delta_ > 0 ? next_offset_delta_ - 1
                                                                          : 0));
    bytes::store_be64(p + bf::base_timestamp_at,
                      static_cast<std::uint64_t>(base_timestamp_.value_or(bf::no_timestamp)));
    bytes::store_be64(p + bf::max_timestamp_at,
                      static_cast<std::uint64_t>(log_append ? log_append_time_ : max_timestamp_));
    bytes::store_be64(p + bf::producer_id_at, static_cast<std::uint64_t>(producer_id_.value()));
    bytes::store_be16(p + bf::producer_epoch_at, static_cast<std::uint16_t>(producer_epoch_.value()));
    bytes::store_be32(p + bf::base_sequence_at, static_cast<std::uint32_t>(base_sequence_));
    bytes::store_be32(p + bf::records_count_at, static_cast<std::uint32_t>(record_count_));
    bytes::store_be32(p + bf::crc_at, compute_crc(out));
    return out;
}

}  // namespace tributary::protocol
