#include "raft/voters_checkpoint.h"

#include <cerrno>

#include "util/text.h"

namespace tributary::raft {

std::string encode_voters_checkpoint(const std::vector<voter_set>& sets) {
    std::string out = "0\n" + std::to_string(sets.size()) + "\n";
    for (const auto& s : sets) {
        out += std::to_string(s.offset.value()) + " ";
        for (std::size_t i = 0; i < s.voters.size(); ++i) {
            if (i > 0) out += ",";
            out += std::to_string(s.voters[i].value());
        }
        out += "\n";
    }
    return out;
}

std::optional<std::vector<voter_set>> decode_voters_checkpoint(std::string_view text) {
    auto version = util::next_line(text);
    auto count_line = util::next_line(text);
    int v = -1;
    std::size_t count = 0;
    if (!version || !util::parse_int(*version, v) || v != 0) return std::nullopt;
    if (!count_line || !util::parse_int(*count_line, count)) return std::nullopt;
    std::vector<voter_set> sets;
    for (std::size_t i = 0; i < count; ++i) {
        auto line = util::next_line(text);
        if (!line) return std::nullopt;
        const auto space = line->find(' ');
        std::int64_t offset = 0;
        if (space == std::string_view::npos || !util::parse_int(line->substr(0, space), offset)) return std::nullopt;
        voter_set s{model::offset(offset), {}};
        auto ids = line->substr(space + 1);
        while (!ids.empty()) {
            const auto comma = ids.find(',');
            std::int32_t id = 0;
            if (!util::parse_int(ids.substr(0, comma), id)) return std::nullopt;
            s.voters.push_back(model::node_id(id));
            ids = comma == std::string_view::npos ? std::string_view{} : ids.substr(comma + 1);
        }
        if (s.voters.empty() || (!sets.empty() && sets.back().offset >= s.offset)) return std::nullopt;
        sets.push_back(std::move(s));
    }
    if (!text.empty()) return std::nullopt;
    return sets;
}

std::optional<std::vector<voter_set>> read_voters_checkpoint(storage::file_system& fs, const std::filesystem::path& dir) {
    auto data = storage::read_file(fs, dir / voters_checkpoint_file_name);
    if (!data) {
        if (data.error() == storage::make_errno(ENOENT)) return std::vector<voter_set>{};
        return std::nullopt;
    }
    return decode_voters_checkpoint(bytes::as_chars(*data));
}

bool write_voters_checkpoint(storage::file_system& fs, const std::filesystem::path& dir, const std::vector<voter_set>& sets) {
    const auto text = encode_voters_checkpoint(sets);
    return storage::write_file_atomically(fs, dir / voters_checkpoint_file_name, bytes::as_bytes(text)) ==
           storage::sys_errno::none;
}

std::vector<voter_set> voter_sets_for(std::vector<voter_set> sets, model::offset log_start, model::offset log_end) {
    std::erase_if(sets, [&](const voter_set& s) { return s.offset >= log_end; });
    std::size_t first = 0;
    for (std::size_t i = 0; i < sets.size(); ++i) {
        if (sets[i].offset < log_start) first = i;
    }
    sets.erase(sets.begin(), sets.begin() + static_cast<std::ptrdiff_t>(first));
    return sets;
}

}  // namespace tributary::raft
