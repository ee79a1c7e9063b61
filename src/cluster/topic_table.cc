#include "cluster/topic_table.h"

#include <algorithm>

#include "cluster/topic_name.h"

namespace tributary::cluster {

std::shared_ptr<const topic_table> topic_table::empty(broker_config_layers broker) {
    auto t = std::make_shared<topic_table>();
    t->broker_ = std::move(broker);
    return t;
}

const topic_metadata* topic_table::find(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second.get();
}

const topic_metadata* topic_table::find(const model::uuid& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second.get();
}

topic_table::topic_ptr topic_table::find_shared(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
}

const topic_metadata* topic_table::find_collision(std::string_view name) const {
    if (!has_collision_chars(name)) return nullptr;
    auto it = by_unified_name_.find(unify_collision_chars(name));
    return it == by_unified_name_.end() ? nullptr : find(it->second);
}

std::size_t topic_table::partition_count() const {
    std::size_t n = 0;
    for (const auto& [name, t] : by_name_) n += t->partitions.size();
    return n;
}

topic_table::builder::builder(const topic_table& base) : by_name_(base.by_name_), broker_(base.broker_) {
    for (const auto& [id, ptr] : base.by_id_) ids_.emplace(id, ptr->name);
}

topic_metadata& topic_table::builder::mutable_topic(const std::string& name) {
    auto it = changed_.find(name);
    if (it != changed_.end()) return *it->second;
    auto copy = std::make_shared<topic_metadata>(*by_name_.at(name));
    auto& ref = *copy;
    changed_.emplace(name, std::move(copy));
    return ref;
}

namespace {

bool fail(std::string* error, std::string why) {
    if (error) *error = std::move(why);
    return false;
}

}  // namespace

const std::string* topic_table::builder::find_name(const model::uuid& id) const {
    auto it = ids_.find(id);
    return it == ids_.end() ? nullptr : &it->second;
}

bool topic_table::builder::apply(const metadata_record& record, std::string* error) {
    if (auto* r = std::get_if<protocol::topic_record>(&record)) {
        if (by_name_.contains(r->name)) return fail(error, "TopicRecord for existing topic " + r->name);
        if (r->topic_id.is_zero() || find_name(r->topic_id))
            return fail(error, "TopicRecord with a zero or reused topic id for " + r->name);
        auto t = std::make_shared<topic_metadata>();
        t->name = r->name;
        t->id = r->topic_id;
        t->internal = is_internal_topic(r->name);
        ids_.emplace(r->topic_id, r->name);
        by_name_[r->name] = t;
        changed_[r->name] = std::move(t);
        return true;
    }
    if (auto* r = std::get_if<protocol::partition_record>(&record)) {
        const std::string* name = find_name(r->topic_id);
        if (!name) return fail(error, "PartitionRecord for unknown topic id " + r->topic_id.to_string());
        auto& t = mutable_topic(*name);
        if (r->partition_id < 0 || r->partition_id > t.partition_count())
            return fail(error, "PartitionRecord " + std::to_string(r->partition_id) + " out of order for " + *name);
        partition_metadata p;
        p.index = r->partition_id;
        p.replicas = r->replicas;
        for (auto id : r->isr) p.isr.emplace_back(id);
        p.leader = r->leader;
        p.leader_epoch = model::leader_epoch(r->leader_epoch);
        p.partition_epoch = r->partition_epoch;
        if (r->partition_id == t.partition_count())
            t.partitions.push_back(std::move(p));
        else
            t.partitions[static_cast<std::size_t>(r->partition_id)] = std::move(p);
        return true;
    }
    if (auto* r = std::get_if<protocol::partition_change_record>(&record)) {
        const std::string* name = find_name(r->topic_id);
        if (!name) return fail(error, "PartitionChangeRecord for unknown topic id " + r->topic_id.to_string());
        auto& t = mutable_topic(*name);
        if (r->partition_id < 0 || r->partition_id >= t.partition_count())
            return fail(error, "PartitionChangeRecord for unknown partition of " + *name);
        auto& p = t.partitions[static_cast<std::size_t>(r->partition_id)];
        if (r->isr) p.isr = *r->isr;
        if (r->replicas) p.replicas = *r->replicas;
        if (r->leader.value() != -2) {
            p.leader = r->leader;
            p.leader_epoch = model::leader_epoch(p.leader_epoch.value() + 1);
        }
        ++p.partition_epoch;
        return true;
    }
    if (auto* r = std::get_if<protocol::config_record>(&record)) {
        const auto type = static_cast<config_resource_type>(r->resource_type);
        config_map* target = nullptr;
        if (type == config_resource_type::topic) {
            if (!by_name_.contains(r->resource_name))
                return fail(error, "ConfigRecord for unknown topic " + r->resource_name);
            target = &mutable_topic(r->resource_name).overrides;
        } else if (type == config_resource_type::broker) {
            if (r->resource_name.empty())
                target = &broker_.dynamic_default;
            else if (r->resource_name == std::to_string(broker_.node_id))
                target = &broker_.dynamic_node;
            else
                return true;  // another node's configs: nothing of ours
            broker_changed_ = true;
        } else {
            return true;  // resources we do not model yet (client metrics, groups)
        }
        if (r->value)
            (*target)[r->name] = *r->value;
        else
            target->erase(r->name);
        return true;
    }
    if (auto* r = std::get_if<protocol::remove_topic_record>(&record)) {
        const std::string* name = find_name(r->topic_id);
        if (!name) return fail(error, "RemoveTopicRecord for unknown topic id " + r->topic_id.to_string());
        std::string copy = *name;
        ids_.erase(r->topic_id);
        changed_.erase(copy);
        by_name_.erase(copy);
        return true;
    }
    return true;  // producer ids, features, no-ops
}

std::shared_ptr<const topic_table> topic_table::builder::build(std::int64_t version) {
    auto t = std::make_shared<topic_table>();
    t->version_ = version;
    t->broker_ = std::move(broker_);
    if (broker_changed_) {
        for (const auto& [name, ptr] : by_name_)
            if (!changed_.contains(name)) changed_.emplace(name, std::make_shared<topic_metadata>(*ptr));
    }
    for (auto& [name, topic] : changed_) {
        topic->log_config = effective_log_config(topic->overrides, t->broker_);
        by_name_[name] = std::move(topic);
    }
    changed_.clear();
    t->by_name_ = std::move(by_name_);
    for (const auto& [name, ptr] : t->by_name_) {
        t->by_id_.emplace(ptr->id, ptr);
        if (has_collision_chars(name)) t->by_unified_name_.emplace(unify_collision_chars(name), name);
    }
    return t;
}

}  // namespace tributary::cluster
