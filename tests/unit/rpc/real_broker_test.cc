// The client against the real broker binary: version negotiation with Tributary's own ApiVersions,
// Metadata at the version it picks, and pipelined calls. The broker is the one this build produced
// (TRIBUTARY_BROKER_BIN), started per test like the integration tests start it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "net/when_all.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"
#include "rpc/client.h"
#include "test_ports.h"

extern char** environ;

namespace tributary::rpc {
namespace {

using namespace std::chrono_literals;

using test::claim_port;

class rpc_real_broker_test : public ::testing::Test {
protected:
    rpc_real_broker_test() : port_(claim_port()) {
        dir_ = std::filesystem::temp_directory_path() / ("rpc-broker-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        const std::string listen = "127.0.0.1:" + std::to_string(port_);
        const std::string data = (dir_ / "data").string();
        const std::string log = (dir_ / "broker.log").string();
        std::vector<std::string> args = {TRIBUTARY_BROKER_BIN, "serve", "--listen", listen, "--data-dir", data, "--smp", "1"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) pid_ = -1;
    }
    ~rpc_real_broker_test() override {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the broker did not stop cleanly";
        }
        std::filesystem::remove_all(dir_);
    }

    // Runs `body()` on io_ until it finishes.
    template <typename F>
    void run(F body) {
        bool done = false;
        std::exception_ptr error;
        asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
            error = e;
            done = true;
        });
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!done && std::chrono::steady_clock::now() < deadline) io_.run_one_for(50ms);
        ASSERT_TRUE(done);
        if (error) std::rethrow_exception(error);
    }

    std::uint16_t port_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    asio::io_context io_;
};

awaitable<std::string> metadata_call(client& c, std::int16_t version) {
    auto r = co_await c.call<protocol::metadata_response>(protocol::metadata_request{}, version, 5s);
    if (!r) co_return std::string(to_string(r.error()));
    if (r->brokers.size() != 1) co_return std::to_string(r->brokers.size()) + " brokers";
    co_return r->brokers[0].host + ":" + std::to_string(r->brokers[0].port);
}

TEST_F(rpc_real_broker_test, NegotiatesAndPipelinesMetadataWithTheRealBroker) {
    ASSERT_GT(pid_, 0) << "could not start " << TRIBUTARY_BROKER_BIN;
    client_config cfg;
    cfg.port = port_;
    cfg.client_id = "tributary-broker-2";
    cfg.negotiate_versions = true;
    cfg.reconnect_backoff = 10ms;
    cfg.reconnect_backoff_max = 50ms;
    client c(io_.get_executor(), cfg);
    run([&]() -> awaitable<void> {
        // The broker is starting: connect until it listens.
        rpc_error e = rpc_error::connect_failed;
        const auto deadline = client::clock::now() + 10s;
        while (e != rpc_error::none && client::clock::now() < deadline) e = co_await c.connect(1s);
        EXPECT_EQ(e, rpc_error::none) << c.last_error();
        if (e != rpc_error::none) {
            co_await c.close();
            co_return;
        }
        const auto version = c.versions()->pick<protocol::metadata_request>();
        EXPECT_TRUE(version.has_value());
        const std::string expected = "127.0.0.1:" + std::to_string(port_);

        std::vector<awaitable<std::string>> tasks;
        for (int i = 0; i < 50; ++i) tasks.push_back(metadata_call(c, version.value_or(0)));
        for (const auto& r : co_await net::when_all(std::move(tasks))) EXPECT_EQ(r, expected);

        protocol::api_versions_request req;
        req.client_software_name = "tributary";
        req.client_software_version = "0.1.0";
        auto versions = co_await c.call<protocol::api_versions_response>(req, 3, 5s);
        EXPECT_TRUE(versions.ok());
        if (versions) {
            EXPECT_EQ(versions->error_code, 0);
        }
        co_await c.close();
    });
}

}  // namespace
}  // namespace tributary::rpc
