// How a handler sees the cluster's topics: its own shard's snapshot (cluster/metadata_cache.h).
#pragma once

#include <memory>

#include "cluster/metadata_cache.h"
#include "cluster/topic_table.h"
#include "kafka/request_context.h"

namespace tributary::kafka {

// The topic table of the request's shard. Keep the shared_ptr across co_awaits for a consistent view.
inline std::shared_ptr<const cluster::topic_table> topics_on(const request_context& ctx) {
    return ctx.broker->metadata->topics(ctx.shard);
}

}  // namespace tributary::kafka
