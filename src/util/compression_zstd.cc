// zstd frames. Decoding streams, because producers (zstd-jni's ZstdOutputStream) may omit the content
// size from the frame header.
#include <zstd.h>
#include <zstd_errors.h>

#include <memory>

#include "util/compression_internal.h"

namespace tributary::util::detail {
namespace {

// A context that grew beyond this (a frame with a large window) is freed after use instead of being
// kept for the thread's lifetime, so one hostile frame cannot pin memory on every thread.
constexpr std::size_t max_retained_context_bytes = 16 << 20;

struct cctx_deleter {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct dctx_deleter {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

thread_local std::unique_ptr<ZSTD_CCtx, cctx_deleter> compress_ctx;
thread_local std::unique_ptr<ZSTD_DCtx, dctx_deleter> decompress_ctx;

compression_error decompress_with(ZSTD_DCtx* d, bytes::bytes_view input, bytes::byte_vector& out,
                                  std::size_t max_size) {
    std::size_t hint = input.size() * 4;
    unsigned long long content = ZSTD_getFrameContentSize(input.data(), input.size());
    if (content == ZSTD_CONTENTSIZE_ERROR) return compression_error::corrupt_input;
    if (content != ZSTD_CONTENTSIZE_UNKNOWN) {
        if (content > max_size) return compression_error::too_large;
        hint = output_size_hint(static_cast<std::size_t>(content), input.size());
    }
    bounded_output o(out, max_size, hint);
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
        std::size_t space = o.space_size();
        if (space == 0) return compression_error::too_large;
        ZSTD_outBuffer ob{o.space_data(), space, 0};
        std::size_t rc = ZSTD_decompressStream(d, &ob, &in);
        if (ZSTD_isError(rc)) {
            return ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation ? compression_error::codec_failure
                                                                         : compression_error::corrupt_input;
        }
        o.commit(ob.pos);
        if (o.over_limit()) return compression_error::too_large;
        if (rc == 0 && in.pos == in.size) break;  // last frame decoded and flushed
        if (in.pos == in.size && ob.pos < ob.size) return compression_error::corrupt_input;  // truncated
    }
    o.finish();
    return compression_error::none;
}

}  // namespace

compression_error zstd_compress(bytes::bytes_view input, bytes::byte_vector& out, int level) {
    if (!compress_ctx) compress_ctx.reset(ZSTD_createCCtx());
    if (!compress_ctx) return compression_error::codec_failure;
    const int zlevel = level == default_compression_level ? ZSTD_CLEVEL_DEFAULT : level;
    const std::size_t base = out.size();
    const std::size_t bound = ZSTD_compressBound(input.size());
    out.resize(base + bound);
    std::size_t n = ZSTD_compressCCtx(compress_ctx.get(), out.data() + base, bound, input.data(), input.size(),
                                      zlevel);
    if (ZSTD_isError(n)) return compression_error::codec_failure;
    out.resize(base + n);
    if (ZSTD_sizeof_CCtx(compress_ctx.get()) > max_retained_context_bytes) compress_ctx.reset();
    return compression_error::none;
}

compression_error zstd_decompress(bytes::bytes_view input, bytes::byte_vector& out, std::size_t max_size) {
    if (input.empty()) return compression_error::corrupt_input;
    if (!decompress_ctx) decompress_ctx.reset(ZSTD_createDCtx());
    if (!decompress_ctx) return compression_error::codec_failure;
    ZSTD_DCtx_reset(decompress_ctx.get(), ZSTD_reset_session_only);
    compression_error e = decompress_with(decompress_ctx.get(), input, out, max_size);
    if (ZSTD_sizeof_DCtx(decompress_ctx.get()) > max_retained_context_bytes) decompress_ctx.reset();
    return e;
}

}  // namespace tributary::util::detail
