// tributary: the broker and, later, its command-line tools, in one binary.
//
//   tributary serve [--config server.properties] [--listen HOST:PORT] [--advertise HOST:PORT]
//                   [--data-dir DIR] [--node-id N] [--voters ID@HOST:PORT,...] [--smp N]
//   tributary check-log DATA_DIR [--partition NAME] [--force]
//   tributary version
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "app/broker.h"
#include "app/crash_handler.h"
#include "app/config_file.h"
#include "net/asio.h"
#include "server/config.h"
#include "storage/log_checker.h"

namespace tributary {
namespace {

constexpr const char* version_string = "0.1.0";

// Parses "host:port" (the host may be empty for "all interfaces" in listen addresses).
bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    unsigned value = 0;
    auto port_text = std::string_view(text).substr(colon + 1);
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value > 65535) return false;
    host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    port = static_cast<std::uint16_t>(value);
    return true;
}

int serve(server::broker_config config) {
#ifndef __SANITIZE_ADDRESS__
    app::install_crash_handler();  // sanitizer builds print their own, better reports
#endif
    app::broker b(std::move(config));
    b.start();
    asio::io_context signals_context;
    asio::signal_set signals(signals_context, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code& ec, int signo) {
        if (!ec) spdlog::info("received signal {}, shutting down", signo);
    });
    signals_context.run();
    // Graceful: stop accepting, answer what was read (shutdown.drain.timeout.ms), flush, close logs.
    const auto started = std::chrono::steady_clock::now();
    b.stop();
    spdlog::info("shutdown complete in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::steady_clock::now() - started)
                                                    .count());
    return 0;
}

// `tributary check-log`: storage::check_data_dir over a stopped broker's data directory. Exit status 0
// iff every partition is consistent, 1 if any is not, 2 if the directory cannot be checked.
int check_log(const std::string& data_dir, const std::string& partition, bool force) {
    const std::filesystem::path dir(data_dir);
    if (!force) {
        // The broker holds an exclusive flock on .lock while it runs (storage/data_dir.h).
        const int fd = ::open((dir / ".lock").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
            ::close(fd);
            if (locked) {
                std::fprintf(stderr, "%s is in use by a running broker: stop it first (or --force to read it anyway)\n",
                             data_dir.c_str());
                return 2;
            }
        }
    }
    auto& fs = storage::posix_file_system();
    std::vector<storage::partition_check> checks;
    if (partition.empty()) {
        checks = storage::check_data_dir(fs, dir);
    } else {
        checks.push_back(storage::check_partition_dir(fs, dir / partition));
    }
    std::size_t problems = 0;
    for (const auto& c : checks) {
        std::printf("%s: %zu segment(s), %llu batch(es), %llu record(s), %llu bytes, offsets [%lld, %lld), "
                    "%zu index entries checked: %s\n",
                    c.dir.filename().c_str(), c.segments, static_cast<unsigned long long>(c.batches),
                    static_cast<unsigned long long>(c.records), static_cast<unsigned long long>(c.bytes),
                    static_cast<long long>(c.log_start_offset.value()),
                    static_cast<long long>(c.log_end_offset.value()), c.index_entries,
                    c.problems.empty() ? "OK" : "PROBLEMS");
        for (const auto& n : c.notes) std::printf("  note: %s\n", n.c_str());
        for (const auto& p : c.problems) std::printf("  problem: %s\n", p.c_str());
        problems += c.problems.size();
    }
    std::printf("check-log: %zu partition(s), %zu problem(s)\n", checks.size(), problems);
    return problems == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tributary

int main(int argc, char** argv) {
    using namespace tributary;
    CLI::App app{"Tributary: a Kafka-compatible event streaming broker"};
    app.require_subcommand(1);

    server::broker_config config;
    std::string listen = "127.0.0.1:9092";
    std::string advertise;
    std::string log_level = "info";
    std::string config_file;
    auto* serve_cmd = app.add_subcommand("serve", "Run the broker");
    serve_cmd->add_option("--config", config_file,
                          "Kafka-style server.properties (listeners, log.dirs, node.id, num.partitions, log.*...); "
                          "flags given too override it");
    auto* listen_opt =
        serve_cmd->add_option("--listen", listen, "Address to listen on (host:port)")->capture_default_str();
    auto* advertise_opt =
        serve_cmd->add_option("--advertise", advertise, "Address clients are told to connect to (default: --listen)");
    auto* data_dir_opt = serve_cmd->add_option("--data-dir", config.data_dir, "Data directory")->capture_default_str();
    auto* node_id_opt =
        serve_cmd->add_option("--node-id", config.node_id, "This broker's node id")->capture_default_str();
    serve_cmd->add_option("--smp", config.smp, "Event-loop threads (0 = one per core)")->capture_default_str();
    std::string voters;
    auto* voters_opt = serve_cmd->add_option(
        "--voters", voters,
        "The cluster's brokers, id@host:port,... (cluster.voters); each also needs --node-id");
    auto* max_bytes_opt = serve_cmd
                              ->add_option("--socket-request-max-bytes", config.socket_request_max_bytes,
                                           "Largest request frame accepted")
                              ->capture_default_str();
    serve_cmd->add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

    auto* version_cmd = app.add_subcommand("version", "Print the version");

    std::string check_dir;
    std::string check_partition;
    bool check_force = false;
    auto* check_cmd = app.add_subcommand(
        "check-log", "Check a stopped broker's logs: batch CRCs, offsets, indexes, checkpoints (exit 1 on problems)");
    check_cmd->add_option("data-dir", check_dir, "The broker's data directory (log.dirs)")->required();
    check_cmd->add_option("--partition", check_partition, "Only this partition directory (e.g. events-0)");
    check_cmd->add_flag("--force", check_force, "Check even if a running broker holds the directory");

    CLI11_PARSE(app, argc, argv);

    if (*version_cmd) {
        std::printf("tributary %s\n", version_string);
        return 0;
    }
    if (*check_cmd) return check_log(check_dir, check_partition, check_force);
    spdlog::set_level(spdlog::level::from_str(log_level));
    if (!parse_host_port(listen, config.listen_host, config.listen_port)) {
        spdlog::error("--listen must be host:port, got '{}'", listen);
        return 2;
    }
    if (!advertise.empty() && !parse_host_port(advertise, config.advertised_host, config.advertised_port)) {
        spdlog::error("--advertise must be host:port, got '{}'", advertise);
        return 2;
    }
    // Kafka-named configs: the file's, then the flags given on the command line.
    cluster::config_map props;
    if (!config_file.empty()) {
        if (auto e = app::read_properties_file(config_file, props)) {
            spdlog::error("--config: {}", *e);
            return 2;
        }
    }
    if (listen_opt->count()) props["listeners"] = "PLAINTEXT://" + listen;
    if (advertise_opt->count()) props["advertised.listeners"] = "PLAINTEXT://" + advertise;
    if (data_dir_opt->count()) props["log.dirs"] = config.data_dir;
    if (node_id_opt->count()) {
        props["node.id"] = std::to_string(config.node_id);
        props.erase("broker.id");
    }
    if (voters_opt->count()) props["cluster.voters"] = voters;
    if (max_bytes_opt->count()) props["socket.request.max.bytes"] = std::to_string(config.socket_request_max_bytes);
    std::vector<std::string> unknown;
    if (auto e = app::apply_static_configs(std::move(props), config, unknown)) {
        spdlog::error("configuration: {}", *e);
        return 2;
    }
    if (!unknown.empty()) {
        std::string names;
        for (const auto& n : unknown) names += (names.empty() ? "" : ", ") + n;
        spdlog::warn("these configs are not used by Tributary: {}", names);
    }
    try {
        return serve(config);
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        return 1;
    }
}
