// A small Kafka-speaking server for the rpc client's tests: it decodes requests with the generated codecs
// (ApiVersions and Metadata), answers them, and misbehaves on demand (holds responses, answers late,
// closes mid-flight, sends a wrong correlation id, an oversized frame or a body that does not decode).
// It runs on the test's io_context, beside the client, so a test is one thread and deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bytes/bytes.h"
#include "bytes/reader.h"
#include "bytes/writer.h"
#include "net/asio.h"
#include "protocol/api_keys.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"

namespace tributary::rpc::test {

class test_server {
public:
    // What the server does; a test changes it between calls (it applies to the next request read).
    struct behaviour {
        // Answers nothing until this many requests of the connection are unanswered, then all of them.
        std::size_t hold_until = 1;
        // Waits this long before answering.
        std::chrono::milliseconds delay{0};
        // Closes the connection, answering nothing, once this many requests were read on it (0: never).
        // Applies to the first connection only, so the client's reconnect finds a healthy server.
        std::size_t close_first_connection_after = 0;
        bool wrong_correlation_id = false;
        std::int32_t oversized_frame = 0;  // > 0: answer with a frame that claims this size
        bool malformed_body = false;
    };

    struct request_seen {
        std::int16_t api_key;
        std::int16_t api_version;
        std::int16_t header_version;
        std::optional<std::string> client_id;
    };

    // Listens on 127.0.0.1:`port` (0: any free port; port() tells which).
    test_server(asio::io_context& io, std::uint16_t port = 0) : io_(io), acceptor_(io) {
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen();
        ++active_;  // counted from the spawn, so stop() + active() cannot miss a coroutine not yet started
        asio::co_spawn(io_, accept_loop(this), asio::detached);
    }
    ~test_server() { stop(); }

    std::uint16_t port() const { return port_ != 0 ? port_ : acceptor_.local_endpoint().port(); }

    // Closes the listener and every connection; the coroutines end once the loop runs them (active()).
    void stop() {
        if (stopped_) return;
        port_ = port();
        stopped_ = true;
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        for (auto& weak : sockets_)
            if (auto s = weak.lock()) s->close(ignored);
    }
    std::size_t active() const { return active_; }

    behaviour b;
    std::size_t accepted = 0;
    std::size_t max_unanswered = 0;  // the most requests a connection held unanswered at once
    std::vector<request_seen> requests;

private:
    using tcp = asio::ip::tcp;

    struct counted {
        explicit counted(test_server* s) : server(s) {}
        ~counted() { --server->active_; }
        test_server* server;
    };

    static awaitable<void> accept_loop(test_server* self) {
        counted c(self);
        for (;;) {
            boost::system::error_code ec;
            auto socket = std::make_shared<tcp::socket>(co_await self->acceptor_.async_accept(
                asio::redirect_error(asio::use_awaitable, ec)));
            if (ec || self->stopped_) co_return;
            ++self->accepted;
            self->sockets_.push_back(socket);
            ++self->active_;
            asio::co_spawn(self->io_, serve(self, socket, self->accepted), asio::detached);
        }
    }

    static awaitable<void> serve(test_server* self, std::shared_ptr<tcp::socket> socket, std::size_t number) {
        counted c(self);
        std::vector<bytes::writer> held;
        std::size_t read = 0;
        for (;;) {
            boost::system::error_code ec;
            bytes::byte size_bytes[4];
            co_await asio::async_read(*socket, asio::buffer(size_bytes), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            bytes::byte_vector frame(bytes::load_be32(size_bytes));
            co_await asio::async_read(*socket, asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            ++read;
            if (number == 1 && self->b.close_first_connection_after != 0 && read >= self->b.close_first_connection_after) {
                socket->close(ec);
                co_return;
            }
            held.push_back(self->answer(frame));
            self->max_unanswered = std::max(self->max_unanswered, held.size());
            if (held.size() < self->b.hold_until) continue;
            if (self->b.delay.count() > 0) {
                asio::steady_timer t(self->io_, self->b.delay);
                co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            std::vector<asio::const_buffer> buffers;
            for (auto& w : held)
                for (auto f : w.fragments()) buffers.emplace_back(f.data(), f.size());
            co_await asio::async_write(*socket, buffers, asio::redirect_error(asio::use_awaitable, ec));
            held.clear();
            if (ec) co_return;
        }
    }

    // The response frame for one request frame, as src/kafka/handlers/handler.h encodes one.
    bytes::writer answer(const bytes::byte_vector& frame) {
        bytes::reader r(frame);
        const std::int16_t key = r.read_int16();
        const std::int16_t version = r.read_int16();
        bytes::reader header_reader(frame);
        protocol::request_header header;
        const std::int16_t header_version = protocol::request_header_version(key, version);
        header.decode(header_reader, header_version);
        requests.push_back({key, version, header_version, header.client_id});

        bytes::writer out;
        const auto size_slot = out.reserve_int32();
        if (b.oversized_frame > 0) {
            out.patch_int32(size_slot, b.oversized_frame);
            out.write_int32(header.correlation_id);
            return out;
        }
        protocol::response_header response_header;
        response_header.correlation_id = b.wrong_correlation_id ? header.correlation_id + 1000 : header.correlation_id;
        response_header.encode(out, protocol::response_header_version(key, version));
        if (b.malformed_body) {
            out.write_int8(7);  // shorter than any response body
        } else if (key == protocol::api_versions_request::api_key) {
            protocol::api_versions_request req;
            req.decode(header_reader, version);
            protocol::api_versions_response resp;
            resp.api_keys.push_back({protocol::api_versions_request::api_key, 0, 3, {}});
            resp.api_keys.push_back({protocol::metadata_request::api_key, 1, 12, {}});
            resp.encode(out, version);
        } else if (key == protocol::metadata_request::api_key) {
            protocol::metadata_request req;
            req.decode(header_reader, version);
            protocol::metadata_response resp;
            resp.brokers.push_back({model::node_id(1), "127.0.0.1", port(), std::nullopt, {}});
            for (const auto& t : req.topics.value_or(std::vector<protocol::metadata_request::metadata_request_topic>{})) {
                protocol::metadata_response::metadata_response_topic topic;
                topic.name = t.name;
                resp.topics.push_back(std::move(topic));
            }
            resp.encode(out, version);
        }
        out.patch_int32(size_slot, static_cast<std::int32_t>(out.size() - 4));
        return out;
    }

    asio::io_context& io_;
    tcp::acceptor acceptor_;
    std::vector<std::weak_ptr<tcp::socket>> sockets_;
    std::uint16_t port_ = 0;
    std::size_t active_ = 0;
    bool stopped_ = false;
};

}  // namespace tributary::rpc::test
