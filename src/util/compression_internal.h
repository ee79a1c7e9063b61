// Shared by the per-codec files (compression_<codec>.cc); not part of the public API.
#pragma once

#include "util/compression.h"

namespace tributary::util::detail {

// Each REQUIRES a valid level (default_compression_level or in the codec's range) and may leave partial
// output in `out` on error: compress()/decompress() roll it back.
compression_error gzip_compress(bytes::bytes_view input, bytes::byte_vector& out, int level);
compression_error gzip_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size);
compression_error snappy_compress(bytes::bytes_view input, bytes::byte_vector& out);
compression_error snappy_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size);
compression_error lz4_compress(bytes::bytes_view input, bytes::byte_vector& out, int level);
compression_error lz4_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size);
compression_error zstd_compress(bytes::bytes_view input, bytes::byte_vector& out, int level);
compression_error zstd_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size);

// A first allocation for a stream's output: the size its header claims, believed only up to a ratio
// real data reaches, so a forged size costs no large allocation before the data proves it.
inline std::size_t output_size_hint(std::size_t claimed, std::size_t input_size) {
    const std::size_t believable = input_size * 64 + 65536;
    return claimed < believable ? claimed : believable;
}

// An output window for streaming decoders that appends to `out` and never lets it grow more than
// max_size + 1 bytes past its initial size (the extra byte is how "more than max_size" is detected).
class bounded_output {
public:
    // size_hint: the expected output size, used for the first allocation (clamped to the limit).
    bounded_output(bytes::byte_vector& out, std::size_t max_size, std::size_t size_hint)
        : out_(out), base_(out.size()), max_size_(max_size) {
        limit_ = max_size == std::numeric_limits<std::size_t>::max() ? max_size : max_size + 1;
        grow(size_hint < 4096 ? 4096 : size_hint);
    }

    // Free space after the bytes written so far; empty iff the limit is reached.
    bytes::byte* space_data() { return out_.data() + base_ + written_; }
    std::size_t space_size() {
        if (base_ + written_ == out_.size()) grow(2 * written_);
        return out_.size() - base_ - written_;
    }
    void commit(std::size_t n) { written_ += n; }
    bool over_limit() const { return written_ > max_size_; }
    std::size_t written() const { return written_; }
    // Trims the unused space. REQUIRES: !over_limit().
    void finish() { out_.resize(base_ + written_); }

private:
    void grow(std::size_t want) {
        std::size_t current = out_.size() - base_;
        std::size_t target = want < current + 4096 ? current + 4096 : want;
        if (target > limit_) target = limit_;
        if (target > current) out_.resize(base_ + target);
    }

    bytes::byte_vector& out_;
    std::size_t base_;
    std::size_t max_size_;
    std::size_t limit_;
    std::size_t written_ = 0;
};

}  // namespace tributary::util::detail
