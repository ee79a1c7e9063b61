// Reads the batches of a segment file in order, in large chunks (the reader half of a segment; the
// writer is log::append). Used on the disk executor by recovery, index rebuilds, producer-state replay
// and reads. Two modes:
//   headers - parse each batch header and skip the body (no CRC): for positions and offsets in a log
//             that recovery has already validated;
//   validate - every batch whole and checked with protocol::validate (framing + CRC32C): for recovery.
//
//   segment_scanner s(file, start, end, segment_scanner::mode::validate);
//   while (s.next()) use(s.position(), s.header(), s.batch());
//   if (s.io_error() != sys_errno::none) ...           // the disk failed
//   else if (s.error() != batch_error::none) ...       // an invalid batch starts at s.position()
//
// A batch whose declared length runs past `end` (or past the end of the file) is `truncated`: the writer
// died in the middle of it. REQUIRES: the file outlives the scanner; views are valid until next().
#pragma once

#include <cstdint>

#include "protocol/record_batch.h"
#include "storage/file_io.h"

namespace tributary::storage {

class segment_scanner {
public:
    enum class mode : std::uint8_t { headers, validate };
    static constexpr std::size_t default_chunk_size = 1 << 20;

    segment_scanner(file& f, std::uint64_t start, std::uint64_t end, mode m,
                    std::size_t chunk_size = default_chunk_size)
        : file_(f), end_(end), mode_(m), chunk_size_(chunk_size), next_position_(start), position_(start) {}

    bool next();

    // REQUIRES: the last next() returned true.
    const protocol::record_batch_header& header() const { return header_; }
    // REQUIRES: mode::validate and the last next() returned true.
    bytes::bytes_view batch() const;

    // The current batch's position; after next() returned false, where the valid batches end.
    std::uint64_t position() const { return position_; }
    protocol::batch_error error() const { return error_; }
    sys_errno io_error() const { return io_error_; }

private:
    // Makes [position, position + n) available in buffer_. False (with error_/io_error_ set) if the file
    // or the scan range ends first.
    bool ensure(std::uint64_t position, std::size_t n);
    bytes::bytes_view at(std::uint64_t position) const {
        return bytes::bytes_view(buffer_).subspan(static_cast<std::size_t>(position - buffer_start_));
    }

    file& file_;
    std::uint64_t end_;
    mode mode_;
    std::size_t chunk_size_;
    std::uint64_t next_position_;
    std::uint64_t position_;
    bytes::byte_vector buffer_;
    std::uint64_t buffer_start_ = 0;
    protocol::record_batch_header header_{};
    protocol::batch_error error_ = protocol::batch_error::none;
    sys_errno io_error_ = sys_errno::none;
};

}  // namespace tributary::storage
