// Loopback ports for unit tests that listen: below the ephemeral range, in a block of 100 that no other
// test process uses (the integration tests' scheme, tests/integration/conftest.py: the block is claimed
// with an flock held until the process exits; a process that uses up its block claims another and keeps
// both, since a port it handed out may not be bound yet). A port picked by binding port 0 and releasing
// it is not safe here: the broker's listeners set SO_REUSEPORT, so two test processes that drew the same
// port would share it, and connections would reach the other process.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "net/asio.h"

namespace tributary::test {

// A port of this process's block that nothing is bound to now.
inline std::uint16_t claim_port() {
    static int next = 0, end = 0;
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tributary-test-ports";
    std::filesystem::create_directories(dir);
    for (;;) {
        if (next >= end) {
            for (int first = 20000; first < 32000; first += 100) {
                int fd = ::open((dir / (std::to_string(first) + ".lock")).c_str(), O_CREAT | O_WRONLY, 0644);
                if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
                    // The descriptor stays open, so the lock is held until exit; earlier blocks stay
                    // locked too, since a port already handed out may not be bound yet.
                    next = first;
                    end = first + 100;
                    break;
                }
                if (fd >= 0) ::close(fd);
            }
            if (next >= end) throw std::runtime_error("every block of test ports is claimed");
        }
        const auto port = static_cast<std::uint16_t>(next++);
        asio::io_context io;
        asio::ip::tcp::acceptor probe(io);
        boost::system::error_code ec;
        probe.open(asio::ip::tcp::v4(), ec);
        probe.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
        if (!ec) return port;
    }
}

}  // namespace tributary::test
