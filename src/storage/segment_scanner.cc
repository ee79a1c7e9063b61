#include "storage/segment_scanner.h"

#include <algorithm>

namespace tributary::storage {

namespace bf = protocol::batch_format;
using protocol::batch_error;

bool segment_scanner::ensure(std::uint64_t position, std::size_t n) {
    if (position >= buffer_start_ && position + n <= buffer_start_ + buffer_.size()) return true;
    if (end_ - position < n) {
        error_ = batch_error::truncated;
        return false;
    }
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(n, chunk_size_), end_ - position));
    buffer_.resize(want);
    buffer_start_ = position;
    auto got = file_.pread(buffer_, position);
    if (!got) {
        buffer_.clear();
        io_error_ = got.error();
        return false;
    }
    buffer_.resize(*got);
    if (*got < want) end_ = position + *got;  // the file is shorter than the range we were given
    if (*got < n) {
        error_ = batch_error::truncated;
        return false;
    }
    return true;
}

bool segment_scanner::next() {
    if (error_ != batch_error::none || io_error_ != sys_errno::none) return false;
    position_ = next_position_;
    if (position_ >= end_) return false;
    if (!ensure(position_, bf::header_size)) {
        // Fewer bytes than a header, but maybe the magic already says this is not a batch.
        if (io_error_ == sys_errno::none && position_ + bf::magic_at < buffer_start_ + buffer_.size()) {
            auto h = protocol::parse_header(at(position_));
            if (!h && h.error() != batch_error::truncated) error_ = h.error();
        }
        return false;
    }
    auto h = protocol::parse_header(at(position_));
    if (!h) {
        error_ = h.error();
        return false;
    }
    if (h->size_bytes() > end_ - position_) {
        error_ = batch_error::truncated;
        return false;
    }
    if (mode_ == mode::validate) {
        if (!ensure(position_, h->size_bytes())) return false;
        auto v = protocol::validate(at(position_).first(h->size_bytes()));
        if (!v) {
            error_ = v.error();
            return false;
        }
    }
    header_ = *h;
    next_position_ = position_ + header_.size_bytes();
    return true;
}

bytes::bytes_view segment_scanner::batch() const {
    return at(position_).first(header_.size_bytes());
}

}  // namespace tributary::storage
