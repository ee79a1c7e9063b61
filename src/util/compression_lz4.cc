// LZ4 frames (liblz4's LZ4F API).
#include <lz4frame.h>

#include <memory>

#include "util/compression_internal.h"

namespace tributary::util::detail {
namespace {

struct dctx_deleter {
    void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

// One decompression context per thread, reset before each use (creating one allocates).
LZ4F_dctx* thread_dctx() {
    thread_local std::unique_ptr<LZ4F_dctx, dctx_deleter> ctx = [] {
        LZ4F_dctx* d = nullptr;
        if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) d = nullptr;
        return std::unique_ptr<LZ4F_dctx, dctx_deleter>(d);
    }();
    if (ctx) LZ4F_resetDecompressionContext(ctx.get());
    return ctx.get();
}

}  // namespace

compression_error lz4_compress(bytes::bytes_view input, bytes::byte_vector& out, int level) {
    // What Java's Lz4BlockOutputStream writes: 64 KiB independent blocks, no checksums, no content size.
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    prefs.compressionLevel = level == default_compression_level ? 0 : level;
    const std::size_t base = out.size();
    const std::size_t bound = LZ4F_compressFrameBound(input.size(), &prefs);
    out.resize(base + bound);
    std::size_t n = LZ4F_compressFrame(out.data() + base, bound, input.data(), input.size(), &prefs);
    if (LZ4F_isError(n)) return compression_error::codec_failure;
    out.resize(base + n);
    return compression_error::none;
}

compression_error lz4_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size) {
    if (input.empty()) return compression_error::corrupt_input;
    LZ4F_dctx* d = thread_dctx();
    if (d == nullptr) return compression_error::codec_failure;
    bounded_output o(out, max_size, input.size() * 4);
    const bytes::byte* in = input.data();
    std::size_t in_left = input.size();
    for (;;) {
        std::size_t space = o.space_size();
        if (space == 0) return compression_error::too_large;
        std::size_t dst = space;
        std::size_t src = in_left;
        std::size_t rc = LZ4F_decompress(d, o.space_data(), &dst, in, &src, nullptr);
        if (LZ4F_isError(rc)) return compression_error::corrupt_input;
        in += src;
        in_left -= src;
        o.commit(dst);
        if (o.over_limit()) return compression_error::too_large;
        if (rc == 0) {  // a frame ended; the context is ready for the next one
            if (in_left == 0) break;
            continue;
        }
        if (in_left == 0 && dst < space) return compression_error::corrupt_input;  // input ended mid-frame
    }
    o.finish();
    return compression_error::none;
}

}  // namespace tributary::util::detail
