#include "kafka/handlers/produce.h"

#include <chrono>

#include "cluster/config_registry.h"
#include "cluster/effective_config.h"
#include "cluster/partition_manager.h"
#include "kafka/leader_hints.h"
#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"
#include "protocol/produce_validation.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_reader.h"

namespace tributary::kafka {
namespace {

using model::error_code;

// The client id of Kafka's own admin tooling (AdminUtils.ADMIN_CLIENT_ID), the one id that may
// append to internal topics.
constexpr std::string_view kafka_admin_client_id = "__admin_client";

struct partition_result {
    error_code error = error_code::none;
    std::optional<std::string> message;
    std::int64_t base_offset = -1;
    std::int64_t log_append_time = -1;
    std::int64_t log_start_offset = -1;
    std::vector<protocol::record_error> record_errors;  // Produce v8+
};

partition_result failed(error_code e, std::optional<std::string> message = std::nullopt) {
    partition_result r;
    r.error = e;
    r.message = std::move(message);
    return r;
}

// Kafka's checks on the records of one partition (protocol/produce_validation.h), then what Tributary
// cannot store yet: transactional batches.
partition_result validate(const protocol::records& records, std::int16_t version, const storage::log_config& config) {
    auto data = records.data();
    if (records.is_null() || data.empty())
        return failed(error_code::invalid_record,
                      "Produce requests with version " + std::to_string(version) +
                          " must have at least one record batch per partition");
    protocol::produce_limits limits;
    limits.max_message_bytes = config.max_message_bytes;
    limits.timestamp_type = config.message_timestamp_type;
    limits.timestamp_before_max_ms = config.message_timestamp_before_max_ms;
    limits.timestamp_after_max_ms = config.message_timestamp_after_max_ms;
    limits.compacted = config.compact;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    // One reader per thread: its decompression buffer is reused from request to request.
    thread_local protocol::record_reader reader;
    auto checked = protocol::validate_produced_records(data, version, limits, now_ms, reader);
    if (!checked.ok()) {
        partition_result r = failed(checked.error, std::move(checked.message));
        r.record_errors = std::move(checked.record_errors);
        return r;
    }
    if (bytes::load_be16(data.data() + protocol::batch_format::attributes_at) & protocol::batch_format::transactional_bit)
        return failed(error_code::invalid_txn_state, "Transactions are not supported yet");
    return {};
}

struct append_item {
    std::size_t slot;  // index into the flat result vector
    model::topic_partition tp;
    bytes::mutable_bytes_view batches;
    std::int32_t min_insync_replicas = 1;
};

// The topic's min.insync.replicas (its own, else the broker's).
std::int32_t min_insync_replicas(const cluster::topic_metadata& t, const cluster::broker_config_layers& broker) {
    static const cluster::config_definition* def = cluster::find_topic_config("min.insync.replicas");
    if (def == nullptr) return 1;
    auto v = cluster::effective_topic_value(*def, t.overrides, broker);
    return v ? static_cast<std::int32_t>(cluster::integer_value(*v)) : 1;
}

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
                           std::int32_t min_insync, std::shared_ptr<bytes::uninit_buffer> frame,
                           std::shared_ptr<append_state> state) {
    auto r = co_await p->replicate(batches, {.acks_all = acks_all, .min_insync_replicas = min_insync});
    state->result = from_append(r);
    state->done = true;
    state->done_event.notify();
    (void)frame;  // held until the log no longer needs the batches
}

// Appends one partition's batches on its owner shard. An acks=all append that outlives `timeout` is
// answered REQUEST_TIMED_OUT, as Kafka does; the append itself still completes (it keeps the frame).
awaitable<partition_result> append_one(std::shared_ptr<cluster::partition> p, bytes::mutable_bytes_view batches,
                                       bool acks_all, std::int32_t min_insync, std::chrono::milliseconds timeout,
                                       std::shared_ptr<bytes::uninit_buffer> frame) {
    if (!p) co_return failed(error_code::not_leader_or_follower);
    auto ex = co_await asio::this_coro::executor;
    auto state = std::make_shared<append_state>(ex);
    asio::co_spawn(ex, run_append(p, batches, acks_all, min_insync, frame, state), asio::detached);
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
    // Kafka appends to an internal topic (__consumer_offsets...) only for its own admin client id;
    // any other client gets INVALID_TOPIC_EXCEPTION (ReplicaManager's internalTopicsAllowed).
    const bool internal_allowed = ctx.client_id == kafka_admin_client_id;

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
            if (t->internal && !internal_allowed) {
                results[slot] = failed(error_code::invalid_topic_exception,
                                       "Cannot append to internal topic " + t->name);
                continue;
            }
            results[slot] = validate(part.records, version, t->log_config);
            if (results[slot].error != error_code::none) continue;
            // The frame is this request's own mutable buffer (dispatch.h); the log patches it in place.
            auto view = part.records.data();
            bytes::mutable_bytes_view batches(const_cast<bytes::byte*>(view.data()), view.size());
            appends.push_back(append_item{slot, model::topic_partition{t->name, part.index}, batches,
                                          req.acks == -1 && t->replication_factor() > 1
                                              ? min_insync_replicas(*t, topics->broker_configs())
                                              : 1});
        }
    }

    const bool acks_all = req.acks == -1;
    const auto timeout = std::chrono::milliseconds(std::max(0, req.timeout_ms));
    auto append = [acks_all, timeout, frame = ctx.frame](std::shared_ptr<cluster::partition> p, append_item item) {
        return append_one(std::move(p), item.batches, acks_all, item.min_insync_replicas, timeout, frame);
    };
    auto appended = co_await on_owner_shards<partition_result>(ctx, appends, append);
    for (std::size_t i = 0; i < appends.size(); ++i) results[appends[i].slot] = std::move(appended[i]);

    if (req.acks == 0) co_return std::nullopt;

    response resp;
    leader_hints<response::node_endpoint> hints(*ctx.broker->metadata);
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
            if (r.error == error_code::not_leader_or_follower && version >= 10) {
                const auto* t = version >= 13 ? topics->find(topic.topic_id) : topics->find(topic.name);
                if (t != nullptr) hints.name_leader({t->name, part.index}, out.current_leader);
            }
            for (auto& e : r.record_errors) {
                response::batch_index_and_error_message record_error;
                record_error.batch_index = e.batch_index;
                record_error.batch_index_error_message = std::move(e.message);
                out.record_errors.push_back(std::move(record_error));
            }
            out_topic.partition_responses.push_back(std::move(out));
        }
        resp.responses.push_back(std::move(out_topic));
    }
    resp.node_endpoints = std::move(hints).endpoints();
    co_return resp;
}

}  // namespace tributary::kafka
