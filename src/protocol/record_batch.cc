#include "protocol/record_batch.h"

#include "util/crc32c.h"

namespace tributary::protocol {

namespace bf = batch_format;

std::string_view to_string(batch_error e) {
    switch (e) {
    case batch_error::none: return "none";
    case batch_error::truncated: return "batch is truncated";
    case batch_error::batch_length_too_small: return "batchLength is smaller than the batch header";
    case batch_error::batch_length_too_large: return "batch is larger than the size limit";
    case batch_error::unsupported_magic: return "message format v0/v1 (magic 0/1) is not supported";
    case batch_error::invalid_magic: return "unknown magic byte";
    case batch_error::invalid_compression: return "unknown compression codec in the attributes";
    case batch_error::invalid_last_offset_delta: return "negative lastOffsetDelta";
    case batch_error::invalid_record_count: return "recordsCount is inconsistent with the batch";
    case batch_error::crc_mismatch: return "CRC32C mismatch";
    case batch_error::invalid_record: return "malformed record";
    case batch_error::decompression_failed: return "records do not decompress";
    case batch_error::decompressed_too_large: return "records decompress beyond the size limit";
    }
    return "unknown batch error";
}

model::error_code to_error_code(batch_error e) {
    switch (e) {
    case batch_error::none: return model::error_code::none;
    case batch_error::truncated: return model::error_code::corrupt_message;
    case batch_error::batch_length_too_small: return model::error_code::corrupt_message;
    case batch_error::batch_length_too_large: return model::error_code::message_too_large;
    case batch_error::unsupported_magic: return model::error_code::unsupported_for_message_format;
    case batch_error::invalid_magic: return model::error_code::corrupt_message;
    case batch_error::invalid_compression: return model::error_code::corrupt_message;
    case batch_error::invalid_last_offset_delta: return model::error_code::invalid_record;
    case batch_error::invalid_record_count: return model::error_code::invalid_record;
    case batch_error::crc_mismatch: return model::error_code::corrupt_message;
    case batch_error::invalid_record: return model::error_code::invalid_record;
    case batch_error::decompression_failed: return model::error_code::corrupt_message;
    case batch_error::decompressed_too_large: return model::error_code::message_too_large;
    }
    return model::error_code::unknown_server_error;
}

std::int32_t record_batch_header::last_sequence() const {
    if (base_sequence == bf::no_sequence) return bf::no_sequence;
    constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
    if (base_sequence > max - last_offset_delta) return last_offset_delta - (max - base_sequence) - 1;
    return base_sequence + last_offset_delta;
}

util::result<record_batch_header, batch_error> parse_header(bytes::bytes_view data, std::size_t max_size) {
    // The log overhead and magic sit at the same place in every message format, so magic is checked
    // before the rest of the header is interpreted.
    if (data.size() <= bf::magic_at) return batch_error::truncated;
    const std::int8_t magic = static_cast<std::int8_t>(data[bf::magic_at]);
    if (magic == 0 || magic == 1) return batch_error::unsupported_magic;
    if (magic != bf::magic_v2) return batch_error::invalid_magic;
    if (data.size() < bf::header_size) return batch_error::truncated;

    const bytes::byte* p = data.data();
    record_batch_header h;
    h.base_offset = model::offset(static_cast<std::int64_t>(bytes::load_be64(p + bf::base_offset_at)));
    h.batch_length = static_cast<std::int32_t>(bytes::load_be32(p + bf::batch_length_at));
    h.partition_leader_epoch =
        model::leader_epoch(static_cast<std::int32_t>(bytes::load_be32(p + bf::partition_leader_epoch_at)));
    h.magic = magic;
    h.crc = bytes::load_be32(p + bf::crc_at);
    h.attributes = static_cast<std::int16_t>(bytes::load_be16(p + bf::attributes_at));
    h.last_offset_delta = static_cast<std::int32_t>(bytes::load_be32(p + bf::last_offset_delta_at));
    h.base_timestamp = static_cast<std::int64_t>(bytes::load_be64(p + bf::base_timestamp_at));
    h.max_timestamp = static_cast<std::int64_t>(bytes::load_be64(p + bf::max_timestamp_at));
    h.producer_id = model::producer_id(static_cast<std::int64_t>(bytes::load_be64(p + bf::producer_id_at)));
    h.producer_epoch = model::producer_epoch(static_cast<std::int16_t>(bytes::load_be16(p + bf::producer_epoch_at)));
    h.base_sequence = static_cast<std::int32_t>(bytes::load_be32(p + bf::base_sequence_at));
    h.record_count = static_cast<std::int32_t>(bytes::load_be32(p + bf::records_count_at));

    if (h.batch_length < bf::min_batch_length) return batch_error::batch_length_too_small;
    if (h.size_bytes() > max_size) return batch_error::batch_length_too_large;
    if ((h.attributes & bf::compression_mask) > static_cast<int>(util::compression_type::zstd)) {
        return batch_error::invalid_compression;
    }
    if (h.last_offset_delta < 0) return batch_error::invalid_last_offset_delta;
    // Compaction may drop records but keeps lastOffsetDelta, so fewer records than offsets is valid.
    if (h.record_count < 0 || h.record_count - 1 > h.last_offset_delta) return batch_error::invalid_record_count;
    return h;
}

util::result<record_batch_header, batch_error> validate(bytes::bytes_view data, std::size_t max_size) {
    auto h = parse_header(data, max_size);
    if (!h) return h;
    if (data.size() < h->size_bytes()) return batch_error::truncated;
    const bytes::bytes_view batch = data.first(h->size_bytes());
    if (compute_crc(batch) != h->crc) return batch_error::crc_mismatch;
    if (h->compression() == util::compression_type::none &&
        static_cast<std::size_t>(h->record_count) > (batch.size() - bf::header_size) / bf::min_record_size) {
        return batch_error::invalid_record_count;
    }
    return h;
}

batch_error check_produced_batch(const record_batch_header& h) {
    if (h.record_count == 0 || h.record_count - 1 != h.last_offset_delta) return batch_error::invalid_record_count;
    return batch_error::none;
}

bool batch_iterator::next() {
    if (error_ != batch_error::none) return false;
    position_ = next_position_;
    if (position_ == data_.size()) return false;
    auto h = validate(data_.subspan(position_), max_size_);
    if (!h) {
        error_ = h.error();
        return false;
    }
    header_ = *h;
    next_position_ = position_ + header_.size_bytes();
    return true;
}

std::uint32_t compute_crc(bytes::bytes_view batch) { return util::crc32c(batch.subspan(bf::attributes_at)); }

void set_base_offset(bytes::mutable_bytes_view batch, model::offset base_offset) {
    bytes::store_be64(batch.data() + bf::base_offset_at, static_cast<std::uint64_t>(base_offset.value()));
}

void set_partition_leader_epoch(bytes::mutable_bytes_view batch, model::leader_epoch epoch) {
    bytes::store_be32(batch.data() + bf::partition_leader_epoch_at, static_cast<std::uint32_t>(epoch.value()));
}

void set_log_append_time(bytes::mutable_bytes_view batch, std::int64_t timestamp) {
    auto attributes = static_cast<std::uint16_t>(bytes::load_be16(batch.data() + bf::attributes_at) |
                                                 bf::timestamp_type_bit);
    bytes::store_be16(batch.data() + bf::attributes_at, attributes);
    bytes::store_be64(batch.data() + bf::max_timestamp_at, static_cast<std::uint64_t>(timestamp));
    bytes::store_be32(batch.data() + bf::crc_at, compute_crc(batch));
}

}  // namespace tributary::protocol
