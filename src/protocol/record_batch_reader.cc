#include "protocol/record_batch_reader.h"

namespace tributary::protocol {

namespace bf = batch_format;

namespace {

// A varint length of a nullable field: -1 is null, anything below is malformed.
std::optional<bytes::bytes_view> read_nullable(bytes::reader& in) {
    std::int32_t n = in.read_varint();
    if (n < -1) {
        in.fail(bytes::decode_error::negative_length);
        return std::nullopt;
    }
    if (n == -1) return std::nullopt;
    return in.read_view(static_cast<std::size_t>(n));
}

std::int32_t add_sequence(std::int32_t base, std::int32_t delta) {
    if (base == bf::no_sequence) return bf::no_sequence;
    constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
    return base > max - delta ? delta - (max - base) - 1 : base + delta;
}

}  // namespace

void record_headers::iterator::advance() {
    // The bytes were checked when the record was read, so no read here fails.
    if (--left_ <= 0) {
        left_ = 0;
        return;
    }
    std::int32_t key_length = in_.read_varint();
    current_.key = bytes::as_chars(in_.read_view(static_cast<std::size_t>(key_length < 0 ? 0 : key_length)));
    current_.value = read_nullable(in_);
}

batch_error record_reader::open(bytes::bytes_view batch) {
    error_ = batch_error::none;
    remaining_ = 0;
    records_ = bytes::reader();
    auto h = parse_header(batch);
    if (!h) return error_ = h.error();
    if (batch.size() < h->size_bytes()) return error_ = batch_error::truncated;
    header_ = *h;
    const bytes::bytes_view body = batch.subspan(bf::records_at, header_.size_bytes() - bf::header_size);
    if (header_.compression() == util::compression_type::none) {
        records_ = bytes::reader(body);
    } else {
        buffer_.clear();
        switch (util::decompress(header_.compression(), body, buffer_, max_decompressed_size_)) {
        case util::compression_error::none: break;
        case util::compression_error::too_large: return error_ = batch_error::decompressed_too_large;
        case util::compression_error::unknown_codec:
        case util::compression_error::invalid_level:
        case util::compression_error::corrupt_input:
        case util::compression_error::codec_failure: return error_ = batch_error::decompression_failed;
        }
        records_ = bytes::reader(buffer_);
    }
    remaining_ = header_.record_count;
    return batch_error::none;
}

bool record_reader::next() {
    if (error_ != batch_error::none) return false;
    if (remaining_ == 0) {
        // Kafka rejects a batch whose records continue past recordsCount.
        if (!records_.at_end()) return fail(batch_error::invalid_record);
        return false;
    }
    const std::int32_t length = records_.read_varint();
    if (!records_.ok() || length < 0) return fail(batch_error::invalid_record);
    const bytes::bytes_view encoded = records_.read_view(static_cast<std::size_t>(length));
    if (!records_.ok()) return fail(batch_error::invalid_record);
    bytes::reader in(encoded);

    protocol::record& r = record_;
    r.attributes = in.read_int8();
    r.timestamp_delta = in.read_varlong();
    r.offset_delta = in.read_varint();
    r.key = read_nullable(in);
    r.value = read_nullable(in);
    const std::int32_t header_count = in.read_varint();
    if (!in.ok() || header_count < 0 || !in.check_count(static_cast<std::uint64_t>(header_count), 2)) {
        return fail(batch_error::invalid_record);
    }
    const std::size_t headers_at = in.position();
    for (std::int32_t i = 0; i < header_count; ++i) {
        std::int32_t key_length = in.read_varint();
        if (key_length < 0) return fail(batch_error::invalid_record);  // header keys are never null
        in.skip(static_cast<std::size_t>(key_length));
        (void)read_nullable(in);
    }
    // The record must end exactly where its length prefix says.
    if (!in.ok() || !in.at_end()) return fail(batch_error::invalid_record);

    // Wraps as Kafka's Java longs do (a hostile base offset near INT64_MAX); the broker assigns base
    // offsets itself and never stores such a batch.
    r.offset = model::offset(static_cast<std::int64_t>(static_cast<std::uint64_t>(header_.base_offset.value()) +
                                                       static_cast<std::uint64_t>(std::int64_t{r.offset_delta})));
    r.timestamp = header_.timestamp_type() == timestamp_type::log_append_time
                      ? header_.max_timestamp
                      : static_cast<std::int64_t>(static_cast<std::uint64_t>(header_.base_timestamp) +
                                                  static_cast<std::uint64_t>(r.timestamp_delta));
    r.sequence = r.offset_delta >= 0 ? add_sequence(header_.base_sequence, r.offset_delta) : bf::no_sequence;
    r.headers = record_headers(encoded.subspan(headers_at), header_count);
    --remaining_;
    return true;
}

}  // namespace tributary::protocol
