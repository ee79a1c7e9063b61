#include "rpc/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "net/when_all.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"
#include "test_server.h"

namespace tributary::rpc {
namespace {

using namespace std::chrono_literals;
using test::test_server;

// The client and the test server share one io_context driven by the test thread: one thread, as a shard.
class rpc_client_test : public ::testing::Test {
protected:
    ~rpc_client_test() override {
        if (client_) run([this]() -> awaitable<void> { co_await client_->close(); });
        client_.reset();
        if (server_) {
            server_->stop();
            drain([this] { return server_->active() == 0; });
        }
    }

    client_config config(std::uint16_t port) {
        client_config c;
        c.port = port;
        c.client_id = "tributary-broker-7";
        c.reconnect_backoff = 20ms;
        c.reconnect_backoff_max = 200ms;
        c.reconnect_jitter = 0;
        return c;
    }
    client& start(client_config c) {
        client_ = std::make_unique<client>(io_.get_executor(), std::move(c));
        return *client_;
    }
    test_server& serve(std::uint16_t port = 0) {
        server_ = std::make_unique<test_server>(io_, port);
        return *server_;
    }

    // Runs `body()` on the loop until it finishes (at most a few seconds: a hang fails, not blocks).
    template <typename F>
    void run(F body) {
        bool done = false;
        std::exception_ptr error;
        asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
            error = e;
            done = true;
        });
        drain([&] { return done; });
        ASSERT_TRUE(done) << "the test's coroutine did not finish";
        if (error) std::rethrow_exception(error);
    }
    template <typename Pred>
    void drain(Pred finished) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        io_.restart();
        while (!finished() && std::chrono::steady_clock::now() < deadline) io_.run_one_for(50ms);
    }

    asio::io_context io_;
    std::unique_ptr<test_server> server_;
    std::unique_ptr<client> client_;
};

protocol::metadata_request metadata_for(std::string topic) {
    protocol::metadata_request req;
    req.topics->push_back({{}, std::move(topic), {}});
    return req;
}

// The topic the response names, or the error: enough to check that each call got its own response.
awaitable<std::string> topic_of(client& c, std::string topic, std::int16_t version, client::clock::duration timeout) {
    auto r = co_await c.call<protocol::metadata_response>(metadata_for(std::move(topic)), version, timeout);
    if (!r) co_return "error: " + std::string(to_string(r.error()));
    if (r->topics.size() != 1) co_return "error: " + std::to_string(r->topics.size()) + " topics";
    co_return r->topics[0].name.value_or("<null>");
}

TEST_F(rpc_client_test, ApiVersionsRoundTripUsesHeaderV2AndTheClientId) {
    auto& server = serve();
    auto& c = start(config(server.port()));
    run([&]() -> awaitable<void> {
        protocol::api_versions_request req;
        req.client_software_name = "tributary";
        req.client_software_version = "0.1.0";
        auto r = co_await c.call<protocol::api_versions_response>(req, 3, 1s);
        EXPECT_TRUE(r.ok()) << to_string(r.error());
        if (!r) co_return;
        EXPECT_EQ(r->api_keys.size(), 2u);
        if (r->api_keys.size() != 2) co_return;
        EXPECT_EQ(r->api_keys[1].api_key, protocol::metadata_request::api_key);
        EXPECT_EQ(r->api_keys[1].max_version, 12);
    });
    ASSERT_EQ(server.requests.size(), 1u);
    EXPECT_EQ(server.requests[0].header_version, 2);
    EXPECT_EQ(server.requests[0].client_id, "tributary-broker-7");
    EXPECT_TRUE(c.connected());
}

TEST_F(rpc_client_test, MetadataAtAnOldAndAFlexibleVersion) {
    auto& server = serve();
    auto& c = start(config(server.port()));
    run([&]() -> awaitable<void> {
        EXPECT_EQ(co_await topic_of(c, "old", 4, 1s), "old");
        EXPECT_EQ(co_await topic_of(c, "flexible", 12, 1s), "flexible");
    });
    ASSERT_EQ(server.requests.size(), 2u);
    EXPECT_EQ(server.requests[0].header_version, 1);
    EXPECT_EQ(server.requests[1].header_version, 2);
    EXPECT_EQ(server.accepted, 1u);
}

TEST_F(rpc_client_test, NegotiatesVersionsOnConnect) {
    auto& server = serve();
    auto cfg = config(server.port());
    cfg.negotiate_versions = true;
    auto& c = start(cfg);
    EXPECT_FALSE(c.versions().has_value());
    run([&]() -> awaitable<void> { EXPECT_EQ(co_await c.connect(1s), rpc_error::none); });
    ASSERT_TRUE(c.versions().has_value());
    EXPECT_EQ(c.versions()->pick<protocol::metadata_request>(), 12);  // ours go to 13, the peer's to 12
    EXPECT_EQ(c.versions()->pick(protocol::metadata_request::api_key, 0, 3), 3);
    EXPECT_EQ(c.versions()->pick(protocol::metadata_request::api_key, 13, 13), std::nullopt);
    EXPECT_EQ(c.versions()->pick(52 /* Vote */, 0, 2), std::nullopt);  // not served by the peer
    ASSERT_EQ(server.requests.size(), 1u);
    EXPECT_EQ(server.requests[0].api_key, protocol::api_versions_request::api_key);
}

TEST_F(rpc_client_test, PipelinesManyCallsOnOneConnection) {
    constexpr std::size_t calls = 128;
    auto& server = serve();
    server.b.hold_until = calls;  // answers only once all of them are in flight together
    auto cfg = config(server.port());
    cfg.max_in_flight = calls;
    auto& c = start(cfg);
    run([&]() -> awaitable<void> {
        std::vector<awaitable<std::string>> tasks;
        for (std::size_t i = 0; i < calls; ++i) tasks.push_back(topic_of(c, "t" + std::to_string(i), 12, 2s));
        auto topics = co_await net::when_all(std::move(tasks));
        for (std::size_t i = 0; i < calls; ++i) EXPECT_EQ(topics[i], "t" + std::to_string(i));
    });
    EXPECT_EQ(server.accepted, 1u);
    EXPECT_EQ(server.max_unanswered, calls);
}

TEST_F(rpc_client_test, CallsBeyondTheBoundWaitForASlot) {
    auto& server = serve();
    server.b.hold_until = 4;
    auto cfg = config(server.port());
    cfg.max_in_flight = 4;
    auto& c = start(cfg);
    run([&]() -> awaitable<void> {
        std::vector<awaitable<std::string>> tasks;
        for (int i = 0; i < 12; ++i) tasks.push_back(topic_of(c, "t" + std::to_string(i), 12, 2s));
        auto topics = co_await net::when_all(std::move(tasks));
        for (int i = 0; i < 12; ++i) EXPECT_EQ(topics[static_cast<std::size_t>(i)], "t" + std::to_string(i));
    });
    EXPECT_EQ(server.max_unanswered, 4u);
    EXPECT_EQ(server.requests.size(), 12u);
}

TEST_F(rpc_client_test, ServerClosingMidFlightFailsEveryCallAndTheNextCallReconnects) {
    auto& server = serve();
    server.b.hold_until = 100;
    server.b.close_first_connection_after = 3;
    auto& c = start(config(server.port()));
    run([&]() -> awaitable<void> {
        std::vector<awaitable<std::string>> tasks;
        for (int i = 0; i < 3; ++i) tasks.push_back(topic_of(c, "t" + std::to_string(i), 12, 2s));
        auto topics = co_await net::when_all(std::move(tasks));
        for (const auto& t : topics) EXPECT_EQ(t, "error: disconnected");
        EXPECT_FALSE(c.connected());
        EXPECT_EQ(c.last_error(), "the peer closed the connection");

        server.b.hold_until = 1;
        EXPECT_EQ(co_await topic_of(c, "again", 12, 1s), "again");
    });
    EXPECT_EQ(server.accepted, 2u);
}

TEST_F(rpc_client_test, ASlowResponseTimesOutAndClosesTheConnection) {
    auto& server = serve();
    server.b.delay = 50ms;
    auto& c = start(config(server.port()));
    run([&]() -> awaitable<void> {
        EXPECT_EQ(co_await topic_of(c, "slow", 12, 10ms), "error: timed out");
        EXPECT_FALSE(c.connected());
        EXPECT_NE(c.last_error().find("within its timeout"), std::string::npos) << c.last_error();

        server.b.delay = 0ms;
        EXPECT_EQ(co_await topic_of(c, "fast", 12, 1s), "fast");
    });
    EXPECT_EQ(server.accepted, 2u);
}

TEST_F(rpc_client_test, AWrongCorrelationIdDisconnects) {
    auto& server = serve();
    server.b.wrong_correlation_id = true;
    auto& c = start(config(server.port()));
    run([&]() -> awaitable<void> {
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1s), "error: disconnected");
        EXPECT_NE(c.last_error().find("correlation id"), std::string::npos) << c.last_error();
        server.b.wrong_correlation_id = false;
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1s), "t");
    });
}

TEST_F(rpc_client_test, AnOversizedFrameDisconnects) {
    auto& server = serve();
    server.b.oversized_frame = 1 << 20;
    auto cfg = config(server.port());
    cfg.max_response_bytes = 64 * 1024;
    auto& c = start(cfg);
    run([&]() -> awaitable<void> {
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1s), "error: disconnected");
        EXPECT_NE(c.last_error().find("1048576 bytes is outside [4, 65536]"), std::string::npos) << c.last_error();
    });
}

TEST_F(rpc_client_test, ABodyThatDoesNotDecodeFailsTheCallAndClosesTheConnection) {
    auto& server = serve();
    server.b.malformed_body = true;
    auto& c = start(config(server.port()));
    run([&]() -> awaitable<void> {
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1s), "error: malformed response");
        EXPECT_FALSE(c.connected());
        EXPECT_NE(c.last_error().find("malformed Metadata v12 response body"), std::string::npos) << c.last_error();
    });
}

TEST_F(rpc_client_test, ConnectRefusedBacksOffThenSucceedsOnceTheServerIsUp) {
    // A port that was free a moment ago: nothing listens there, so connecting is refused.
    std::uint16_t port;
    {
        test_server probe(io_);
        port = probe.port();
        probe.stop();
        drain([&] { return probe.active() == 0; });
    }
    auto& c = start(config(port));  // backoff 20 ms, doubling, no jitter
    run([&]() -> awaitable<void> {
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1s), "error: connect failed");
        EXPECT_NE(c.last_error().find("(next attempt in 20 ms)"), std::string::npos) << c.last_error();
        // A call whose deadline comes before the next attempt fails at once, without trying (had it
        // waited, its deadline would have ended it with timed_out).
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1ms), "error: connect failed");
        // The second failure in a row waits twice as long.
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1s), "error: connect failed");
        EXPECT_NE(c.last_error().find("(next attempt in 40 ms)"), std::string::npos) << c.last_error();

        serve(port);
        // This call waits out the backoff, then connects.
        EXPECT_EQ(co_await topic_of(c, "up", 12, 1s), "up");
    });
}

// Closes `c` once the server has read `requests` requests.
awaitable<std::string> close_once_sent(client& c, test_server& server, std::size_t requests) {
    auto ex = co_await asio::this_coro::executor;
    while (server.requests.size() < requests) {
        asio::steady_timer t(ex, 1ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    co_await c.close();
    co_return "closed";
}

TEST_F(rpc_client_test, CloseFailsEveryPendingAndWaitingCall) {
    auto& server = serve();
    server.b.hold_until = 1000;  // never answers
    auto cfg = config(server.port());
    cfg.max_in_flight = 3;
    auto& c = start(cfg);
    run([&]() -> awaitable<void> {
        std::vector<awaitable<std::string>> tasks;
        for (int i = 0; i < 5; ++i) tasks.push_back(topic_of(c, "t", 12, 10s));  // 3 in flight, 2 waiting
        tasks.push_back(close_once_sent(c, server, 3));
        auto results = co_await net::when_all(std::move(tasks));
        for (int i = 0; i < 5; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)], "error: client closed");
        EXPECT_EQ(co_await topic_of(c, "t", 12, 1s), "error: client closed");
        EXPECT_EQ(co_await c.connect(1s), rpc_error::closed);
    });
    client_.reset();  // destroyed right after close(): ASan checks nothing still refers to it
}

TEST_F(rpc_client_test, ACallThatTimesOutBeforeItIsWrittenIsNeverSent) {
    auto& server = serve();
    server.b.hold_until = 2;
    auto cfg = config(server.port());
    cfg.max_in_flight = 1;
    auto& c = start(cfg);
    run([&]() -> awaitable<void> {
        std::vector<awaitable<std::string>> tasks;
        tasks.push_back(topic_of(c, "first", 12, 50ms));    // written, unanswered: times out, closes
        tasks.push_back(topic_of(c, "waiting", 12, 20ms));  // waits for a slot: times out alone
        auto results = co_await net::when_all(std::move(tasks));
        EXPECT_EQ(results[0], "error: timed out");
        EXPECT_EQ(results[1], "error: timed out");
    });
    EXPECT_EQ(server.requests.size(), 1u);  // the waiting call was never sent
}

TEST(rpc_backoff_test, DoublesFromTheInitialValueUpToTheMaximum) {
    reconnect_backoff b(50ms, 1000ms, 0, 1);
    EXPECT_EQ(b.delay(1), 50ms);
    EXPECT_EQ(b.delay(2), 100ms);
    EXPECT_EQ(b.delay(3), 200ms);
    EXPECT_EQ(b.delay(5), 800ms);
    EXPECT_EQ(b.delay(6), 1000ms);
    EXPECT_EQ(b.delay(1000), 1000ms);
}

TEST(rpc_backoff_test, JitterStaysWithinItsFractionAndTheMaximum) {
    reconnect_backoff b(100ms, 1000ms, 0.2, 42);
    bool varied = false;
    for (int i = 0; i < 200; ++i) {
        auto d = b.delay(2);
        EXPECT_GE(d, 160ms);
        EXPECT_LE(d, 240ms);
        varied = varied || d != 200ms;
        EXPECT_LE(b.delay(20), 1000ms);
    }
    EXPECT_TRUE(varied);
}

TEST(rpc_peer_versions_test, PicksTheHighestCommonVersion) {
    protocol::api_versions_response resp;
    resp.api_keys.push_back({1, 4, 12, {}});   // Fetch
    resp.api_keys.push_back({52, 0, 1, {}});  // Vote
    peer_versions v(resp);
    EXPECT_EQ(v.pick(1, 4, 18), 12);
    EXPECT_EQ(v.pick(1, 0, 6), 6);
    EXPECT_EQ(v.pick(52, 2, 2), std::nullopt);
    EXPECT_EQ(v.pick(53, 0, 1), std::nullopt);
    EXPECT_EQ(v.pick(400, 0, 1), std::nullopt);
    EXPECT_EQ(v.range(52), (std::pair<std::int16_t, std::int16_t>{0, 1}));
}

}  // namespace
}  // namespace tributary::rpc
