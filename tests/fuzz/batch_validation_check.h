// The check of batch_validation_fuzz, also replayed by tests/unit/storage/fuzz_regressions_test.cc: the
// records of one partition of a Produce request through the produce path's validation
// (protocol::validate_produced_records, Produce v3 and v13), which decodes every record, decompressing
// the batch, as Kafka's LogValidator does.
// The input is the batch as a client sends it; it is checked twice, as given and with base offset 0 and
// its CRC32C recomputed, so that mutations get past the CRC into the header rules, the codecs and the
// record decoder. Must never crash, read out of bounds or hit undefined behaviour; a batch that passes must be
// one whole batch with a valid CRC that decodes to exactly recordsCount records.
// Seeds: tests/fixtures/batches/*.bin and the batches inside captured Produce requests (seed_corpus.py).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "bytes/bytes.h"
#include "protocol/produce_validation.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_reader.h"

namespace tributary::fuzz {

namespace batch_validation_detail {

namespace bf = tributary::protocol::batch_format;
using tributary::protocol::batch_error;

inline void check(tributary::bytes::bytes_view data, tributary::protocol::record_reader& reader) {
    // Exactly what the Produce handler runs on a partition's records (Kafka's validateRecords,
    // analyzeAndValidateRecords and LogValidator: framing, CRC, counts, then every record decompressed).
    const tributary::protocol::produce_limits limits;
    constexpr std::int64_t now_ms = 1'700'000'000'000;
    for (const std::int16_t version : {std::int16_t{3}, std::int16_t{13}}) {
        const auto v = tributary::protocol::validate_produced_records(data, version, limits, now_ms, reader);
        if (!v.ok()) continue;
        // Accepted: it must be one whole batch with an intact CRC, and decode to exactly recordsCount
        // records, as the log and every consumer will read it.
        auto valid = tributary::protocol::validate(data);
        if (!valid || valid->size_bytes() != data.size()) std::abort();
        if (reader.open(data) != batch_error::none) std::abort();
        std::int64_t records = 0;
        while (reader.next()) {
            for (const auto& h : reader.record().headers) (void)h.key.size();
            ++records;
        }
        if (reader.error() != batch_error::none || records != valid->record_count) std::abort();
    }
    // The reader over any batch with an intact CRC, whatever its base offset, as reads of stored
    // batches use it (ListOffsets by timestamp, producer-state replay of control batches).
    auto valid = tributary::protocol::validate(data);
    if (!valid || reader.open(data.first(valid->size_bytes())) != batch_error::none) return;
    while (reader.next()) (void)reader.record().offset;
}

}  // namespace batch_validation_detail

// Checks `input` as given, and with base offset 0 and its CRC recomputed.
inline void check_produced_batch_input(tributary::bytes::bytes_view input) {
    using namespace batch_validation_detail;
    static tributary::protocol::record_reader reader;  // reused, as the broker reuses its scratch reader
    check(input, reader);
    if (input.size() >= bf::header_size) {
        tributary::bytes::byte_vector fixed(input.begin(), input.end());
        tributary::bytes::store_be64(fixed.data() + bf::base_offset_at, 0);  // as producers send it
        auto header = tributary::protocol::parse_header(fixed);
        const std::size_t end = header ? std::min(fixed.size(), header->size_bytes()) : fixed.size();
        const auto crc = tributary::protocol::compute_crc(tributary::bytes::bytes_view(fixed).first(end));
        tributary::bytes::store_be32(fixed.data() + bf::crc_at, crc);
        check(fixed, reader);
    }
}

}  // namespace tributary::fuzz
