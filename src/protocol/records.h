// The `records` field type of the Kafka protocol (Produce, Fetch, ShareFetch, FetchSnapshot): the bytes
// of one or more record batches, kept as a view so that a broker never copies or re-encodes batches it
// only stores and serves.
//
// Decoding a message points `data()` into the decoded buffer: the caller keeps that buffer alive for as
// long as the message is used (the server's request coroutine owns the frame). Set a keepalive (e.g. the
// frame's shared_ptr, or a segment read buffer) when the records must outlive that scope; encoding passes
// it to bytes::writer::write_external so a response can reference file-read bytes without copying.
//
// A records value is either null (the protocol's -1 length), a byte span (possibly empty), or a region
// of a segment file (from_file): a Fetch response served with sendfile, whose bytes are never in memory
// (data() is then empty; size_bytes() is the region's size). Equality compares nullness and contents
// (for file regions, the region itself), never the keepalive.
#pragma once

#include <algorithm>
#include <memory>
#include <utility>

#include "bytes/bytes.h"
#include "bytes/file_region.h"

namespace tributary::protocol {

class records {
public:
    // Null, as Kafka's default for a records field.
    records() = default;

    static records null() { return records(); }
    // A borrowed view. REQUIRES: `data` stays valid while this value (or a writer it was encoded into) is
    // used; `keepalive`, if given, is held until then.
    static records borrowed(bytes::bytes_view data, std::shared_ptr<const void> keepalive = nullptr) {
        records r;
        r.null_ = false;
        r.data_ = data;
        r.keepalive_ = std::move(keepalive);
        return r;
    }
    // Takes ownership of `data` (tests, and responses built in memory).
    static records owned(bytes::byte_vector data) {
        auto holder = std::make_shared<const bytes::byte_vector>(std::move(data));
        return borrowed(bytes::bytes_view(*holder), holder);
    }

    // Bytes of an open file, encoded as a file piece (bytes::writer::write_file_region).
    static records from_file(bytes::file_region region) {
        records r;
        r.null_ = false;
        r.region_ = std::move(region);
        return r;
    }

    bool is_null() const { return null_; }
    // Empty when null or a file region.
    bytes::bytes_view data() const { return data_; }
    bool is_file() const { return region_.size > 0; }
    const bytes::file_region& file() const { return region_; }
    std::size_t size_bytes() const { return is_file() ? region_.size : data_.size(); }
    const std::shared_ptr<const void>& keepalive() const { return keepalive_; }
    void set_keepalive(std::shared_ptr<const void> keepalive) { keepalive_ = std::move(keepalive); }

    bool operator==(const records& other) const {
        return null_ == other.null_ && region_ == other.region_ && std::ranges::equal(data_, other.data_);
    }

private:
    bytes::bytes_view data_{};
    std::shared_ptr<const void> keepalive_{};
    bytes::file_region region_{};
    bool null_ = true;
};

}  // namespace tributary::protocol
