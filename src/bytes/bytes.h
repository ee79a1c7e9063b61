// Byte spans and the encoding rules every codec in Tributary shares.
//
// Endianness: every fixed-width integer on the Kafka wire and in our on-disk formats is big-endian
// (network order). Variable-length integers follow Kafka (and protobuf): unsigned varints are base-128,
// least significant group first, high bit = "more follows"; signed varints are zig-zag encoded first.
// Bytes are shifted explicitly, never memcpy'd out of a struct, so the code does not depend on host order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace tributary::bytes {

using byte = std::uint8_t;
using bytes_view = std::span<const byte>;
using mutable_bytes_view = std::span<byte>;
using byte_vector = std::vector<byte>;

// A fixed-size owned byte array whose contents start unspecified: no zero-fill, for memory that is
// overwritten at once (a request frame read from the socket). Unlike byte_vector(n), constructing one
// costs no memset. A contiguous range, so it converts to bytes_view and mutable_bytes_view.
class uninit_buffer {
public:
    explicit uninit_buffer(std::size_t size) : data_(std::make_unique_for_overwrite<byte[]>(size)), size_(size) {}

    byte* data() { return data_.get(); }
    const byte* data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    byte* begin() { return data_.get(); }
    byte* end() { return data_.get() + size_; }
    const byte* begin() const { return data_.get(); }
    const byte* end() const { return data_.get() + size_; }

private:
    std::unique_ptr<byte[]> data_;
    std::size_t size_;
};

inline bytes_view as_bytes(std::string_view s) {
    return {reinterpret_cast<const byte*>(s.data()), s.size()};
}
inline std::string_view as_chars(bytes_view b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Big-endian loads and stores. REQUIRES: p points at >= sizeof(T) readable/writable bytes.
inline std::uint16_t load_be16(const byte* p) {
    return static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]);
}
inline std::uint32_t load_be32(const byte* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
inline std::uint64_t load_be64(const byte* p) {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
inline void store_be16(byte* p, std::uint16_t v) {
    p[0] = static_cast<byte>(v >> 8);
    p[1] = static_cast<byte>(v);
}
inline void store_be32(byte* p, std::uint32_t v) {
    p[0] = static_cast<byte>(v >> 24);
    p[1] = static_cast<byte>(v >> 16);
    p[2] = static_cast<byte>(v >> 8);
    p[3] = static_cast<byte>(v);
}
inline void store_be64(byte* p, std::uint64_t v) {
    store_be32(p, static_cast<std::uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<std::uint32_t>(v));
}

// Zig-zag mapping of signed integers for varint/varlong (Kafka's ByteUtils).
inline std::uint32_t zigzag32(std::int32_t v) {
    return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}
inline std::int32_t unzigzag32(std::uint32_t v) {
    return static_cast<std::int32_t>((v >> 1) ^ (~(v & 1) + 1));
}
inline std::uint64_t zigzag64(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag64(std::uint64_t v) {
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Number of bytes the unsigned varint encoding of v takes (1..5 for 32 bits, 1..10 for 64 bits).
inline std::size_t uvarint_size(std::uint64_t v) {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}
inline std::size_t varint_size(std::int32_t v) { return uvarint_size(zigzag32(v)); }
inline std::size_t varlong_size(std::int64_t v) { return uvarint_size(zigzag64(v)); }

}  // namespace tributary::bytes
