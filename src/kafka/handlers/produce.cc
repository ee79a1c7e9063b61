#include "kafka/handlers/produce.h"

#include <chrono>

#include "cluster/partition_manager.h"
#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"
#include "protocol/record_batch.h"

namespace tributary::kafka {
namespace {

using model::error_code;

struct partition_result {
    error_code error = error_code::none;
    std::optional<std::string> message;
    std::int64_t base_offset = -1;
    std::int64_t log_append_time = -1;
    std::int64_t log_start_offset = -1;
};

partition_result failed(error_code e, std::optional<std::string> message = std::nullopt) {
    partition_result r;
    r.error = e;
    r.message = std::move(message);
    return r;
}

// Kafka's ProduceRequest.validateRecords and the header checks of its LogValidator, in that order: one
// v2 batch per partition, zstd only from v7, within max.message.bytes, an intact CRC, a record for every
// offset, and no control batches from clients.
partition_result validate(const protocol::records& records, std::int16_t version, std::int32_t max_message_bytes) {
    auto data = records.data();
    if (records.is_null() || data.empty())
        return failed(error_code::invalid_record, "Produce requests must have at least one record batch per partition");
    auto header = protocol::parse_header(data);
    if (!header) {
        auto e = header.error();
        if (e == protocol::batch_error::unsupported_magic || e == protocol::batch_error::invalid_magic)
            return failed(error_code::invalid_record, "Produce requests are only allowed to contain record batches with magic version 2");
        return failed(protocol::to_error_code(e), std::string(protocol::to_string(e)));
    }
    if (header->size_bytes() < data.size())
        return failed(error_code::invalid_record, "Produce requests are only allowed to contain exactly one record batch per partition");
    if (version < 7 && header->compression() == util::compression_type::zstd)
        return failed(error_code::unsupported_compression_type, "Produce requests with version < 7 cannot use zstd");
    if (header->size_bytes() > static_cast<std::size_t>(max_message_bytes))
        return failed(error_code::message_too_large,
                      "The batch is " + std::to_string(header->size_bytes()) +
                          " bytes, larger than max.message.bytes (" + std::to_string(max_message_bytes) + ")");
    auto checked = protocol::validate(data);
    if (!checked) return failed(protocol::to_error_code(checked.error()), std::string(protocol::to_string(checked.error())));
    if (auto e = protocol::check_produced_batch(*checked); e != protocol::batch_error::none)
        return failed(protocol::to_error_code(e), std::string(protocol::to_string(e)));
    if (checked->is_control()) return failed(error_code::invalid_record, "Clients are not allowed to write control records");
    if (checked->is_transactional())
        return failed(error_code::invalid_txn_state, "Transactions are not supported yet");
    return {};
}

struct append_item {
    std::size_t slot;  // index into the flat result vector
    model::topic_partition tp;
    bytes::mutable_bytes_view batches;
};

// The outcome of one append, shared between the appending coroutine and a waiter that may give up.
struct append_state {
    explicit append_state(asio::any_io_executor ex) : done_event(ex) {}
    net::event done_event;
    bool done = false;
    partition_result result;
};

partition_result from_append(const util::result<storage::append_result, storage::storage_error>& r) {
    if (!r) return failed(storage::to_error_code(r.error()), std::string(storage::to_string(r.error())));
    partition_result out;
    out.base_offset = r->base_offset.value();
    out.log_append_time = r->log_append_time;
    out.log_start_offset = r->log_start_offset.value();
    return out;
}

awaitable<void> run_append(std::shared_ptr<cluster::partition> p, bytes::mutable_bytes_view batches, bool acks_all,
                           std::shared_ptr<bytes::byte_vector> frame, std::shared_ptr<append_state> state) {
    storage::append_options options;
    options.acks_all = acks_all;
    auto r = co_await p->log().append(batches, p->leader_epoch(), options);
    state->result = from_append(r);
    state->done = true;
    state->done_event.notify();
    (void)frame;  // held until the log no longer needs the batches
}

// Appends one partition's batches on its owner shard. An acks=all append that outlives `timeout` is
// answered REQUEST_TIMED_OUT, as Kafka does; the append itself still completes (it keeps the frame).
awaitable<partition_result> append_one(std::shared_ptr<cluster::partition> p, bytes::mutable_bytes_view batches,
                                       bool acks_all, std::chrono::milliseconds timeout,
                                       std::shared_ptr<bytes::byte_vector> frame) {
    if (!p) co_return failed(error_code::not_leader_or_follower);
    auto ex = co_await asio::this_coro::executor;
    auto state = std::make_shared<append_state>(ex);
    asio::co_spawn(ex, run_append(p, batches, acks_all, frame, state), asio::detached);
    if (!acks_all) {
        while (!state->done) co_await state->done_event.wait();
        co_return state->result;
    }
    asio::steady_timer timer(ex, timeout);
    auto timer_state = state;
    timer.async_wait([timer_state](const boost::system::error_code& ec) {
        if (!ec) timer_state->done_event.notify();
    });
    co_await state->done_event.wait();
    timer.cancel();
    if (!state->done) co_return failed(error_code::request_timed_out);
    co_return state->result;
}

}  // namespace

awaitable<std::optional<protocol::produce_response>> produce_handler::handle(request_context& ctx, request req) {
    const std::int16_t version = ctx.api_version;

    // Flat results in request order: results[slot] for the slot-th partition of the request.
    std::vector<partition_result> results;
    std::vector<append_item> appends;
    const bool valid_acks = req.acks == 0 || req.acks == 1 || req.acks == -1;

    auto topics = topics_on(ctx);
    for (const auto& topic : req.topic_data) {
        const cluster::topic_metadata* t = version >= 13 ? topics->find(topic.topic_id) : topics->find(topic.name);
        for (const auto& part : topic.partition_data) {
            std::size_t slot = results.size();
            results.emplace_back();
            if (!valid_acks) {
                results[slot] = failed(error_code::invalid_required_acks);
                continue;
            }
            if (t == nullptr) {
                results[slot] = failed(version >= 13 ? error_code::unknown_topic_id : error_code::unknown_topic_or_partition);
                continue;
            }
            if (part.index < 0 || part.index >= t->partition_count()) {
                results[slot] = failed(error_code::unknown_topic_or_partition);
                continue;
            }
            results[slot] = validate(part.records, version, t->log_config.max_message_bytes);
            if (results[slot].error != error_code::none) continue;
            // The frame is this request's own mutable buffer (dispatch.h); the log patches it in place.
            auto view = part.records.data();
            bytes::mutable_bytes_view batches(const_cast<bytes::byte*>(view.data()), view.size());
            appends.push_back(append_item{slot, model::topic_partition{t->name, part.index}, batches});
        }
    }

    const bool acks_all = req.acks == -1;
    const auto timeout = std::chrono::milliseconds(std::max(0, req.timeout_ms));
    auto append = [acks_all, timeout, frame = ctx.frame](std::shared_ptr<cluster::partition> p, append_item item) {
        return append_one(std::move(p), item.batches, acks_all, timeout, frame);
    };
    auto appended = co_await on_owner_shards<partition_result>(ctx, appends, append);
    for (std::size_t i = 0; i < appends.size(); ++i) results[appends[i].slot] = std::move(appended[i]);

    if (req.acks == 0) co_return std::nullopt;

    response resp;
    std::size_t slot = 0;
    for (const auto& topic : req.topic_data) {
        response::topic_produce_response out_topic;
        out_topic.name = topic.name;
        out_topic.topic_id = topic.topic_id;
        for (const auto& part : topic.partition_data) {
            auto& r = results[slot++];
            response::partition_produce_response out;
            out.index = part.index;
            out.error_code = model::to_int(r.error);
            out.base_offset = r.base_offset;
            out.log_append_time_ms = r.log_append_time;
            out.log_start_offset = r.log_start_offset;
            out.error_message = std::move(r.message);
            out_topic.partition_responses.push_back(std::move(out));
        }
        resp.responses.push_back(std::move(out_topic));
    }
    co_return resp;
}

}  // namespace tributary::kafka
