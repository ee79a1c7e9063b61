// Opening thousands of partitions after a clean shutdown, on the real file system.
#include <chrono>
#include <cstdio>

#include "storage_test_util.h"

namespace tributary::storage::test {
namespace {

TEST(log_open_scale, ThousandsOfPartitionsOpenQuicklyAfterCleanShutdown) {
    constexpr int partitions = 2000;
    char tmpl[] = "/tmp/tributary-scale-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path root = tmpl;
    asio::io_context io;
    thread_disk_executor disk("scale-disk");
    log_env env(disk);
    log_config config;
    config.flush_messages = 1'000'000;  // keep the set-up cheap: no fsync per append

    auto open_all = [&](std::vector<std::unique_ptr<log>>& logs) -> awaitable<void> {
        for (int p = 0; p < partitions; ++p) {
            auto r =
                co_await log::open(env, root / ("topic-" + std::to_string(p) + ""), config, test_topic_id);
            EXPECT_TRUE(r.ok());
            if (r.ok()) logs.push_back(std::move(r).value());
        }
    };
    auto close_all = [&](std::vector<std::unique_ptr<log>>& logs) -> awaitable<void> {
        for (auto& l : logs) co_await l->close();
        logs.clear();
    };

    using clock_type = std::chrono::steady_clock;
    auto ms_since = [](clock_type::time_point t) {
        return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
    };
    std::vector<std::unique_ptr<log>> logs;
    auto t = clock_type::now();
    run(io, open_all(logs));
    std::printf("[ metric ] created %d partitions in %.1f ms\n", partitions, ms_since(t));
    ASSERT_EQ(logs.size(), static_cast<std::size_t>(partitions));
    t = clock_type::now();
    run(io, [&]() -> awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            for (auto& l : logs) {
                auto b = make_batch({.records = 5});
                auto r = co_await l->append(b, model::leader_epoch(1), {});
                EXPECT_TRUE(r.ok());
            }
        }
    }());
    std::printf("[ metric ] appended 3 batches to each in %.1f ms\n", ms_since(t));
    t = clock_type::now();
    run(io, close_all(logs));
    std::printf("[ metric ] closed %d written partitions cleanly in %.1f ms\n", partitions, ms_since(t));

    t = clock_type::now();
    run(io, open_all(logs));
    std::printf("[ metric ] opened %d partitions after a clean shutdown in %.1f ms\n", partitions,
                ms_since(t));
    ASSERT_EQ(logs.size(), static_cast<std::size_t>(partitions));
    for (const auto& l : logs) {
        EXPECT_TRUE(l->recovery().clean_shutdown);
        EXPECT_EQ(l->log_end_offset(), model::offset(15));
    }
    run(io, close_all(logs));
    std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace tributary::storage::test
