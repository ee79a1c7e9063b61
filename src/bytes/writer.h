// An append-only encoder that builds a chain of fragments.
//
// Small writes are copied into owned chunks. write_external() appends a large borrowed span (record
// batches read from a segment, or received in a request) as its own fragment without copying it; the
// span must stay valid while the writer or its fragments are in use, which the caller ensures by keeping
// the owner alive (see `keepalive`). fragments() gives the chain for a gathered write (writev).
//
// Fixed-width slots can be reserved and patched later (reserve_int32 / patch_int32), which is how frame
// and batch length prefixes are filled in after the body is known.
//
// write_file_region() appends a region of an open file (bytes::file_region) that the connection sends
// with sendfile(2) instead of copying it; a writer holding one has file pieces (pieces() lists them,
// fragments() must not be used).
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "bytes/bytes.h"
#include "bytes/file_region.h"

namespace tributary::bytes {

class writer {
public:
    // Borrowed spans shorter than this are copied: a fragment costs an iovec entry.
    static constexpr std::size_t external_threshold = 512;
    static constexpr std::size_t initial_chunk_capacity = 256;

    writer() { chunks_.emplace_back(); }

    std::size_t size() const { return size_; }

    void write_int8(std::int8_t v) { write_uint8(static_cast<std::uint8_t>(v)); }
    void write_uint8(std::uint8_t v) {
        tail().push_back(v);
        size_ += 1;
    }
    void write_int16(std::int16_t v) { write_uint16(static_cast<std::uint16_t>(v)); }
    void write_uint16(std::uint16_t v) {
        byte b[2];
        store_be16(b, v);
        append(b, 2);
    }
    void write_int32(std::int32_t v) { write_uint32(static_cast<std::uint32_t>(v)); }
    void write_uint32(std::uint32_t v) {
        byte b[4];
        store_be32(b, v);
        append(b, 4);
    }
    void write_int64(std::int64_t v) { write_uint64(static_cast<std::uint64_t>(v)); }
    void write_uint64(std::uint64_t v) {
        byte b[8];
        store_be64(b, v);
        append(b, 8);
    }
    void write_float64(double v) { write_uint64(std::bit_cast<std::uint64_t>(v)); }
    void write_bool(bool v) { write_uint8(v ? 1 : 0); }

    void write_uvarint(std::uint32_t v) { write_uvarlong(v); }
    void write_uvarlong(std::uint64_t v) {
        byte b[10];
        std::size_t n = 0;
        while (v >= 0x80) {
            b[n++] = static_cast<byte>(v | 0x80);
            v >>= 7;
        }
        b[n++] = static_cast<byte>(v);
        append(b, n);
    }
    void write_varint(std::int32_t v) { write_uvarint(zigzag32(v)); }
    void write_varlong(std::int64_t v) { write_uvarlong(zigzag64(v)); }

    void write_bytes(bytes_view v) { append(v.data(), v.size()); }
    void write_chars(std::string_view s) { write_bytes(as_bytes(s)); }

    // Appends `v` without copying when it is large enough to be worth a fragment.
    // REQUIRES: the bytes of v stay valid as long as this writer's fragments are used; `keepalive`
    // (which may be null when the caller guarantees that otherwise) is held until then.
    void write_external(bytes_view v, std::shared_ptr<const void> keepalive = nullptr) {
        if (v.size() < external_threshold) {
            write_bytes(v);
            return;
        }
        chunks_.push_back(chunk{{}, v, std::move(keepalive), {}});
        chunks_.emplace_back();
        size_ += v.size();
    }

    // Appends a region of a file, sent from the file when the stream is written out (pieces()). The
    // region holds its descriptor open until the writer and its pieces are dropped.
    void write_file_region(file_region region) {
        if (region.size == 0) return;
        size_ += region.size;
        chunks_.push_back(chunk{{}, {}, nullptr, std::move(region)});
        chunks_.emplace_back();
        ++file_regions_;
    }
    bool has_file_regions() const { return file_regions_ > 0; }

    // Reserves 4 bytes to be patched later; returns their stream position.
    std::size_t reserve_int32() {
        std::size_t pos = size_;
        write_uint32(0);
        return pos;
    }
    // REQUIRES: pos was returned by reserve_int32() of this writer.
    void patch_int32(std::size_t pos, std::int32_t v) {
        byte b[4];
        store_be32(b, static_cast<std::uint32_t>(v));
        patch(pos, b, 4);
    }

    // The encoded stream as a list of spans, in order. Valid until the next write.
    // REQUIRES: !has_file_regions() (use pieces()).
    std::vector<bytes_view> fragments() const {
        assert(!has_file_regions());
        std::vector<bytes_view> out;
        out.reserve(chunks_.size());
        for (const auto& c : chunks_) {
            bytes_view v = c.external.empty() ? bytes_view(c.owned) : c.external;
            if (!v.empty()) out.push_back(v);
        }
        return out;
    }

    // One piece of the stream: bytes in memory, or (file != nullptr) a file region.
    struct piece {
        bytes_view memory;
        const file_region* file = nullptr;
        std::size_t size() const { return file != nullptr ? file->size : memory.size(); }
    };
    // The encoded stream as memory spans and file regions, in order. Valid until the next write.
    std::vector<piece> pieces() const {
        std::vector<piece> out;
        out.reserve(chunks_.size());
        for (const auto& c : chunks_) {
            if (c.region.size > 0) {
                out.push_back(piece{{}, &c.region});
                continue;
            }
            bytes_view v = c.external.empty() ? bytes_view(c.owned) : c.external;
            if (!v.empty()) out.push_back(piece{v, nullptr});
        }
        return out;
    }

    // Copies the whole stream into one vector (tests and small messages); file regions are read with
    // pread. Throws std::runtime_error if a file region cannot be read whole.
    byte_vector to_vector() const {
        byte_vector out;
        out.reserve(size_);
        for (const auto& p : pieces()) {
            if (p.file == nullptr) {
                out.insert(out.end(), p.memory.begin(), p.memory.end());
                continue;
            }
            const std::size_t at = out.size();
            out.resize(at + p.file->size);
            if (!read_region(*p.file, out.data() + at)) throw std::runtime_error("file region unreadable");
        }
        return out;
    }

private:
    struct chunk {
        byte_vector owned;
        bytes_view external;  // non-empty iff this chunk borrows instead of owning
        std::shared_ptr<const void> keepalive;
        file_region region;  // non-empty iff this chunk is a file region
    };

    byte_vector& tail() { return chunks_.back().owned; }

    void append(const byte* p, std::size_t n) {
        if (n == 0) return;  // p may be null for an empty span; memcpy must not see it
        auto& t = tail();
        std::size_t old = t.size();
        if (t.capacity() - old < n) t.reserve(std::max({t.capacity() * 2, old + n, initial_chunk_capacity}));
        t.resize(old + n);
        std::memcpy(t.data() + old, p, n);
        size_ += n;
    }

    // Slots never straddle chunks: a reserved slot is written by one append() into one owned chunk.
    void patch(std::size_t pos, const byte* p, std::size_t n) {
        std::size_t start = 0;
        for (auto& c : chunks_) {
            std::size_t len = c.region.size > 0 ? c.region.size : c.external.empty() ? c.owned.size() : c.external.size();
            if (pos < start + len) {
                assert(c.external.empty() && c.region.size == 0 && pos - start + n <= len);
                std::memcpy(c.owned.data() + (pos - start), p, n);
                return;
            }
            start += len;
        }
        assert(false && "patch position outside the stream");
    }

    std::vector<chunk> chunks_;
    std::size_t size_ = 0;
    std::size_t file_regions_ = 0;
};

}  // namespace tributary::bytes
