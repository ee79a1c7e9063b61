#include "kafka/handlers/fetch.h"
#include "kafka/handlers/raft.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "cluster/partition_manager.h"
#include "kafka/fetch_session.h"
#include "kafka/leader_hints.h"
#include "kafka/partition_calls.h"
#include "kafka/topic_lookup.h"
#include "model/error_code.h"

namespace tributary::kafka {
namespace {

using model::error_code;
using clock = std::chrono::steady_clock;

constexpr std::int8_t read_committed = 1;

// One partition to read, in response order.
struct fetch_item {
    model::topic_partition tp;
    model::uuid topic_id;
    std::int64_t fetch_offset = 0;
    std::int32_t partition_max_bytes = 0;
    std::int32_t current_leader_epoch = -1;
    error_code error = error_code::none;  // decided before reading (unknown topic, ...)
};

struct partition_read {
    error_code error = error_code::none;
    std::int64_t high_watermark = -1;
    std::int64_t last_stable_offset = -1;
    std::int64_t log_start_offset = -1;
    std::shared_ptr<const void> buffer;
    bytes::bytes_view records;
    bytes::file_region region;  // instead of records: sent from the segment file (zero copy)

    std::size_t size() const { return region.size > 0 ? region.size : records.size(); }
    void drop_data() {
        records = {};
        buffer.reset();
        region = {};
    }
};

awaitable<partition_read> read_partition(std::shared_ptr<cluster::partition> p, fetch_item item,
                                         std::size_t max_bytes, bool committed, bool zero_copy,
                                         std::shared_ptr<cluster::data_waiter> waiter) {
    partition_read out;
    if (!p) {
        out.error = error_code::not_leader_or_follower;
        co_return out;
    }
    if (auto e = p->check_leader_epoch(item.current_leader_epoch); e != error_code::none) {
        out.error = e;
        co_return out;
    }
    const auto bound = committed ? cluster::read_bound::last_stable : cluster::read_bound::high_watermark;
    auto r = co_await p->read(model::offset(item.fetch_offset), max_bytes, bound, zero_copy);
    out.high_watermark = p->high_watermark().value();
    out.last_stable_offset = p->last_stable_offset().value();
    out.log_start_offset = p->log_start_offset().value();
    if (!r) {
        out.error = storage::to_error_code(r.error());
        co_return out;
    }
    out.buffer = r->buffer;
    out.records = r->records;
    out.region = std::move(r->region);
    // Nothing to return yet: ask to hear about the next high watermark move past our position.
    if (waiter && out.size() == 0) p->watch(model::offset(item.fetch_offset), waiter);
    co_return out;
}

// Reads every readable item once, on the owner shards. Returns results by item index.
awaitable<std::vector<partition_read>> read_all(const request_context& ctx, const std::vector<fetch_item>& items,
                                                std::size_t max_bytes, bool committed,
                                                std::shared_ptr<cluster::data_waiter> waiter) {
    std::vector<partition_read> results(items.size());
    std::vector<fetch_item> readable;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].error != error_code::none) {
            results[i].error = items[i].error;
            continue;
        }
        readable.push_back(items[i]);
        where.push_back(i);
    }
    const bool zero_copy = ctx.zero_copy;
    auto read = [max_bytes, committed, zero_copy, waiter](std::shared_ptr<cluster::partition> p, fetch_item item) {
        auto limit = std::min<std::size_t>(static_cast<std::size_t>(std::max(item.partition_max_bytes, 0)), max_bytes);
        return read_partition(std::move(p), std::move(item), limit, committed, zero_copy, waiter);
    };
    auto reads = co_await on_owner_shards<partition_read>(ctx, std::move(readable), read);
    for (std::size_t j = 0; j < where.size(); ++j) results[where[j]] = std::move(reads[j]);
    co_return results;
}

// Applies the response byte limit in item order: KIP-74 lets the first partition with data exceed it by
// one batch; after that a partition whose data does not fit is returned without records (the client
// fetches it again). Returns the bytes kept.
std::size_t apply_byte_limit(std::vector<partition_read>& reads, std::size_t max_bytes) {
    std::size_t used = 0;
    bool first = true;
    for (auto& r : reads) {
        if (r.size() == 0) continue;
        if (first || used + r.size() <= max_bytes) {
            used += r.size();
            first = false;
        } else {
            r.drop_data();
        }
    }
    return used;
}

}  // namespace

awaitable<protocol::fetch_response> fetch_handler::handle(request_context& ctx, request req) {
    const std::int16_t version = ctx.api_version;
    response resp;
    if (req.replica_id.value() >= 0 || req.replica_state.replica_id.value() >= 0) {
        co_return co_await replica_fetch(ctx, std::move(req));
    }
    auto topics = topics_on(ctx);
    auto& sessions = *ctx.broker->fetch_sessions[ctx.shard];

    // 1. Which partitions this fetch covers, and the session it belongs to.
    auto to_item = [&](const request::fetch_topic& t, const request::fetch_partition& p) {
        fetch_item item;
        const cluster::topic_metadata* meta = version >= 13 ? topics->find(t.topic_id) : topics->find(t.topic);
        item.tp.partition = p.partition;
        item.fetch_offset = p.fetch_offset;
        item.partition_max_bytes = p.partition_max_bytes;
        item.current_leader_epoch = p.current_leader_epoch;
        if (meta == nullptr) {
            item.tp.topic = t.topic;
            item.topic_id = t.topic_id;
            item.error = version >= 13 ? error_code::unknown_topic_id : error_code::unknown_topic_or_partition;
        } else {
            item.tp.topic = meta->name;
            item.topic_id = meta->id;
            if (p.partition < 0 || p.partition >= meta->partition_count()) item.error = error_code::unknown_topic_or_partition;
        }
        return item;
    };

    std::shared_ptr<fetch_session> session;
    bool incremental = false;
    if (req.session_id != 0) {
        if (req.session_epoch == -1 || req.session_epoch == 0) {
            sessions.remove(req.session_id);
        } else {
            session = sessions.find(req.session_id);
            if (!session) {
                resp.error_code = model::to_int(error_code::fetch_session_id_not_found);
                co_return resp;
            }
            if (session->next_epoch() != req.session_epoch || session->busy) {
                resp.error_code = model::to_int(error_code::invalid_fetch_session_epoch);
                co_return resp;
            }
            incremental = true;
        }
    }
    if (req.session_epoch == 0) session = sessions.create();  // null when the cache is full
    struct busy_guard {
        std::shared_ptr<fetch_session> s;
        explicit busy_guard(std::shared_ptr<fetch_session> session) : s(std::move(session)) { if (s) s->busy = true; }
        ~busy_guard() { if (s) s->busy = false; }
    } guard(session);

    std::vector<fetch_item> items;
    std::vector<session_partition*> cached;  // parallel to items when there is a session
    if (incremental) {
        for (const auto& t : req.forgotten_topics_data) {
            std::string name = t.topic;
            if (version >= 13)
                if (const auto* meta = topics->find(t.topic_id)) name = meta->name;
            for (auto p : t.partitions) session->forget(model::topic_partition{name, p});
        }
        for (const auto& t : req.topics)
            for (const auto& p : t.partitions) {
                auto item = to_item(t, p);
                session->upsert(session_partition{item.tp, item.topic_id, item.fetch_offset, item.partition_max_bytes,
                                                  item.current_leader_epoch});
            }
        for (auto& sp : session->partitions()) {
            cached.push_back(&sp);
            fetch_item item;
            item.tp = sp.tp;
            item.topic_id = sp.topic_id;
            item.fetch_offset = sp.fetch_offset;
            item.partition_max_bytes = sp.partition_max_bytes;
            item.current_leader_epoch = sp.current_leader_epoch;
            const auto* meta = topics->find(sp.tp.topic);
            if (meta == nullptr || meta->id != sp.topic_id)
                item.error = version >= 13 ? error_code::unknown_topic_id : error_code::unknown_topic_or_partition;
            else if (sp.tp.partition >= meta->partition_count())
                item.error = error_code::unknown_topic_or_partition;
            items.push_back(std::move(item));
        }
    } else {
        for (const auto& t : req.topics)
            for (const auto& p : t.partitions) {
                items.push_back(to_item(t, p));
                if (session)
                    cached.push_back(&session->upsert(session_partition{items.back().tp, items.back().topic_id,
                                                                        p.fetch_offset, p.partition_max_bytes,
                                                                        p.current_leader_epoch}));
            }
    }

    // 2. Read until min_bytes are available, an error shows up, or max_wait_ms passes.
    const bool committed = req.isolation_level == read_committed;
    const std::size_t max_bytes = static_cast<std::size_t>(std::max(req.max_bytes, 0));
    const auto deadline = clock::now() + std::chrono::milliseconds(std::max(req.max_wait_ms, 0));
    auto ex = co_await asio::this_coro::executor;
    std::vector<partition_read> reads;
    for (;;) {
        auto waiter = std::make_shared<cluster::data_waiter>(ex);
        bool may_wait = clock::now() < deadline && req.min_bytes > 0;
        // A named local, not `may_wait ? waiter : nullptr` inside the co_await: GCC 12 destroys such a
        // conditional's temporary twice (a double release of the shared_ptr).
        std::shared_ptr<cluster::data_waiter> watch;
        if (may_wait) watch = waiter;
        reads = co_await read_all(ctx, items, max_bytes, committed, std::move(watch));
        std::size_t bytes = apply_byte_limit(reads, max_bytes);
        bool any_error = std::any_of(reads.begin(), reads.end(), [](const partition_read& r) { return r.error != error_code::none; });
        if (!may_wait || any_error || bytes >= static_cast<std::size_t>(req.min_bytes) || items.empty()) break;
        asio::steady_timer timer(ex, deadline);
        timer.async_wait([waiter](const boost::system::error_code& ec) {
            if (!ec) waiter->notify();
        });
        co_await waiter->wait();
        timer.cancel();
    }

    // 3. The response, in item order; an incremental one lists only partitions with news.
    resp.session_id = session ? session->id() : 0;
    std::map<model::uuid, std::size_t> topic_slot_by_id;
    leader_hints<response::node_endpoint> hints(*ctx.broker->metadata);
    std::map<std::string, std::size_t> topic_slot_by_name;
    std::vector<model::topic_partition> returned_data;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& item = items[i];
        auto& r = reads[i];
        session_partition* sp = i < cached.size() ? cached[i] : nullptr;
        if (incremental && sp != nullptr && r.error == error_code::none && r.size() == 0 &&
            r.high_watermark == sp->sent_high_watermark && r.last_stable_offset == sp->sent_last_stable_offset &&
            r.log_start_offset == sp->sent_log_start_offset)
            continue;
        if (sp != nullptr) {
            sp->sent_high_watermark = r.high_watermark;
            sp->sent_last_stable_offset = r.last_stable_offset;
            sp->sent_log_start_offset = r.log_start_offset;
        }
        if (r.size() > 0) returned_data.push_back(item.tp);

        std::size_t slot;
        if (version >= 13) {
            auto [it, fresh] = topic_slot_by_id.try_emplace(item.topic_id, resp.responses.size());
            if (fresh) resp.responses.emplace_back().topic_id = item.topic_id;
            slot = it->second;
        } else {
            auto [it, fresh] = topic_slot_by_name.try_emplace(item.tp.topic, resp.responses.size());
            if (fresh) resp.responses.emplace_back().topic = item.tp.topic;
            slot = it->second;
        }
        response::partition_data out;
        out.partition_index = item.tp.partition;
        out.error_code = model::to_int(r.error);
        if (r.error == error_code::not_leader_or_follower && version >= 16) hints.name_leader(item.tp, out.current_leader);
        out.high_watermark = r.high_watermark;
        out.last_stable_offset = r.last_stable_offset;
        out.log_start_offset = r.log_start_offset;
        if (!committed) out.aborted_transactions.reset();
        if (r.region.size > 0)
            out.records = protocol::records::from_file(std::move(r.region));
        else
            out.records = protocol::records::borrowed(r.records, r.buffer);
        resp.responses[slot].partitions.push_back(std::move(out));
    }
    if (session) {
        for (const auto& tp : returned_data) session->move_to_back(tp);
        session->advance_epoch();
        session->last_used = clock::now();
    }
    resp.node_endpoints = std::move(hints).endpoints();
    co_return resp;
}

}  // namespace tributary::kafka
