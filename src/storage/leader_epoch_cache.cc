#include "storage/leader_epoch_cache.h"

#include <algorithm>
#include <iterator>

#include "util/text.h"

namespace tributary::storage {

bool leader_epoch_cache::assign(std::int32_t epoch, model::offset start_offset) {
    if (epoch < 0) return false;
    if (!entries_.empty()) {
        const auto& last = entries_.back();
        // The common case, every batch of the current epoch: nothing to do.
        if (last.epoch == epoch && last.start_offset <= start_offset) return false;
    }
    std::erase_if(entries_, [&](const epoch_entry& e) { return e.epoch >= epoch || e.start_offset >= start_offset; });
    entries_.push_back({epoch, start_offset});
    return true;
}

bool leader_epoch_cache::truncate_from_end(model::offset end_offset) {
    const auto before = entries_.size();
    while (!entries_.empty() && entries_.back().start_offset >= end_offset) entries_.pop_back();
    return entries_.size() != before;
}

bool leader_epoch_cache::truncate_from_start(model::offset start_offset) {
    std::size_t removed = 0;
    while (removed < entries_.size() && entries_[removed].start_offset <= start_offset) ++removed;
    if (removed == 0) return false;
    const epoch_entry kept{entries_[removed - 1].epoch, start_offset};
    const bool changed = removed > 1 || entries_[0].start_offset != start_offset;
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(removed));
    entries_.insert(entries_.begin(), kept);
    return changed;
}

std::pair<std::int32_t, std::int64_t> leader_epoch_cache::end_offset_for(std::int32_t requested,
                                                                        model::offset log_end_offset) const {
    if (requested == undefined_epoch) return {undefined_epoch, undefined_offset};
    if (!entries_.empty() && entries_.back().epoch == requested) return {requested, log_end_offset.value()};
    // The first entry with a larger epoch ends the one we look for.
    auto higher = std::find_if(entries_.begin(), entries_.end(), [&](const epoch_entry& e) { return e.epoch > requested; });
    if (higher == entries_.end()) return {undefined_epoch, undefined_offset};
    if (higher == entries_.begin()) return {requested, higher->start_offset.value()};
    return {std::prev(higher)->epoch, higher->start_offset.value()};
}

std::string encode_leader_epoch_checkpoint(const std::vector<epoch_entry>& entries) {
    std::string out = "0\n" + std::to_string(entries.size()) + "\n";
    for (const auto& e : entries) out += std::to_string(e.epoch) + " " + std::to_string(e.start_offset.value()) + "\n";
    return out;
}

std::optional<std::vector<epoch_entry>> decode_leader_epoch_checkpoint(std::string_view text) {
    auto version = util::next_line(text);
    auto count_line = util::next_line(text);
    std::int32_t v = -1;
    std::size_t count = 0;
    if (!version || !util::parse_int(*version, v) || v != 0) return std::nullopt;
    if (!count_line || !util::parse_int(*count_line, count)) return std::nullopt;
    std::vector<epoch_entry> entries;
    for (std::size_t i = 0; i < count; ++i) {
        auto line = util::next_line(text);
        if (!line) return std::nullopt;
        auto space = line->find(' ');
        if (space == std::string_view::npos) return std::nullopt;
        epoch_entry e;
        std::int64_t start = 0;
        if (!util::parse_int(line->substr(0, space), e.epoch) || !util::parse_int(line->substr(space + 1), start)) return std::nullopt;
        e.start_offset = model::offset(start);
        if (e.epoch < 0 || start < 0) return std::nullopt;
        if (!entries.empty() && (e.epoch <= entries.back().epoch || e.start_offset < entries.back().start_offset))
            return std::nullopt;
        entries.push_back(e);
    }
    while (auto rest = util::next_line(text))
        if (!rest->empty()) return std::nullopt;
    return entries;
}

}  // namespace tributary::storage
