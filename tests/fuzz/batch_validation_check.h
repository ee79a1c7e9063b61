// The check of batch_validation_fuzz, also replayed by tests/unit/storage/fuzz_regressions_test.cc: the
// records of one partition of a Produce request through the produce path's batch validation, then
// every record decoded (decompressing the batch) as Kafka's LogValidator does.
// The input is the batch as a client sends it; it is checked twice, as given and with its CRC32C
// recomputed, so that mutations get past the CRC into the header rules, the codecs and the record
// decoder. Must never crash, read out of bounds or hit undefined behaviour; a batch that passes must
// decode to exactly recordsCount records.
// Seeds: tests/data/batches/*.bin and the batches inside captured Produce requests (seed_corpus.py).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "bytes/bytes.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_reader.h"

namespace tributary::fuzz {

namespace batch_validation_detail {

namespace bf = tributary::protocol::batch_format;
using tributary::protocol::batch_error;

inline void check(tributary::bytes::bytes_view data, tributary::protocol::record_reader& reader) {
    auto header = tributary::protocol::parse_header(data);
    if (!header) return;
    auto valid = tributary::protocol::validate(data);
    if (!valid) return;
    if (tributary::protocol::check_produced_batch(*valid) != batch_error::none) return;
    const auto batch = data.first(valid->size_bytes());
    if (reader.open(batch) != batch_error::none) return;
    std::int64_t records = 0;
    while (reader.next()) {
        const auto& r = reader.record();
        for (const auto& h : r.headers) (void)h.key.size();
        ++records;
    }
    // The reader must stop at exactly recordsCount or say why it did not.
    if (reader.error() == batch_error::none && records != valid->record_count) std::abort();
}

}  // namespace batch_validation_detail

// Checks `input` as given and with its CRC recomputed.
inline void check_produced_batch_input(tributary::bytes::bytes_view input) {
    using namespace batch_validation_detail;
    static tributary::protocol::record_reader reader;  // reused, as the broker reuses its scratch reader
    check(input, reader);
    if (input.size() >= bf::header_size) {
        tributary::bytes::byte_vector fixed(input.begin(), input.end());
        auto header = tributary::protocol::parse_header(fixed);
        const std::size_t end = header ? std::min(fixed.size(), header->size_bytes()) : fixed.size();
        const auto crc = tributary::protocol::compute_crc(tributary::bytes::bytes_view(fixed).first(end));
        tributary::bytes::store_be32(fixed.data() + bf::crc_at, crc);
        check(fixed, reader);
    }
}

}  // namespace tributary::fuzz
