#include "raft/quorum_state.h"

#include <cerrno>
#include <limits>
#include <nlohmann/json.hpp>

#include "raft/state_store.h"

namespace tributary::raft {

namespace format = quorum_state_format;

std::string_view to_string(quorum_state_error e) {
    switch (e) {
        case quorum_state_error::none: return "none";
        case quorum_state_error::io_error: return "I/O error";
        case quorum_state_error::corrupt: return "corrupt quorum-state file";
        case quorum_state_error::unsupported_version: return "unsupported quorum-state data_version";
    }
    return "unknown";
}

namespace {

std::int32_t id_or_none(const std::optional<model::node_id>& id) {
    return id ? id->value() : format::no_id;
}

// The integer value of object[name], if it is a JSON integer within [min, max].
std::optional<std::int64_t> integer_field(const nlohmann::json& object, const char* name, std::int64_t min,
                                          std::int64_t max) {
    auto it = object.find(name);
    if (it == object.end()) return std::nullopt;
    std::int64_t v = 0;
    if (it->is_number_unsigned()) {
        const auto u = it->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(max)) return std::nullopt;
        v = static_cast<std::int64_t>(u);
    } else if (it->is_number_integer()) {
        v = it->get<std::int64_t>();
    } else {
        return std::nullopt;
    }
    if (v < min || v > max) return std::nullopt;
    return v;
}

// A leaderId or votedId: a node id, or no_id for none.
std::optional<std::optional<model::node_id>> id_field(const nlohmann::json& object, const char* name) {
    auto v = integer_field(object, name, format::no_id, std::numeric_limits<std::int32_t>::max());
    if (!v) return std::nullopt;
    if (*v == format::no_id) return std::optional<model::node_id>{};
    return std::optional<model::node_id>{model::node_id(static_cast<std::int32_t>(*v))};
}

}  // namespace

std::string encode_quorum_state(const quorum_state& s) {
    // ordered_json keeps the insertion order, which is the order of QuorumStateData's fields with
    // data_version appended last, as Kafka's FileQuorumStateStore writes them.
    nlohmann::ordered_json j;
    j["leaderId"] = id_or_none(s.leader);
    j["leaderEpoch"] = s.state.epoch.value();
    j["votedId"] = id_or_none(s.state.voted_for);
    j["votedDirectoryId"] = format::no_directory_id;
    j["data_version"] = format::data_version;
    return j.dump();
}

util::result<quorum_state, quorum_state_error> decode_quorum_state(std::string_view text) {
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return quorum_state_error::corrupt;
    // The version first: a newer file may lack (or retype) the fields this reader knows.
    auto version = integer_field(j, "data_version", std::numeric_limits<std::int64_t>::min(),
                                 std::numeric_limits<std::int64_t>::max());
    if (!version) return quorum_state_error::corrupt;
    if (*version < format::lowest_data_version || *version > format::data_version)
        return quorum_state_error::unsupported_version;

    auto leader = id_field(j, "leaderId");
    auto epoch = integer_field(j, "leaderEpoch", 0, std::numeric_limits<std::int32_t>::max());
    auto voted = id_field(j, "votedId");
    if (!leader || !epoch || !voted) return quorum_state_error::corrupt;
    if (*version >= 1) {
        // Mandatory from version 1 on, as in Kafka's reader; a Kafka Uuid in its text form.
        auto it = j.find("votedDirectoryId");
        model::uuid unused;
        if (it == j.end() || !it->is_string() || !model::uuid::parse(it->get<std::string>(), unused))
            return quorum_state_error::corrupt;
    }
    quorum_state s;
    s.state.epoch = model::leader_epoch(static_cast<std::int32_t>(*epoch));
    s.state.voted_for = *voted;
    s.leader = *leader;
    return s;
}

util::result<quorum_state, quorum_state_error> read_quorum_state(storage::file_system& fs,
                                                                 const std::filesystem::path& dir) {
    // Nothing reads the temporary file; removing it only tidies up. A failure here is harmless: the
    // next write truncates it.
    fs.remove(dir / format::temp_file_name);
    auto data = storage::read_file(fs, dir / format::file_name);
    if (!data) {
        if (data.error() == storage::make_errno(ENOENT)) return quorum_state{};
        return quorum_state_error::io_error;
    }
    return decode_quorum_state(bytes::as_chars(*data));
}

quorum_state_error write_quorum_state(storage::file_system& fs, const std::filesystem::path& dir,
                                      const quorum_state& s) {
    const std::string text = encode_quorum_state(s);
    // write_file_atomically writes <target>.tmp, which is quorum_state_format::temp_file_name.
    const auto e = storage::write_file_atomically(fs, dir / format::file_name, bytes::as_bytes(text));
    return e == storage::sys_errno::none ? quorum_state_error::none : quorum_state_error::io_error;
}

}  // namespace tributary::raft

// ---- quorum_state_file (state_store.h) ----------------------------------------------------------------

namespace tributary::raft {

awaitable<util::result<quorum_state, quorum_state_error>> quorum_state_file::load() {
    auto task = [fs = &fs_, dir = dir_] {
        // (run_on_disk needs a default-constructible result)
        auto r = read_quorum_state(*fs, dir);
        return std::pair<quorum_state, quorum_state_error>{r ? *r : quorum_state{}, r ? quorum_state_error::none : r.error()};
    };
    auto [state, error] = co_await storage::run_on_disk(disk_, std::move(task));
    if (error != quorum_state_error::none) co_return error;
    co_return state;
}

awaitable<bool> quorum_state_file::save(persistent_state state) {
    auto task = [fs = &fs_, dir = dir_, state] { return write_quorum_state(*fs, dir, quorum_state{state, std::nullopt}); };
    co_return co_await storage::run_on_disk(disk_, std::move(task)) == quorum_state_error::none;
}

awaitable<std::optional<std::vector<voter_set>>> quorum_state_file::load_voters() {
    auto task = [fs = &fs_, dir = dir_] {
        auto sets = read_voters_checkpoint(*fs, dir);
        return std::pair<bool, std::vector<voter_set>>{sets.has_value(), sets ? std::move(*sets) : std::vector<voter_set>{}};
    };
    auto [ok, sets] = co_await storage::run_on_disk(disk_, std::move(task));
    if (!ok) co_return std::nullopt;
    co_return std::move(sets);
}

awaitable<bool> quorum_state_file::save_voters(std::vector<voter_set> sets) {
    auto task = [fs = &fs_, dir = dir_, sets = std::move(sets)] { return write_voters_checkpoint(*fs, dir, sets); };
    co_return co_await storage::run_on_disk(disk_, std::move(task));
}

}  // namespace tributary::raft
