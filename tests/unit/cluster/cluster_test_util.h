// Helpers for the cluster tests: tables built by applying planned records, as the controller does.
#pragma once

#include <gtest/gtest.h>

#include "cluster/topic_commands.h"
#include "cluster/topic_table.h"

namespace tributary::cluster::test {

inline constexpr model::node_id node{1};

inline std::shared_ptr<const topic_table> apply_all(const topic_table& base, const std::vector<metadata_record>& records,
                                                    std::int64_t version = -1) {
    topic_table::builder b(base);
    for (const auto& r : records) {
        std::string error;
        EXPECT_TRUE(b.apply(r, &error)) << error;
    }
    return b.build(version >= 0 ? version : base.version() + static_cast<std::int64_t>(records.size()));
}

inline std::shared_ptr<const topic_table> empty_table(config_map static_props = {}) {
    broker_config_layers layers;
    layers.node_id = node.value();
    layers.static_props = std::move(static_props);
    return topic_table::empty(std::move(layers));
}

inline topic_spec spec(std::string name, std::int32_t partitions = -1, std::int16_t rf = -1,
                       std::vector<std::pair<std::string, std::optional<std::string>>> configs = {}) {
    topic_spec s;
    s.name = std::move(name);
    s.num_partitions = partitions;
    s.replication_factor = rf;
    s.configs = std::move(configs);
    return s;
}

// A table holding `names`, created through the planner.
inline std::shared_ptr<const topic_table> with_topics(std::vector<topic_spec> specs,
                                                      std::shared_ptr<const topic_table> base = empty_table()) {
    auto p = plan_create_topics(*base, specs, node);
    for (const auto& r : p.results) EXPECT_TRUE(r.error.ok()) << r.name << ": " << r.error.message;
    return apply_all(*base, p.records);
}

}  // namespace tributary::cluster::test
