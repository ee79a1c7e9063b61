#include "cluster/config_registry.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace tributary::cluster {

std::string_view to_string(config_type t) {
    switch (t) {
        case config_type::unknown: return "UNKNOWN";
        case config_type::boolean: return "BOOLEAN";
        case config_type::string: return "STRING";
        case config_type::int32: return "INT";
        case config_type::int16: return "SHORT";
        case config_type::int64: return "LONG";
        case config_type::float64: return "DOUBLE";
        case config_type::list: return "LIST";
        case config_type::class_name: return "CLASS";
        case config_type::password: return "PASSWORD";
    }
    return "UNKNOWN";
}

namespace {

using kind = value_check::kind;
using ct = config_type;
constexpr std::optional<std::string_view> null_default = std::nullopt;
constexpr std::string_view long_max = "9223372036854775807";

constexpr value_check at_least(std::int64_t n) { return {kind::at_least, n, 0, {}}; }
constexpr value_check between(std::int64_t lo, std::int64_t hi) { return {kind::between, lo, hi, {}}; }

constexpr std::array<std::string_view, 2> cleanup_policies{"compact", "delete"};
constexpr std::array<std::string_view, 6> compression_types{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"};
constexpr std::array<std::string_view, 2> timestamp_types{"CreateTime", "LogAppendTime"};
constexpr value_check cleanup_policy_check{kind::each_one_of, 0, 0, cleanup_policies};
constexpr value_check compression_type_check{kind::one_of, 0, 0, compression_types};
constexpr value_check timestamp_type_check{kind::one_of, 0, 0, timestamp_types};
constexpr value_check gzip_check{kind::gzip_level, 0, 0, {}};
constexpr value_check throttled_check{kind::throttled_replicas, 0, 0, {}};

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t hour_ms = 3'600'000;

// Synonym groups, shared by a topic config and the broker configs behind it.
constexpr std::array<config_synonym, 3> retention_ms_syn{
    {{"log.retention.ms"}, {"log.retention.minutes", minute_ms}, {"log.retention.hours", hour_ms}}};
constexpr std::array<config_synonym, 2> roll_ms_syn{{{"log.roll.ms"}, {"log.roll.hours", hour_ms}}};
constexpr std::array<config_synonym, 2> roll_jitter_syn{{{"log.roll.jitter.ms"}, {"log.roll.jitter.hours", hour_ms}}};
constexpr std::array<config_synonym, 2> flush_ms_syn{{{"log.flush.interval.ms"}, {"log.flush.scheduler.interval.ms"}}};

#define SINGLE_SYNONYM(var, broker_name) constexpr std::array<config_synonym, 1> var{{{broker_name}}}
SINGLE_SYNONYM(cleanup_policy_syn, "log.cleanup.policy");
SINGLE_SYNONYM(compression_type_syn, "compression.type");
SINGLE_SYNONYM(gzip_level_syn, "compression.gzip.level");
SINGLE_SYNONYM(lz4_level_syn, "compression.lz4.level");
SINGLE_SYNONYM(zstd_level_syn, "compression.zstd.level");
SINGLE_SYNONYM(delete_retention_syn, "log.cleaner.delete.retention.ms");
SINGLE_SYNONYM(file_delete_delay_syn, "log.segment.delete.delay.ms");
SINGLE_SYNONYM(flush_messages_syn, "log.flush.interval.messages");
SINGLE_SYNONYM(index_interval_syn, "log.index.interval.bytes");
SINGLE_SYNONYM(local_retention_bytes_syn, "log.local.retention.bytes");
SINGLE_SYNONYM(local_retention_ms_syn, "log.local.retention.ms");
SINGLE_SYNONYM(max_compaction_lag_syn, "log.cleaner.max.compaction.lag.ms");
SINGLE_SYNONYM(max_decompressed_syn, "max.decompressed.message.bytes");
SINGLE_SYNONYM(max_message_bytes_syn, "message.max.bytes");
SINGLE_SYNONYM(ts_after_syn, "log.message.timestamp.after.max.ms");
SINGLE_SYNONYM(ts_before_syn, "log.message.timestamp.before.max.ms");
SINGLE_SYNONYM(ts_type_syn, "log.message.timestamp.type");
SINGLE_SYNONYM(dirty_ratio_syn, "log.cleaner.min.cleanable.ratio");
SINGLE_SYNONYM(min_compaction_lag_syn, "log.cleaner.min.compaction.lag.ms");
SINGLE_SYNONYM(min_isr_syn, "min.insync.replicas");
SINGLE_SYNONYM(preallocate_syn, "log.preallocate");
SINGLE_SYNONYM(remote_lag_bytes_syn, "log.remote.copy.lag.bytes");
SINGLE_SYNONYM(remote_lag_ms_syn, "log.remote.copy.lag.ms");
SINGLE_SYNONYM(retention_bytes_syn, "log.retention.bytes");
SINGLE_SYNONYM(segment_bytes_syn, "log.segment.bytes");
SINGLE_SYNONYM(segment_index_syn, "log.index.size.max.bytes");
SINGLE_SYNONYM(unclean_syn, "unclean.leader.election.enable");
#undef SINGLE_SYNONYM

// Kafka 4.x topic configs (LogConfig), every one of them. Documentation is ours.
constexpr config_definition topic_configs[] = {
    {"cleanup.policy", ct::list, "delete", cleanup_policy_check,
     "What happens to old segments: \"delete\" removes them by retention.ms/retention.bytes, \"compact\" keeps "
     "the latest record per key; both may be given.",
     cleanup_policy_syn},
    {"compression.type", ct::string, "producer", compression_type_check,
     "The codec batches are stored with. \"producer\" keeps what the producer sent; other values would make "
     "the broker recompress (not implemented: batches are always stored as sent).",
     compression_type_syn, false, false},
    {"compression.gzip.level", ct::int32, "-1", gzip_check,
     "gzip level used when the broker compresses with gzip (-1 is the codec's default).", gzip_level_syn, false,
     false},
    {"compression.lz4.level", ct::int32, "9", between(1, 17),
     "lz4 level used when the broker compresses with lz4.", lz4_level_syn, false, false},
    {"compression.zstd.level", ct::int32, "3", between(-131072, 22),
     "zstd level used when the broker compresses with zstd.", zstd_level_syn, false, false},
    {"delete.retention.ms", ct::int64, "86400000", at_least(0),
     "For compacted topics: how long a tombstone stays readable after its segment was compacted.",
     delete_retention_syn},
    {"errors.deadletterqueue.group.enable", ct::boolean, "false", {},
     "Whether share groups may route undeliverable records of this topic to a dead-letter queue.", {}, false,
     false},
    {"file.delete.delay.ms", ct::int64, "60000", at_least(0),
     "How long a deleted segment's files linger before they are removed from disk.", file_delete_delay_syn, false,
     false},
    {"flush.messages", ct::int64, long_max, at_least(1),
     "Force an fsync every this many messages. Unset (the default), Tributary fsyncs before it acknowledges "
     "acks=all and before consumers see data; set, durability is left to the OS between fsyncs.",
     flush_messages_syn},
    {"flush.ms", ct::int64, long_max, at_least(0),
     "Force an fsync when data is older than this many milliseconds. See flush.messages for the default.",
     flush_ms_syn},
    {"follower.replication.throttled.replicas", ct::list, "", throttled_check,
     "Replicas (partition:broker, or *) whose follower replication is throttled.", {}, false, false},
    {"index.interval.bytes", ct::int32, "4096", at_least(0),
     "How many bytes of batches lie between two entries of the sparse offset index.", index_interval_syn},
    {"leader.replication.throttled.replicas", ct::list, "", throttled_check,
     "Replicas (partition:broker, or *) whose leader-side replication is throttled.", {}, false, false},
    {"local.retention.bytes", ct::int64, "-2", at_least(-2),
     "With tiered storage: bytes kept on local disk (-2: as retention.bytes).", local_retention_bytes_syn, false,
     false},
    {"local.retention.ms", ct::int64, "-2", at_least(-2),
     "With tiered storage: milliseconds kept on local disk (-2: as retention.ms).", local_retention_ms_syn, false,
     false},
    {"max.compaction.lag.ms", ct::int64, long_max, at_least(1),
     "For compacted topics: the longest a record may stay uncompacted.", max_compaction_lag_syn},
    {"max.decompressed.message.bytes", ct::int32, "2147483639", at_least(1),
     "The largest size a compressed batch may decompress to when the broker decompresses it.",
     max_decompressed_syn, false, false},
    {"max.message.bytes", ct::int32, "1048588", at_least(0),
     "The largest record batch (after compression) this topic accepts.", max_message_bytes_syn},
    {"message.timestamp.after.max.ms", ct::int64, "3600000", at_least(0),
     "With CreateTime: how far in the future a record's timestamp may be, relative to the broker's clock.",
     ts_after_syn},
    {"message.timestamp.before.max.ms", ct::int64, long_max, at_least(0),
     "With CreateTime: how far in the past a record's timestamp may be, relative to the broker's clock.",
     ts_before_syn},
    {"message.timestamp.type", ct::string, "CreateTime", timestamp_type_check,
     "CreateTime keeps the producer's timestamps; LogAppendTime stamps each batch with the broker's clock.",
     ts_type_syn},
    {"min.cleanable.dirty.ratio", ct::float64, "0.5", between(0, 1),
     "For compacted topics: the fraction of uncompacted log that makes a partition eligible for cleaning.",
     dirty_ratio_syn},
    {"min.compaction.lag.ms", ct::int64, "0", at_least(0),
     "For compacted topics: the shortest time a record stays uncompacted.", min_compaction_lag_syn},
    {"min.insync.replicas", ct::int32, "1", at_least(1),
     "With acks=all: the fewest in-sync replicas a write needs. A single-node cluster has one replica.",
     min_isr_syn, false, false},
    {"preallocate", ct::boolean, "false", {}, "Whether new segment files are preallocated on disk.", preallocate_syn,
     false, false},
    {"remote.copy.lag.bytes", ct::int64, "-1", at_least(-1),
     "With tiered storage: bytes a segment may wait before it is copied to remote storage.", remote_lag_bytes_syn,
     false, false},
    {"remote.copy.lag.ms", ct::int64, "0", at_least(-1),
     "With tiered storage: milliseconds a segment may wait before it is copied to remote storage.",
     remote_lag_ms_syn, false, false},
    {"remote.log.copy.disable", ct::boolean, "false", {},
     "With tiered storage: stop copying segments of this topic to remote storage.", {}, false, false},
    {"remote.log.delete.on.disable", ct::boolean, "false", {},
     "With tiered storage: delete the remote data when tiered storage is turned off for this topic.", {}, false,
     false},
    {"remote.storage.enable", ct::boolean, "false", {},
     "Tiered storage for this topic. Tributary has no tiered storage, so it can only be false.", {}, false, false},
    {"retention.bytes", ct::int64, "-1", {},
     "The most bytes a partition keeps before its oldest segments are deleted; -1 for no limit.",
     retention_bytes_syn},
    {"retention.ms", ct::int64, "604800000", at_least(-1),
     "How long records are kept before their segment may be deleted; -1 keeps them forever.", retention_ms_syn},
    {"segment.bytes", ct::int32, "1073741824", at_least(1048576),
     "The size at which a partition's active segment is closed and a new one started.", segment_bytes_syn},
    {"segment.index.bytes", ct::int32, "10485760", at_least(4),
     "The most bytes a segment's offset (and time) index may use.", segment_index_syn},
    {"segment.jitter.ms", ct::int64, "0", at_least(0),
     "A random amount up to this subtracted from segment.ms, so segments do not all roll at once.",
     roll_jitter_syn, false, false},
    {"segment.ms", ct::int64, "604800000", at_least(1),
     "The age at which a partition's active segment is closed, so retention can delete it.", roll_ms_syn},
    {"unclean.leader.election.enable", ct::boolean, "false", {},
     "Whether a replica that is not in sync may become leader (losing data). Single-node: no effect.",
     unclean_syn, false, false},
};

// Broker configs (KafkaConfig) that clients and tools read. Defaults are Kafka's unless a comment says
// ours: Tributary starts as a one-node cluster with no configuration at all.
constexpr config_definition broker_configs[] = {
    // Identity and listeners (read-only).
    {"node.id", ct::int32, "1", {}, "This node's id (ours: defaults to 1).", {}, false},
    {"broker.id", ct::int32, "1", {}, "The same as node.id, under its older name.", {}, false},
    {"process.roles", ct::list, "broker,controller", {},
     "The roles of this node. Tributary is always both broker and controller.", {}, false},
    {"listeners", ct::list, "PLAINTEXT://127.0.0.1:9092", {},
     "The address clients connect to (one PLAINTEXT listener).", {}, false},
    {"advertised.listeners", ct::list, null_default, {},
     "The address Metadata gives clients, if not the listener's own.", {}, false},
    {"log.dirs", ct::list, "./data", {}, "The data directory (one; ours defaults to ./data).", {}, false},
    {"log.dir", ct::list, "./data", {}, "The data directory when log.dirs is not set.", {}, false},
    {"broker.rack", ct::string, null_default, {}, "The rack of this broker.", {}, false},
    {"cluster.voters", ct::list, "", {},
     "The cluster's brokers as id@host:port, each a voter of the metadata log; empty: a single broker.", {}, false},
    {"socket.request.max.bytes", ct::int32, "104857600", at_least(1),
     "The largest request the broker reads; a bigger one closes the connection.", {}, false},
    // Connection limits (docs/operations.md).
    {"max.connections", ct::int32, "2147483647", at_least(0),
     "The most connections open at once; a new one waits, unserved, until another closes.", {}, false},
    {"max.connections.per.ip", ct::int32, "2147483647", at_least(0),
     "The most connections from one IP address; a new one beyond it is closed at once.", {}, false},
    {"max.connections.per.ip.overrides", ct::string, "", {},
     "Per-address exceptions to max.connections.per.ip: 'ip:count,ip:count' (IP literals).", {}, false},
    {"connections.max.idle.ms", ct::int64, "600000", {},
     "A connection with nothing read or written for this long (and no request in progress) is closed.", {},
     false},
    {"queued.max.request.bytes", ct::int64, "536870912", {},
     "Request bytes held in memory across the broker before it stops reading sockets; <= 0 for no bound "
     "(ours: 512 MiB; Kafka's default is -1).",
     {}, false},
    {"max.queued.response.bytes.per.connection", ct::int64, "16777216", at_least(0),
     "Tributary's own: unsent response bytes on one connection beyond which it stops reading requests.", {},
     false},
    {"shutdown.drain.timeout.ms", ct::int64, "10000", at_least(0),
     "Tributary's own: how long shutdown waits for requests already read to be answered.", {}, false},
    // Topics.
    {"num.partitions", ct::int32, "1", at_least(1),
     "Partitions of a topic created without a count (CreateTopics with -1, or auto-creation).", {}, false},
    {"default.replication.factor", ct::int32, "1", {},
     "Replication factor of a topic created without one. Must be 1 on a single node.", {}, false},
    {"auto.create.topics.enable", ct::boolean, "true", {},
     "Whether a Metadata request for an unknown topic creates it (when the client allows it).", {}, false},
    {"delete.topic.enable", ct::boolean, "true", {}, "Whether DeleteTopics may delete topics.", {}, false},
    // Log defaults for topics (dynamic ones may be changed with IncrementalAlterConfigs).
    {"log.cleanup.policy", ct::list, "delete", cleanup_policy_check,
     "Default cleanup.policy.", cleanup_policy_syn, true, false},
    {"log.retention.ms", ct::int64, null_default, {}, "Default retention.ms; wins over minutes and hours.",
     retention_ms_syn, true},
    {"log.retention.minutes", ct::int32, null_default, {}, "Default retention in minutes; wins over hours.",
     retention_ms_syn, false},
    {"log.retention.hours", ct::int32, "168", {}, "Default retention in hours.", retention_ms_syn, false},
    {"log.retention.bytes", ct::int64, "-1", {}, "Default retention.bytes.", retention_bytes_syn, true},
    {"log.retention.check.interval.ms", ct::int64, "300000", at_least(1),
     "How often segments are checked for deletion by retention.", {}, false},
    {"log.segment.bytes", ct::int32, "1073741824", at_least(1048576), "Default segment.bytes.", segment_bytes_syn,
     true},
    {"log.roll.ms", ct::int64, null_default, {}, "Default segment.ms; wins over log.roll.hours.", roll_ms_syn, true},
    {"log.roll.hours", ct::int32, "168", at_least(1), "Default segment age in hours.", roll_ms_syn, false},
    {"log.roll.jitter.ms", ct::int64, null_default, {}, "Default segment.jitter.ms.", roll_jitter_syn, true, false},
    {"log.roll.jitter.hours", ct::int32, "0", at_least(0), "Default segment jitter in hours.", roll_jitter_syn,
     false, false},
    {"log.index.size.max.bytes", ct::int32, "10485760", at_least(4), "Default segment.index.bytes.",
     segment_index_syn, true},
    {"log.index.interval.bytes", ct::int32, "4096", at_least(0), "Default index.interval.bytes.",
     index_interval_syn, true},
    {"log.flush.interval.messages", ct::int64, long_max, at_least(1), "Default flush.messages.",
     flush_messages_syn, true},
    {"log.flush.interval.ms", ct::int64, null_default, {}, "Default flush.ms.", flush_ms_syn, true},
    {"log.flush.scheduler.interval.ms", ct::int64, long_max, {}, "Default flush.ms when log.flush.interval.ms is unset.",
     flush_ms_syn, false},
    {"log.cleaner.enable", ct::boolean, "true", {}, "Whether each shard runs a log cleaner for compacted topics.",
     {}, false},
    {"replica.lag.time.max.ms", ct::int64, "30000", at_least(1),
     "A follower that has not held the leader's whole log for this long leaves the in-sync replicas.", {}, false},
    {"log.cleaner.backoff.ms", ct::int64, "15000", at_least(0),
     "How long a shard's log cleaner sleeps when no log needs cleaning.", {}, false},
    {"log.cleaner.delete.retention.ms", ct::int64, "86400000", at_least(0), "Default delete.retention.ms.",
     delete_retention_syn, true},
    {"log.cleaner.min.compaction.lag.ms", ct::int64, "0", at_least(0), "Default min.compaction.lag.ms.",
     min_compaction_lag_syn, true},
    {"log.cleaner.max.compaction.lag.ms", ct::int64, long_max, at_least(1), "Default max.compaction.lag.ms.",
     max_compaction_lag_syn, true},
    {"log.cleaner.min.cleanable.ratio", ct::float64, "0.5", between(0, 1), "Default min.cleanable.dirty.ratio.",
     dirty_ratio_syn, true},
    {"log.segment.delete.delay.ms", ct::int64, "60000", at_least(0), "Default file.delete.delay.ms.",
     file_delete_delay_syn, true, false},
    {"log.preallocate", ct::boolean, "false", {}, "Default preallocate.", preallocate_syn, true, false},
    {"log.message.timestamp.type", ct::string, "CreateTime", timestamp_type_check,
     "Default message.timestamp.type.", ts_type_syn, true},
    {"log.message.timestamp.before.max.ms", ct::int64, long_max, at_least(0),
     "Default message.timestamp.before.max.ms.", ts_before_syn, true},
    {"log.message.timestamp.after.max.ms", ct::int64, "3600000", at_least(0),
     "Default message.timestamp.after.max.ms.", ts_after_syn, true},
    {"log.local.retention.ms", ct::int64, "-2", at_least(-2), "Default local.retention.ms.", local_retention_ms_syn,
     true, false},
    {"log.local.retention.bytes", ct::int64, "-2", at_least(-2), "Default local.retention.bytes.",
     local_retention_bytes_syn, true, false},
    {"log.remote.copy.lag.ms", ct::int64, "0", at_least(-1), "Default remote.copy.lag.ms.", remote_lag_ms_syn,
     true, false},
    {"log.remote.copy.lag.bytes", ct::int64, "-1", at_least(-1), "Default remote.copy.lag.bytes.",
     remote_lag_bytes_syn, true, false},
    {"message.max.bytes", ct::int32, "1048588", at_least(0), "Default max.message.bytes.", max_message_bytes_syn,
     true},
    {"max.decompressed.message.bytes", ct::int32, "2147483639", at_least(1),
     "Default max.decompressed.message.bytes.", max_decompressed_syn, true, false},
    {"min.insync.replicas", ct::int32, "1", at_least(1), "Default min.insync.replicas.", min_isr_syn, true, false},
    {"unclean.leader.election.enable", ct::boolean, "false", {}, "Default unclean.leader.election.enable.",
     unclean_syn, true, false},
    {"compression.type", ct::string, "producer", compression_type_check, "Default compression.type.",
     compression_type_syn, true, false},
    {"compression.gzip.level", ct::int32, "-1", gzip_check, "Default compression.gzip.level.", gzip_level_syn, true,
     false},
    {"compression.lz4.level", ct::int32, "9", between(1, 17), "Default compression.lz4.level.", lz4_level_syn, true,
     false},
    {"compression.zstd.level", ct::int32, "3", between(-131072, 22), "Default compression.zstd.level.",
     zstd_level_syn, true, false},
    {"producer.id.expiration.ms", ct::int32, "86400000", at_least(1),
     "How long a producer id's state is kept after its last write.", {}, true},
    {"remote.log.storage.system.enable", ct::boolean, "false", {}, "Tiered storage (not available).", {}, false,
     false},
    // The consumer group protocol (KIP-848), read at start-up by the group coordinator
    // (groups/consumer_group_config.h, which also checks Kafka's cross-config rules).
    {"group.consumer.session.timeout.ms", ct::int32, "45000", at_least(1),
     "The timeout to detect client failures when using the consumer group protocol.", {}, false},
    {"group.consumer.min.session.timeout.ms", ct::int32, "45000", at_least(1),
     "The minimum allowed session timeout for registered consumers.", {}, false},
    {"group.consumer.max.session.timeout.ms", ct::int32, "60000", at_least(1),
     "The maximum allowed session timeout for registered consumers.", {}, false},
    {"group.consumer.heartbeat.interval.ms", ct::int32, "5000", at_least(1),
     "The heartbeat interval given to the members of a consumer group.", {}, false},
    {"group.consumer.min.heartbeat.interval.ms", ct::int32, "5000", at_least(1),
     "The minimum heartbeat interval for registered consumers.", {}, false},
    {"group.consumer.max.heartbeat.interval.ms", ct::int32, "15000", at_least(1),
     "The maximum heartbeat interval for registered consumers.", {}, false},
    {"group.consumer.max.size", ct::int32, "2147483647", at_least(1),
     "The maximum number of consumers that a single consumer group can accommodate.", {}, false},
    {"group.consumer.assignors", ct::list, "uniform,range", {},
     "The server side assignors (uniform, range, or Kafka's class names for them); the first is the default "
     "for members that do not name one.",
     {}, false},
    {"group.consumer.migration.policy", ct::string, "bidirectional", {},
     "The online migration between classic and consumer groups: disabled, upgrade, downgrade or bidirectional "
     "(case insensitive; checked at start-up by the group coordinator).",
     {}, false},
    // Fetch.
    {"fetch.max.bytes", ct::int32, "57671680", at_least(1024), "The most bytes one Fetch response returns.", {},
     false, false},
    {"max.incremental.fetch.session.cache.slots", ct::int32, "1000", at_least(0),
     "The most incremental fetch sessions (KIP-227) the broker keeps.", {}, false, false},
    // Coordinators' internal topics and timeouts.
    {"offsets.topic.num.partitions", ct::int32, "50", at_least(1), "Partitions of __consumer_offsets.", {}, false,
     false},
    {"offsets.topic.replication.factor", ct::int16, "1", at_least(1),
     "Replication factor of __consumer_offsets (ours: 1, as a single node has one replica).", {}, false, false},
    {"offsets.topic.segment.bytes", ct::int32, "104857600", at_least(1), "segment.bytes of __consumer_offsets.", {},
     false, false},
    {"offsets.retention.minutes", ct::int32, "10080", at_least(1),
     "How long committed offsets are kept once the group no longer consumes their topic.", {}, false},
    {"offsets.retention.check.interval.ms", ct::int64, "600000", at_least(1),
     "How often the group coordinator looks for expired offsets.", {}, false},
    {"tributary.test.offsets.retention.ms", ct::int64, "-1", at_least(-1),
     "Tributary's own, for tests: when >= 0, the offsets retention in milliseconds instead of "
     "offsets.retention.minutes (whose unit is too coarse for a test to wait for).",
     {}, false},
    {"offset.metadata.max.bytes", ct::int32, "4096", {}, "The longest metadata string an offset commit may carry.",
     {}, false, false},
    {"group.initial.rebalance.delay.ms", ct::int32, "3000", {},
     "How long a new classic group waits for more members before its first rebalance.", {}, false, false},
    {"group.min.session.timeout.ms", ct::int32, "6000", {}, "The shortest session timeout a member may ask for.",
     {}, false, false},
    {"group.max.session.timeout.ms", ct::int32, "1800000", {}, "The longest session timeout a member may ask for.",
     {}, false, false},
    {"group.max.size", ct::int32, "2147483647", at_least(1), "The most members a consumer group may have.", {},
     false, false},
    {"transaction.state.log.num.partitions", ct::int32, "50", at_least(1), "Partitions of __transaction_state.", {},
     false, false},
    {"transaction.state.log.replication.factor", ct::int16, "1", at_least(1),
     "Replication factor of __transaction_state (ours: 1).", {}, false, false},
    {"transaction.state.log.min.isr", ct::int32, "1", at_least(1),
     "min.insync.replicas of __transaction_state (ours: 1).", {}, false, false},
    {"transaction.state.log.segment.bytes", ct::int32, "104857600", at_least(1),
     "segment.bytes of __transaction_state.", {}, false, false},
    {"transactional.id.expiration.ms", ct::int32, "604800000", at_least(1),
     "How long an idle transactional id is kept.", {}, false, false},
    {"transaction.max.timeout.ms", ct::int32, "900000", at_least(1),
     "The longest transaction timeout a producer may ask for.", {}, false, false},
};

std::vector<config_definition> sort_by_name(std::span<const config_definition> defs) {
    std::vector<config_definition> out(defs.begin(), defs.end());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

const std::vector<config_definition>& topic_table() {
    static const std::vector<config_definition> t = sort_by_name(topic_configs);
    return t;
}

const std::vector<config_definition>& broker_table() {
    static const std::vector<config_definition> t = sort_by_name(broker_configs);
    return t;
}

const config_definition* find_in(const std::vector<config_definition>& table, std::string_view name) {
    auto it = std::lower_bound(table.begin(), table.end(), name,
                               [](const config_definition& d, std::string_view n) { return d.name < n; });
    return it != table.end() && it->name == name ? &*it : nullptr;
}

// Java's String.trim: strips every char <= ' ' at both ends.
std::string_view trim(std::string_view s) {
    while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
    return s;
}

// Long.parseLong / Integer.parseInt / Short.parseShort: optional sign, decimal digits, in range.
std::optional<std::int64_t> parse_integer(std::string_view s, std::int64_t min, std::int64_t max) {
    if (s.empty()) return std::nullopt;
    bool negative = false;
    if (s.front() == '+' || s.front() == '-') {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
    std::uint64_t magnitude = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        if (magnitude > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
        magnitude = magnitude * 10 + static_cast<std::uint64_t>(c - '0');
        if (magnitude > std::uint64_t{1} << 63) return std::nullopt;
    }
    if (!negative && magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    std::int64_t v = negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
    if (v < min || v > max) return std::nullopt;
    return v;
}

std::optional<double> parse_double(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::string text(s);
    // Java accepts a trailing d/D/f/F type suffix.
    if (text.size() > 1 && (text.back() == 'd' || text.back() == 'D' || text.back() == 'f' || text.back() == 'F'))
        text.pop_back();
    if (text == "NaN" || text == "+NaN" || text == "-NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity" || text == "+Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
    for (char c : text)
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    return v;
}

// ConfigDef's LIST parsing: trimmed; empty is the empty list; elements split at commas and trimmed
// (empty elements are kept, so a check can reject them).
std::vector<std::string> split_list(std::string_view raw) {
    std::vector<std::string> out;
    std::string_view s = trim(raw);
    if (s.empty()) return out;
    for (;;) {
        auto comma = s.find(',');
        out.emplace_back(trim(s.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

std::string invalid(const config_definition& def, std::string_view shown, std::string_view why) {
    std::string out = "Invalid value ";
    out += shown;
    out += " for configuration ";
    out += def.name;
    if (!why.empty()) {
        out += ": ";
        out += why;
    }
    return out;
}

std::string one_of_message(std::span<const std::string_view> values) {
    std::string out = "String must be one of: ";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ", ";
        out += values[i];
    }
    return out;
}

bool contains(std::span<const std::string_view> values, std::string_view v) {
    return std::find(values.begin(), values.end(), v) != values.end();
}

// Range checks on a parsed number; `shown` is the number as Java prints it.
std::optional<std::string> check_range(const config_definition& def, double v, const std::string& shown) {
    const auto& c = def.check;
    if ((c.what == kind::at_least || c.what == kind::between) && v < static_cast<double>(c.lo))
        return invalid(def, shown, "Value must be at least " + std::to_string(c.lo));
    if (c.what == kind::between && v > static_cast<double>(c.hi))
        return invalid(def, shown, "Value must be no more than " + std::to_string(c.hi));
    if (c.what == kind::gzip_level && !(v == -1 || (v >= 1 && v <= 9)))
        return invalid(def, shown, "Value must be between 1 and 9 or equal to -1");
    return std::nullopt;
}

bool valid_throttled_entry(std::string_view e) {
    auto colon = e.find(':');
    if (colon == std::string_view::npos) return false;
    auto digits = [](std::string_view s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    return digits(trim(e.substr(0, colon))) && digits(trim(e.substr(colon + 1)));
}

}  // namespace

const config_definition* find_topic_config(std::string_view name) { return find_in(topic_table(), name); }
const config_definition* find_broker_config(std::string_view name) { return find_in(broker_table(), name); }
std::span<const config_definition> topic_config_definitions() { return topic_table(); }
std::span<const config_definition> broker_config_definitions() { return broker_table(); }

std::optional<std::string> check_value(const config_definition& def, std::string_view raw) {
    const std::string_view t = trim(raw);
    switch (def.type) {
        case config_type::boolean:
            if (t.size() == 4 || t.size() == 5) {
                std::string lower(t);
                for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (lower == "true" || lower == "false") return std::nullopt;
            }
            return invalid(def, raw, "Expected value to be either true or false");
        case config_type::int16:
        case config_type::int32:
        case config_type::int64: {
            const std::int64_t lo = def.type == config_type::int16   ? std::numeric_limits<std::int16_t>::min()
                                    : def.type == config_type::int32 ? std::numeric_limits<std::int32_t>::min()
                                                                     : std::numeric_limits<std::int64_t>::min();
            const std::int64_t hi = def.type == config_type::int16   ? std::numeric_limits<std::int16_t>::max()
                                    : def.type == config_type::int32 ? std::numeric_limits<std::int32_t>::max()
                                                                     : std::numeric_limits<std::int64_t>::max();
            auto v = parse_integer(t, lo, hi);
            if (!v) return invalid(def, raw, std::string("Not a number of type ") + std::string(to_string(def.type)));
            return check_range(def, static_cast<double>(*v), std::to_string(*v));
        }
        case config_type::float64: {
            auto v = parse_double(t);
            if (!v) return invalid(def, raw, "Not a number of type DOUBLE");
            return check_range(def, *v, java_double_string(*v));
        }
        case config_type::list: {
            auto parts = split_list(raw);
            if (def.check.what == kind::each_one_of) {
                for (const auto& p : parts) {
                    if (p.empty())
                        return "Configuration '" + std::string(def.name) + "' values must not be empty.";
                    if (!contains(def.check.values, p)) return invalid(def, p, one_of_message(def.check.values));
                }
            } else if (def.check.what == kind::throttled_replicas) {
                bool ok = parts.empty() || (parts.size() == 1 && parts[0] == "*") ||
                          std::all_of(parts.begin(), parts.end(), valid_throttled_entry);
                if (!ok) {
                    return invalid(def, "[" + join(parts, ", ") + "]",
                                   std::string(def.name) +
                                       " must be the literal '*' or a list of replicas in the following format: "
                                       "[partitionId]:[brokerId],[partitionId]:[brokerId],...");
                }
            }
            return std::nullopt;
        }
        case config_type::string:
            if (def.check.what == kind::one_of && !contains(def.check.values, t))
                return invalid(def, t, one_of_message(def.check.values));
            return std::nullopt;
        case config_type::class_name:
        case config_type::password:
        case config_type::unknown:
            return std::nullopt;
    }
    return std::nullopt;
}

std::string canonical_value(const config_definition& def, std::string_view raw) {
    const std::string_view t = trim(raw);
    switch (def.type) {
        case config_type::boolean: return bool_value(raw) ? "true" : "false";
        case config_type::int16:
        case config_type::int32:
        case config_type::int64: return std::to_string(integer_value(raw));
        case config_type::float64: return java_double_string(double_value(raw));
        case config_type::list: return join(split_list(raw), ",");
        case config_type::string:
        case config_type::class_name: return std::string(t);
        case config_type::password:
        case config_type::unknown: return std::string(raw);
    }
    return std::string(raw);
}

std::int64_t integer_value(std::string_view raw) {
    auto v = parse_integer(trim(raw), std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    assert(v);
    return v.value_or(0);
}

double double_value(std::string_view raw) {
    auto v = parse_double(trim(raw));
    assert(v);
    return v.value_or(0);
}

bool bool_value(std::string_view raw) {
    auto t = trim(raw);
    return t.size() == 4 && (t[0] == 't' || t[0] == 'T');
}

std::vector<std::string> list_value(std::string_view raw) { return split_list(raw); }

std::string java_double_string(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
    // Shortest round-trip digits and exponent: "d.ddde[+-]x".
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    (void)ec;
    std::string_view sci(buf, static_cast<std::size_t>(end - buf));
    std::string out;
    if (sci.front() == '-') {
        out += '-';
        sci.remove_prefix(1);
    }
    auto e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e))
        if (c != '.') digits += c;
    int exponent = 0;
    std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exponent);
    const double magnitude = std::fabs(d);
    if (magnitude >= 1e-3 && magnitude < 1e7) {
        if (exponent >= 0) {
            std::string int_part = digits.substr(0, std::min<std::size_t>(digits.size(), exponent + 1));
            while (static_cast<int>(int_part.size()) < exponent + 1) int_part += '0';
            std::string frac = digits.size() > static_cast<std::size_t>(exponent + 1) ? digits.substr(exponent + 1) : "0";
            out += int_part + "." + frac;
        } else {
            out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
        }
    } else {
        out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" + std::to_string(exponent);
    }
    return out;
}

}  // namespace tributary::cluster
