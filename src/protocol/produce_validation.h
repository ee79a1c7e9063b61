// The checks a broker makes on the records of one partition in a Produce request before appending
// them: Kafka's ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords and LogValidator,
// in that order, with their error codes. Walks every record (decompressing if needed) but allocates only
// in the reader's reused buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bytes/bytes.h"
#include "model/error_code.h"
#include "protocol/record_batch.h"

namespace tributary::protocol {

class record_reader;

// The topic's settings that validation uses.
struct produce_limits {
    std::int32_t max_message_bytes = 1048588;  // max.message.bytes
    protocol::timestamp_type timestamp_type = protocol::timestamp_type::create_time;  // message.timestamp.type
    std::int64_t timestamp_before_max_ms = std::numeric_limits<std::int64_t>::max();  // message.timestamp.before.max.ms
    std::int64_t timestamp_after_max_ms = 3600000;  // message.timestamp.after.max.ms
    bool compacted = false;  // cleanup.policy includes "compact": every record needs a key
};

// A rejected record (Produce v8+ record_errors): its index in the batch and why.
struct record_error {
    std::int32_t batch_index = 0;
    std::string message;
};

struct produce_validation {
    model::error_code error = model::error_code::none;
    std::optional<std::string> message;
    std::vector<record_error> record_errors;

    bool ok() const { return error == model::error_code::none; }
};

// Validates `data`, the records of one partition in a Produce request of `version` (>= 3), at wall
// clock `now_ms`:
//   - exactly one magic v2 batch (INVALID_RECORD; CORRUPT_MESSAGE for a magic no format has or a size
//     below any header), zstd only from v7 (UNSUPPORTED_COMPRESSION_TYPE);
//   - baseOffset 0 (INVALID_RECORD), at most max.message.bytes (MESSAGE_TOO_LARGE), an intact CRC and a
//     whole header (CORRUPT_MESSAGE);
//   - a record for every offset, no control batch, a sequence when there is a producer id
//     (INVALID_RECORD);
//   - every record decodes, the records are exactly recordsCount with offset deltas 0, 1, 2, ...
//     (INVALID_RECORD), and with CreateTime their timestamps lie within
//     [now - timestamp_before_max_ms, now + timestamp_after_max_ms] (INVALID_TIMESTAMP, per record);
//   - in a compacted topic every record has a key (INVALID_RECORD, per record, as Kafka's
//     LogValidator.validateKey).
// Transactional batches pass here; the caller decides about them. `reader` is scratch space.
produce_validation validate_produced_records(bytes::bytes_view data, std::int16_t version, const produce_limits& limits,
                                             std::int64_t now_ms, record_reader& reader);

}  // namespace tributary::protocol
