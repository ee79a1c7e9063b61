// The records of the metadata log: Kafka's KRaft metadata records (src/protocol/metadata_schemas,
// generated codecs), each framed as Kafka frames them in a record's value:
//
//   frame_version:uvarint(1) record_type:uvarint(apiKey) version:uvarint body
//
// Format and versions: docs/formats/metadata-log.md.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "bytes/bytes.h"
#include "protocol/messages/config_record.h"
#include "protocol/messages/feature_level_record.h"
#include "protocol/messages/no_op_record.h"
#include "protocol/messages/partition_change_record.h"
#include "protocol/messages/partition_record.h"
#include "protocol/messages/producer_ids_record.h"
#include "protocol/messages/remove_topic_record.h"
#include "protocol/messages/topic_record.h"

namespace tributary::cluster {

// The record types Tributary writes or understands. A log holding any other type (a newer Kafka
// feature) does not replay: the broker refuses to start rather than drop metadata.
using metadata_record =
    std::variant<protocol::topic_record, protocol::partition_record, protocol::config_record,
                 protocol::remove_topic_record, protocol::producer_ids_record, protocol::feature_level_record,
                 protocol::partition_change_record, protocol::no_op_record>;

inline constexpr std::uint32_t metadata_frame_version = 1;

// The feature record every new log starts with; replay refuses a level above the one it knows.
inline constexpr std::string_view metadata_format_feature = "tributary.metadata.format";
inline constexpr std::int16_t metadata_format_level = 1;

// Appends the framed record to `out`, at the version Tributary writes for its type (the newest
// version whose fields we fill; PartitionRecord v0 since we keep no log directory ids).
void encode_metadata_record(const metadata_record& record, bytes::byte_vector& out);

struct decoded_record {
    metadata_record record;
    std::int16_t version = 0;
};

// Decodes one framed record. On failure returns false and a reason in `error`; bytes after the
// body are an error, as in Kafka.
bool decode_metadata_record(bytes::bytes_view data, decoded_record& out, std::string& error);

std::string_view record_name(const metadata_record& record);  // "TopicRecord", ...

}  // namespace tributary::cluster
