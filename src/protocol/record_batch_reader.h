// Reads the records of one batch: decompresses them if needed (into a buffer the reader reuses from
// batch to batch) and decodes each record into views, with offsets, timestamps and sequences made
// absolute. Every read is bounds-checked; hostile input ends in batch_error::invalid_record, never in a
// read outside the batch or the buffer.
//
//   record_reader reader;
//   if (auto e = reader.open(batch); e != batch_error::none) return e;
//   while (reader.next()) use(reader.record());
//   if (reader.error() != batch_error::none) return reader.error();
//
// Not thread-safe: one reader per thread (or per use).
#pragma once

#include <iterator>
#include <optional>

#include "bytes/reader.h"
#include "protocol/record_batch.h"

namespace tributary::protocol {

// A record header. Kafka forbids a null header key; the value may be null (nullopt).
struct record_header {
    std::string_view key;
    std::optional<bytes::bytes_view> value;
};

// The headers of one record, decoded lazily from bytes the reader has already checked.
class record_headers {
public:
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = record_header;
        using difference_type = std::ptrdiff_t;
        using pointer = const record_header*;
        using reference = const record_header&;

        iterator() = default;
        const record_header& operator*() const { return current_; }
        const record_header* operator->() const { return &current_; }
        iterator& operator++() {
            advance();
            return *this;
        }
        bool operator==(const iterator& o) const { return left_ == o.left_; }

    private:
        friend class record_headers;
        iterator(bytes::bytes_view data, std::int32_t count) : in_(data), left_(count + 1) { advance(); }
        void advance();

        bytes::reader in_;
        std::int32_t left_ = 0;  // headers not yet returned, plus one while current_ is valid
        record_header current_{};
    };

    record_headers() = default;
    record_headers(bytes::bytes_view data, std::int32_t count) : data_(data), count_(count) {}

    std::int32_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    iterator begin() const { return iterator(data_, count_); }
    iterator end() const { return iterator(); }

private:
    bytes::bytes_view data_;  // the encoded headers, already validated
    std::int32_t count_ = 0;
};

// One record, as views into the batch or into the reader's decompression buffer; valid until the
// reader's next open().
struct record {
    std::int8_t attributes = 0;  // unused by Kafka so far; kept as sent
    std::int64_t timestamp_delta = 0;
    std::int32_t offset_delta = 0;
    model::offset offset{0};     // base offset + offset delta
    // base timestamp + delta, or the batch's maxTimestamp for LogAppendTime batches (as Kafka reports it).
    std::int64_t timestamp = 0;
    std::int32_t sequence = -1;  // base sequence + offset delta (wrapping), -1 without a producer sequence
    std::optional<bytes::bytes_view> key;
    std::optional<bytes::bytes_view> value;
    record_headers headers;
};

class record_reader {
public:
    // Records that decompress to more than this fail with decompressed_too_large.
    static constexpr std::size_t default_max_decompressed_size = 128 << 20;

    explicit record_reader(std::size_t max_decompressed_size = default_max_decompressed_size)
        : max_decompressed_size_(max_decompressed_size) {}

    // Starts on `batch`, one whole batch (as batch_iterator::batch() gives it). Parses the header and
    // decompresses the records; does not verify the CRC (validate() does). REQUIRES: `batch` stays valid
    // while its records are used.
    batch_error open(bytes::bytes_view batch);

    // Decodes the next record. False after the last one (error() == none), or at the first malformed
    // record, or when the records end before recordsCount or continue after it (invalid_record).
    bool next();

    const record_batch_header& header() const { return header_; }
    // REQUIRES: the last next() returned true.
    const protocol::record& record() const { return record_; }
    batch_error error() const { return error_; }

private:
    bool fail(batch_error e) {
        error_ = e;
        return false;
    }

    std::size_t max_decompressed_size_;
    bytes::byte_vector buffer_;  // decompressed records, reused across batches
    bytes::reader records_;
    record_batch_header header_{};
    std::int32_t remaining_ = 0;
    protocol::record record_{};
    batch_error error_ = batch_error::none;
};

}  // namespace tributary::protocol
