#include "cluster/metadata_log.h"

#include <chrono>

#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_batch_reader.h"

namespace tributary::cluster {
namespace {
constexpr std::size_t replay_read_bytes = 1 << 20;
}  // namespace

model::uuid metadata_topic_id() {
    model::uuid id;
    id.bytes[15] = 1;
    return id;
}

storage::log_config metadata_log_config() {
    storage::log_config c;
    c.segment_bytes = 64 << 20;
    c.segment_index_bytes = 1 << 20;
    c.retention_ms = -1;
    c.retention_bytes = -1;
    c.max_message_bytes = 8 << 20;
    return c;  // flush.messages/flush.ms unset: an append returns only once fsynced
}

awaitable<util::result<std::unique_ptr<metadata_log>, storage::storage_error>> metadata_log::open(
    storage::log_env env, std::filesystem::path data_dir) {
    auto opened = co_await storage::log::open(env, data_dir / metadata_log_dir_name, metadata_log_config(),
                                              metadata_topic_id());
    if (!opened) co_return opened.error();
    (*opened)->set_high_watermark((*opened)->durable_offset());  // what recovery kept is committed
    co_return std::unique_ptr<metadata_log>(new metadata_log(std::move(*opened)));
}

awaitable<std::string> metadata_log::replay(replay_fn apply) {
    model::offset next = log_->log_start_offset();
    const model::offset end = log_->high_watermark();
    protocol::record_reader reader;
    while (next < end) {
        auto read = co_await log_->read(next, replay_read_bytes, end, true);
        if (!read) co_return "reading the metadata log at offset " + std::to_string(next.value()) + ": " +
                             std::string(storage::to_string(read.error()));
        if (read->records.empty()) break;
        protocol::batch_iterator batches(read->records);
        while (batches.next()) {
            if (auto e = reader.open(batches.batch()); e != protocol::batch_error::none)
                co_return "metadata batch at offset " + std::to_string(batches.header().base_offset.value()) +
                          ": " + std::string(protocol::to_string(e));
            while (reader.next()) {
                const auto& rec = reader.record();
                if (rec.offset < next) continue;  // before where we asked to start
                decoded_record decoded;
                std::string error;
                if (!rec.value || !decode_metadata_record(*rec.value, decoded, error)) {
                    co_return "metadata record at offset " + std::to_string(rec.offset.value()) + ": " +
                              (rec.value ? error : std::string("null value"));
                }
                if (!apply(rec.offset, decoded, error))
                    co_return "metadata record at offset " + std::to_string(rec.offset.value()) + " (" +
                              std::string(record_name(decoded.record)) + "): " + error;
            }
            if (reader.error() != protocol::batch_error::none)
                co_return "metadata batch at offset " + std::to_string(batches.header().base_offset.value()) +
                          ": " + std::string(protocol::to_string(reader.error()));
            next = model::offset(batches.header().base_offset.value() + batches.header().last_offset_delta + 1);
        }
        if (batches.error() != protocol::batch_error::none)
            co_return "metadata log at offset " + std::to_string(next.value()) + ": " +
                      std::string(protocol::to_string(batches.error()));
    }
    co_return std::string();
}

awaitable<util::result<model::offset, storage::storage_error>> metadata_log::append(
    std::span<const metadata_record> records) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::vector<bytes::byte_vector> values(records.size());
    protocol::record_batch_builder builder;
    for (std::size_t i = 0; i < records.size(); ++i) {
        encode_metadata_record(records[i], values[i]);
        builder.add(now, std::nullopt, bytes::bytes_view(values[i]));
    }
    auto batch = builder.build();
    if (!batch) co_return storage::storage_error::invalid_batch;  // only a bad compression level fails
    bytes::byte_vector bytes = std::move(*batch);
    auto appended = co_await log_->append(bytes::mutable_bytes_view(bytes), model::leader_epoch(0));
    if (!appended) co_return appended.error();
    // One controller: a record is committed once it is durable here.
    if (auto e = co_await log_->wait_durable(appended->last_offset); e != storage::storage_error::none) co_return e;
    log_->set_high_watermark(log_->durable_offset());
    co_return appended->last_offset;
}

awaitable<void> metadata_log::close() { co_await log_->close(); }

awaitable<void> metadata_log::abandon() { co_await log_->abandon(); }

}  // namespace tributary::cluster
