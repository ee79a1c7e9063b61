// A bounds-checked cursor over a byte span.
//
// Errors are sticky: the first failed read records a decode_error, every later read returns zero (or an
// empty view) and consumes nothing, and remaining() becomes 0. Callers therefore check ok() once after a
// group of reads instead of after each one. No read ever touches memory outside the span.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

#include "bytes/bytes.h"

namespace tributary::bytes {

enum class decode_error : std::uint8_t {
    none = 0,
    short_buffer,       // fewer bytes than a field needs
    bad_varint,         // a varint longer than its type allows
    negative_length,    // a length below -1, or -1 where null is not allowed
    length_too_large,   // a length or count larger than the bytes that remain
    unsupported_version,
    invalid_value,      // a value the schema forbids (e.g. a nullable-struct marker other than -1/1)
    trailing_bytes,     // bytes left over after a complete message
};

std::string_view to_string(decode_error e);

class reader {
public:
    reader() = default;
    explicit reader(bytes_view data) : data_(data) {}

    bool ok() const { return error_ == decode_error::none; }
    decode_error error() const { return error_; }
    std::size_t position() const { return pos_; }
    std::size_t remaining() const { return ok() ? data_.size() - pos_ : 0; }
    bool at_end() const { return remaining() == 0; }
    bytes_view rest() const { return ok() ? data_.subspan(pos_) : bytes_view{}; }

    // Records the first error only; later reads return zero.
    void fail(decode_error e) {
        if (error_ == decode_error::none) error_ = e;
    }

    std::int8_t read_int8() { return static_cast<std::int8_t>(read_uint8()); }
    std::uint8_t read_uint8() {
        if (!need(1)) return 0;
        return data_[pos_++];
    }
    std::int16_t read_int16() { return static_cast<std::int16_t>(read_uint16()); }
    std::uint16_t read_uint16() {
        if (!need(2)) return 0;
        auto v = load_be16(data_.data() + pos_);
        pos_ += 2;
        return v;
    }
    std::int32_t read_int32() { return static_cast<std::int32_t>(read_uint32()); }
    std::uint32_t read_uint32() {
        if (!need(4)) return 0;
        auto v = load_be32(data_.data() + pos_);
        pos_ += 4;
        return v;
    }
    std::int64_t read_int64() { return static_cast<std::int64_t>(read_uint64()); }
    std::uint64_t read_uint64() {
        if (!need(8)) return 0;
        auto v = load_be64(data_.data() + pos_);
        pos_ += 8;
        return v;
    }
    double read_float64() { return std::bit_cast<double>(read_uint64()); }
    bool read_bool() { return read_uint8() != 0; }

    // Unsigned varint of at most 5 bytes (fits 32 bits), as Kafka's ByteUtils.readUnsignedVarint.
    std::uint32_t read_uvarint() {
        std::uint32_t value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (!need(1)) return 0;
            byte b = data_[pos_++];
            value |= std::uint32_t(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        fail(decode_error::bad_varint);
        return 0;
    }
    // Unsigned varint of at most 10 bytes (64 bits).
    std::uint64_t read_uvarlong() {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (!need(1)) return 0;
            byte b = data_[pos_++];
            value |= std::uint64_t(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        fail(decode_error::bad_varint);
        return 0;
    }
    std::int32_t read_varint() { return unzigzag32(read_uvarint()); }
    std::int64_t read_varlong() { return unzigzag64(read_uvarlong()); }

    // A view of the next n bytes, without copying. Empty view and short_buffer if fewer remain.
    bytes_view read_view(std::size_t n) {
        if (!need(n)) return {};
        auto v = data_.subspan(pos_, n);
        pos_ += n;
        return v;
    }
    void skip(std::size_t n) { (void)read_view(n); }

    // Checks that `count` elements of at least `min_element_size` bytes each can still follow.
    // Guards every array allocation: a hostile count cannot make us reserve more than the frame holds.
    bool check_count(std::uint64_t count, std::size_t min_element_size = 1) {
        if (!ok()) return false;
        if (min_element_size == 0) min_element_size = 1;
        if (count > remaining() / min_element_size) {
            fail(decode_error::length_too_large);
            return false;
        }
        return true;
    }

private:
    bool need(std::size_t n) {
        if (!ok()) return false;
        if (data_.size() - pos_ < n) {
            fail(decode_error::short_buffer);
            return false;
        }
        return true;
    }

    bytes_view data_{};
    std::size_t pos_ = 0;
    decode_error error_ = decode_error::none;
};

}  // namespace tributary::bytes
