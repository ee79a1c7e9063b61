// Opening a log: clean restarts, crash recovery, torn and corrupt tails, rebuilt indexes.
#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

using log_recovery = log_fixture;

// The bytes of the log's first segment.
bytes::byte_vector segment_bytes(testing::memory_file_system& fs, const std::filesystem::path& p) {
    auto c = fs.contents(p);
    EXPECT_TRUE(c.has_value()) << p;
    return c.value_or(bytes::byte_vector{});
}

TEST_F(log_recovery, CleanShutdownSkipsScanning) {
    open_log();
    for (int i = 0; i < 5; ++i) append_ok({.records = 3});
    close_log();
    open_log();
    EXPECT_TRUE(lg->recovery().clean_shutdown);
    EXPECT_EQ(lg->recovery().segments_scanned, 0u);
    EXPECT_EQ(lg->log_end_offset(), model::offset(15));
    EXPECT_EQ(lg->high_watermark(), model::offset(15));
    auto r = read(model::offset(4));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(headers_of(r->records).size(), 4u);
}

TEST_F(log_recovery, AppendAfterACleanOpenContinuesAtTheLogEndOffset) {
    open_log();
    append_ok({.records = 3});
    close_log();
    open_log();
    EXPECT_EQ(append_ok({.records = 2}).base_offset, model::offset(3));
}

TEST_F(log_recovery, TheMarkerIsRemovedBeforeTheFirstWriteAfterACleanOpen) {
    open_log();
    append_ok({.records = 3});
    close_log();
    open_log();
    append_ok({.records = 2}, {.acks_all = true});
    crash();
    open_log();
    EXPECT_FALSE(lg->recovery().clean_shutdown);
    EXPECT_EQ(lg->log_end_offset(), model::offset(5));
}

TEST_F(log_recovery, TornTailIsTruncatedOnRecovery) {
    open_log();
    for (int i = 0; i < 3; ++i) append_ok({.records = 2}, {.acks_all = true});
    crash();
    const auto log_file = file(model::offset(0), ".log");
    auto data = segment_bytes(fs, log_file);
    const std::size_t good = data.size();
    auto torn = make_batch({.records = 4});
    data.insert(data.end(), torn.begin(), torn.begin() + 40);  // the writer died 40 bytes into a batch
    fs.set_contents(log_file, data);

    open_log();
    const auto& rep = lg->recovery();
    ASSERT_TRUE(rep.truncated.has_value());
    EXPECT_TRUE(rep.truncated->torn_tail);
    EXPECT_EQ(rep.truncated->reason, protocol::batch_error::truncated);
    EXPECT_EQ(rep.truncated->position, good);
    EXPECT_EQ(rep.truncated->bytes_dropped, 40u);
    EXPECT_EQ(lg->log_end_offset(), model::offset(6));
    EXPECT_EQ(segment_bytes(fs, log_file).size(), good);
    EXPECT_EQ(append_ok().base_offset, model::offset(6));
}

TEST_F(log_recovery, AZeroFilledTailIsATornWriteToo) {
    open_log();
    append_ok({.records = 2}, {.acks_all = true});
    crash();
    const auto log_file = file(model::offset(0), ".log");
    auto data = segment_bytes(fs, log_file);
    data.resize(data.size() + 4096, 0);
    fs.set_contents(log_file, data);
    open_log();
    ASSERT_TRUE(lg->recovery().truncated.has_value());
    EXPECT_TRUE(lg->recovery().truncated->torn_tail);
    EXPECT_EQ(lg->recovery().truncated->bytes_dropped, 4096u);
    EXPECT_EQ(lg->log_end_offset(), model::offset(2));
}

TEST_F(log_recovery, CorruptBatchInTheMiddleTruncatesFromThere) {
    open_log();
    std::vector<append_result> appended;
    for (int i = 0; i < 5; ++i) appended.push_back(append_ok({.records = 2}, {.acks_all = true}));
    crash();
    const auto log_file = file(model::offset(0), ".log");
    auto data = segment_bytes(fs, log_file);
    const std::size_t third = appended[2].position.byte_position;
    data[third + 70] ^= 0x01;  // a bit flip inside the third batch's records
    fs.set_contents(log_file, data);

    open_log();
    const auto& rep = lg->recovery();
    ASSERT_TRUE(rep.truncated.has_value());
    EXPECT_FALSE(rep.truncated->torn_tail);
    EXPECT_EQ(rep.truncated->reason, protocol::batch_error::crc_mismatch);
    EXPECT_EQ(rep.truncated->position, third);
    EXPECT_EQ(rep.truncated->bytes_dropped, data.size() - third);
    EXPECT_EQ(lg->log_end_offset(), model::offset(4));
    EXPECT_NE(to_string(rep).find("corruption"), std::string::npos);
}

TEST_F(log_recovery, CorruptionBeforeLaterSegmentsDeletesThem) {
    config.segment_bytes = 400;
    open_log();
    for (int i = 0; i < 12; ++i) append_ok({.records = 2}, {.acks_all = true});
    const auto segs = lg->segments();
    ASSERT_GE(segs.size(), 3u);
    crash();
    // Without the checkpoint, recovery starts from the first segment.
    fs.remove(dir / "partition.checkpoint");
    const auto second = file(segs[1].base_offset, ".log");
    auto data = segment_bytes(fs, second);
    data[protocol::batch_format::crc_at] ^= 0xff;  // the first batch's stored CRC
    fs.set_contents(second, data);

    open_log();
    const auto& rep = lg->recovery();
    ASSERT_TRUE(rep.truncated.has_value());
    EXPECT_EQ(rep.truncated->segment_base_offset, segs[1].base_offset);
    EXPECT_EQ(rep.truncated->position, 0u);
    EXPECT_EQ(rep.segments_deleted.size(), segs.size() - 2);
    EXPECT_EQ(lg->log_end_offset(), segs[1].base_offset);
    EXPECT_EQ(lg->segments().size(), 2u);
    EXPECT_FALSE(fs.contents(file(segs[2].base_offset, ".log")).has_value());
}

TEST_F(log_recovery, CrashDropsOnlyUnsyncedData) {
    config.flush_messages = 1'000'000;  // relaxed policy: nothing is fsynced unless asked
    open_log();
    for (int i = 0; i < 3; ++i) append_ok({.records = 2});
    ASSERT_EQ(run(io, lg->flush()), storage_error::none);
    for (int i = 0; i < 2; ++i) append_ok({.records = 2});
    EXPECT_EQ(lg->log_end_offset(), model::offset(10));
    EXPECT_EQ(lg->flushed_offset(), model::offset(6));
    crash();
    open_log();
    EXPECT_EQ(lg->log_end_offset(), model::offset(6));
    EXPECT_FALSE(lg->recovery().truncated.has_value());  // the unsynced bytes are simply gone
}

TEST_F(log_recovery, AcknowledgedAcksAllAppendsSurviveACrash) {
    open_log();
    constexpr int n = 40;
    std::vector<util::result<append_result, storage_error>> results(n, storage_error::log_closed);
    std::vector<bytes::byte_vector> batches;
    for (int i = 0; i < n; ++i)
        batches.push_back(make_batch({.records = 1 + i % 3, .value_size = static_cast<std::size_t>(50 + i)}));
    run(io, [&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < n; ++i) {
            asio::co_spawn(
                ex,
                [&, i]() -> awaitable<void> {
                    results[i] = co_await append_committed(*lg, batches[i], model::leader_epoch(7));
                },
                asio::detached);
        }
        co_return;
    }());
    for (const auto& r : results) ASSERT_TRUE(r.ok());
    crash();
    open_log();
    for (int i = 0; i < n; ++i) {
        auto r = read(results[i]->base_offset, 1);
        ASSERT_TRUE(r.ok());
        auto hs = headers_of(r->records);
        ASSERT_EQ(hs.size(), 1u);
        EXPECT_EQ(hs[0].base_offset, results[i]->base_offset);
        EXPECT_TRUE(std::equal(batches[i].begin(), batches[i].end(), r->records.begin(), r->records.end()));
    }
}

TEST_F(log_recovery, MissingIndexIsRebuilt) {
    config.segment_bytes = 600;
    config.index_interval_bytes = 100;
    open_log();
    for (int i = 0; i < 20; ++i) append_ok({.records = 2});
    close_log();
    const auto index = file(model::offset(0), ".index");
    const auto before = fs.contents(index);
    ASSERT_TRUE(before.has_value());
    ASSERT_FALSE(before->empty());
    fs.remove(index);
    open_log();
    EXPECT_TRUE(lg->recovery().clean_shutdown);
    for (std::int64_t o = 0; o < 40; o += 2) {
        auto r = read(model::offset(o), 1);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(headers_of(r->records)[0].base_offset, model::offset(o));
    }
    EXPECT_EQ(fs.contents(index), before);  // rebuilt identically and written back
}

TEST_F(log_recovery, AnIndexPointingIntoTheMiddleOfABatchIsRebuilt) {
    config.index_interval_bytes = 100;
    open_log();
    for (int i = 0; i < 20; ++i) append_ok({.records = 2});
    close_log();
    const auto index = file(model::offset(0), ".index");
    auto data = *fs.contents(index);
    ASSERT_GE(data.size(), 16u);
    data[data.size() - 1] += 3;  // the last entry's position no longer starts a batch
    fs.set_contents(index, data);
    open_log();
    EXPECT_EQ(lg->recovery().indexes_rebuilt, 1u);
    auto r = read(model::offset(38), 1);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(headers_of(r->records)[0].base_offset, model::offset(38));
}

TEST_F(log_recovery, ATopicIdMismatchIsRejected) {
    open_log();
    close_log();
    model::uuid other = test_topic_id;
    other.bytes[0] ^= 1;
    auto r = run(io, log::open(env(), dir, config, other));
    EXPECT_EQ(r.error(), storage_error::inconsistent_topic_id);
    auto metadata = fs.contents(dir / "partition.metadata");
    ASSERT_TRUE(metadata.has_value());
    EXPECT_EQ(std::string(bytes::as_chars(*metadata)),
              "version: 0\ntopic_id: " + test_topic_id.to_string() + "\n");
}

TEST_F(log_recovery, LeftoverTemporaryFilesAreRemoved) {
    open_log();
    close_log();
    fs.set_contents(dir / "partition.checkpoint.tmp", bytes::as_bytes("half"));
    open_log();
    EXPECT_FALSE(fs.contents(dir / "partition.checkpoint.tmp").has_value());
}

TEST_F(log_recovery, RecoveryWorksOnTheRealFileSystem) {
    char tmpl[] = "/tmp/tributary-log-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path real_dir = std::filesystem::path(tmpl) / "events-0";
    log_env real(disk, posix_file_system(), clock);
    auto opened = run(io, log::open(real, real_dir, config, test_topic_id));
    ASSERT_TRUE(opened.ok());
    auto l = std::move(opened).value();
    for (int i = 0; i < 10; ++i) {
        auto b = make_batch({.records = 2});
        ASSERT_TRUE(run(io, append_committed(*l, b, model::leader_epoch(7))).ok());
    }
    run(io, l->abandon());  // a process crash: no clean-shutdown marker
    l.reset();
    opened = run(io, log::open(real, real_dir, config, test_topic_id));
    ASSERT_TRUE(opened.ok());
    l = std::move(opened).value();
    EXPECT_FALSE(l->recovery().clean_shutdown);
    EXPECT_EQ(l->log_end_offset(), model::offset(20));
    run(io, l->close());
    l.reset();
    std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace tributary::storage::test
