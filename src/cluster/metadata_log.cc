#include "cluster/metadata_log.h"

#include <chrono>
#include <random>

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

raft::wire::group_key metadata_group() {
    return {std::string(metadata_log_dir_name.substr(0, metadata_log_dir_name.size() - 2)), metadata_topic_id(), 0};
}

awaitable<util::result<std::unique_ptr<metadata_log>, storage::storage_error>> metadata_log::open_replicated(
    storage::log_env env, std::filesystem::path data_dir, metadata_quorum quorum) {
    const auto dir = data_dir / metadata_log_dir_name;
    auto opened = co_await storage::log::open(env, dir, metadata_log_config(), metadata_topic_id());
    if (!opened) co_return opened.error();
    // The epoch, the vote and the voter sets come back from the directory after a restart.
    auto store = std::make_unique<raft::quorum_state_file>(env.disk, env.fs, dir);
    auto saved = co_await store->load();
    auto voters = co_await store->load_voters();
    if (!saved || !voters) {
        co_await (*opened)->close();
        co_return storage::storage_error::corrupt_data;
    }
    raft::config cfg = quorum.raft;
    cfg.self = quorum.self;
    cfg.voters = std::move(quorum.voters);
    cfg.seed = std::random_device{}();
    auto r = std::make_unique<raft::replica>(co_await asio::this_coro::executor, metadata_group(), std::move(cfg),
                                             saved->state, std::move(*voters), std::move(*opened), *store,
                                             *quorum.transport, quorum.replica);
    co_return std::unique_ptr<metadata_log>(new metadata_log(std::move(store), std::move(r)));
}

awaitable<std::string> metadata_log::replay(replay_fn apply, model::offset next, model::offset end) {
    next = std::max(next, log_->log_start_offset());
    protocol::record_reader reader;
    while (next < end) {
        auto read = co_await log_->read(next, replay_read_bytes, end, true);
        if (!read) co_return "reading the metadata log at offset " + std::to_string(next.value()) + ": " +
                             std::string(storage::to_string(read.error()));
        if (read->records.empty()) break;
        protocol::batch_iterator batches(read->records);
        while (batches.next()) {
            if (batches.header().is_control()) {
                // Raft's own records (leader changes, voter sets).
                next = model::offset(batches.header().base_offset.value() + batches.header().last_offset_delta + 1);
                continue;
            }
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
    if (replica_) {
        auto base = co_await replica_->replicate(std::move(bytes));
        if (!base) co_return storage::storage_error::not_leader;
        co_return model::offset(base->value() + static_cast<std::int64_t>(records.size()) - 1);
    }
    auto appended = co_await log_->append(bytes::mutable_bytes_view(bytes), model::leader_epoch(0));
    if (!appended) co_return appended.error();
    // One controller: a record is committed once it is durable here.
    if (auto e = co_await log_->wait_durable(appended->last_offset); e != storage::storage_error::none) co_return e;
    log_->set_high_watermark(log_->durable_offset());
    co_return appended->last_offset;
}

awaitable<void> metadata_log::close() {
    if (replica_) co_await replica_->stop();
    co_await log_->close();
}

awaitable<void> metadata_log::abandon() {
    if (replica_) co_await replica_->stop();
    co_await log_->abandon();
}

}  // namespace tributary::cluster
