// The controller's durable log of metadata records: <data>/__cluster_metadata-0/, a partition log of
// the storage engine (storage::log) whose record batches hold framed KRaft records
// (metadata_records.h). One controller operation is one batch, so a crash keeps all of it or none
// (the storage engine's recovery drops a torn batch whole). Format: docs/formats/metadata-log.md.
//
// Ownership: like any storage::log, it belongs to the shard that opened it (the controller's, shard 0)
// and is used only from that shard's event loop.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "cluster/metadata_records.h"
#include "net/asio.h"
#include "storage/log.h"

namespace tributary::cluster {

inline constexpr std::string_view metadata_log_dir_name = "__cluster_metadata-0";

// Kafka's fixed topic id of __cluster_metadata (Uuid.METADATA_TOPIC_ID, "AAAAAAAAAAAAAAAAAAAAAQ").
model::uuid metadata_topic_id();

// The storage settings of the metadata log: never deleted by retention (there are no snapshots
// yet), batches up to 8 MiB.
storage::log_config metadata_log_config();

class metadata_log {
public:
    // Opens (creating if needed) <data_dir>/__cluster_metadata-0, recovering a torn tail.
    static awaitable<util::result<std::unique_ptr<metadata_log>, storage::storage_error>> open(
        storage::log_env env, std::filesystem::path data_dir);

    // Calls `apply` for every record from the start of the log, in order. Stops at the first record
    // that does not decode or that `apply` rejects (returning false with a reason); returns the reason,
    // or an empty string when every record was applied.
    using replay_fn = std::function<bool(model::offset, const decoded_record&, std::string& error)>;
    awaitable<std::string> replay(replay_fn apply);

    // Appends `records` as one batch and returns once it is on disk (fsynced); the result is the
    // offset of the last record. REQUIRES: !records.empty(); no other append in flight.
    awaitable<util::result<model::offset, storage::storage_error>> append(std::span<const metadata_record> records);

    // One past the last record.
    model::offset end_offset() const { return log_->log_end_offset(); }
    const storage::log& log() const { return *log_; }

    // Closes the storage log (clean-shutdown marker). REQUIRES: nothing in flight.
    awaitable<void> close();
    // Stops like close() but writes nothing, as a crash would (tests use it).
    awaitable<void> abandon();

private:
    explicit metadata_log(std::unique_ptr<storage::log> log) : log_(std::move(log)) {}
    std::unique_ptr<storage::log> log_;
};

}  // namespace tributary::cluster
