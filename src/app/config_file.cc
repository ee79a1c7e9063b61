#include "app/config_file.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "cluster/config_registry.h"
#include "cluster/effective_config.h"
#include "groups/consumer_group_config.h"
#include "net/asio.h"

namespace tributary::app {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// The logical lines of a .properties text: comments and blank lines dropped, continuations joined
// (the continuation's leading white space is dropped, as Java does).
std::vector<std::string> logical_lines(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    bool continuing = false;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto end = text.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (end < text.size() && text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
        std::size_t i = 0;
        while (i < line.size() && is_space(line[i])) ++i;
        line.remove_prefix(i);
        if (!continuing && (line.empty() || line.front() == '#' || line.front() == '!')) {
            if (end >= text.size()) break;
            continue;
        }
        // An odd number of trailing backslashes continues the line.
        std::size_t slashes = 0;
        while (slashes < line.size() && line[line.size() - 1 - slashes] == '\\') ++slashes;
        if (slashes % 2 == 1) {
            current.append(line.substr(0, line.size() - 1));
            continuing = true;
        } else {
            current.append(line);
            out.push_back(std::move(current));
            current.clear();
            continuing = false;
        }
        if (end >= text.size()) break;
    }
    if (continuing) out.push_back(std::move(current));
    return out;
}

// Resolves escapes. Returns false for a malformed \uXXXX.
bool unescape(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c != '\\' || i + 1 == in.size()) {
            if (c != '\\') out += c;
            continue;
        }
        char e = in[++i];
        switch (e) {
            case 't': out += '\t'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                if (i + 4 >= in.size()) return false;
                unsigned cp = 0;
                auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 5, cp, 16);
                if (ec != std::errc() || p != in.data() + i + 5) return false;
                i += 4;
                if (cp < 0x80) {
                    out += static_cast<char>(cp);
                } else if (cp < 0x800) {
                    out += static_cast<char>(0xc0 | (cp >> 6));
                    out += static_cast<char>(0x80 | (cp & 0x3f));
                } else {
                    out += static_cast<char>(0xe0 | (cp >> 12));
                    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                    out += static_cast<char>(0x80 | (cp & 0x3f));
                }
                break;
            }
            default: out += e; break;  // \\, \=, \:, \#, \! and any other char stand for themselves
        }
    }
    return true;
}

struct listener {
    std::string name;
    std::string host;
    std::uint16_t port = 0;
};

// "NAME://host:port,NAME2://[::1]:port" (Kafka's listeners format).
std::optional<std::string> parse_listeners(std::string_view config_name, std::string_view value,
                                           std::vector<listener>& out) {
    for (const auto& item : cluster::list_value(value)) {
        auto sep = item.find("://");
        auto colon = item.rfind(':');
        if (sep == std::string::npos || colon == std::string::npos || colon < sep + 3)
            return std::string(config_name) + ": '" + item + "' is not of the form NAME://host:port";
        listener l;
        l.name = item.substr(0, sep);
        l.host = item.substr(sep + 3, colon - sep - 3);
        if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
        unsigned port = 0;
        auto port_text = std::string_view(item).substr(colon + 1);
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
            return std::string(config_name) + ": bad port in '" + item + "'";
        l.port = static_cast<std::uint16_t>(port);
        out.push_back(std::move(l));
    }
    return std::nullopt;
}

const listener* client_listener(const std::vector<listener>& all, const cluster::config_map& props) {
    std::vector<std::string> controller_names;
    if (auto it = props.find("controller.listener.names"); it != props.end())
        controller_names = cluster::list_value(it->second);
    const listener* first = nullptr;
    for (const auto& l : all) {
        if (std::find(controller_names.begin(), controller_names.end(), l.name) != controller_names.end()) continue;
        if (l.name == "PLAINTEXT") return &l;
        if (!first) first = &l;
    }
    return first;
}

// "ip:count,ip:count" (max.connections.per.ip.overrides). IPv6 addresses may be bracketed.
std::optional<std::string> parse_ip_overrides(std::string_view value,
                                              std::map<std::string, std::int32_t, std::less<>>& out) {
    for (const auto& item : cluster::list_value(value)) {
        auto colon = item.rfind(':');
        if (colon == std::string::npos || colon == 0)
            return "max.connections.per.ip.overrides: '" + item + "' is not of the form ip:count";
        std::string host = item.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        boost::system::error_code ec;
        auto address = asio::ip::make_address(host, ec);
        if (ec)
            return "max.connections.per.ip.overrides: '" + host + "' is not an IP address (host names are not resolved)";
        std::int32_t count = 0;
        auto count_text = std::string_view(item).substr(colon + 1);
        auto [p, err] = std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
        if (err != std::errc() || p != count_text.data() + count_text.size() || count < 0)
            return "max.connections.per.ip.overrides: bad count in '" + item + "'";
        out[address.to_string()] = count;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_properties(std::string_view text, cluster::config_map& out) {
    for (const auto& line : logical_lines(text)) {
        // The key ends at the first unescaped '=', ':' or white space.
        std::size_t i = 0;
        while (i < line.size()) {
            char c = line[i];
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == '=' || c == ':' || is_space(c)) break;
            ++i;
        }
        std::string_view key = std::string_view(line).substr(0, std::min(i, line.size()));
        std::size_t v = i;
        while (v < line.size() && is_space(line[v])) ++v;
        if (v < line.size() && (line[v] == '=' || line[v] == ':')) ++v;
        while (v < line.size() && is_space(line[v])) ++v;
        std::string k, value;
        if (!unescape(key, k) || !unescape(std::string_view(line).substr(std::min(v, line.size())), value))
            return "malformed \\uXXXX escape in: " + line;
        out[k] = value;
    }
    return std::nullopt;
}

std::optional<std::string> read_properties_file(const std::filesystem::path& path, cluster::config_map& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot read " + path.string();
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (auto e = parse_properties(buffer.str(), out)) return path.string() + ": " + *e;
    return std::nullopt;
}

std::optional<std::string> apply_static_configs(cluster::config_map props, server::broker_config& config,
                                                std::vector<std::string>& unknown) {
    if (auto e = cluster::validate_static_broker_configs(props, &unknown); !e.ok()) return e.message;
    // Kafka's start-up checks of the consumer group protocol's configs (interval below the session
    // timeout, both within their bounds, known assignors).
    groups::consumer_group_config consumer_groups;
    if (auto e = groups::load_consumer_group_config(props, consumer_groups)) return e;

    auto node = props.find("node.id");
    auto broker = props.find("broker.id");
    if (node != props.end() && broker != props.end() &&
        cluster::integer_value(node->second) != cluster::integer_value(broker->second))
        return "node.id (" + node->second + ") and broker.id (" + broker->second + ") must be the same";
    if (node != props.end() || broker != props.end()) {
        const std::string id = std::to_string(cluster::integer_value((node != props.end() ? node : broker)->second));
        if (cluster::integer_value(id) < 0) return "node.id must not be negative";
        config.node_id = static_cast<std::int32_t>(cluster::integer_value(id));
        props["node.id"] = id;
        props["broker.id"] = id;
    }

    if (auto it = props.find("listeners"); it != props.end()) {
        std::vector<listener> all;
        if (auto e = parse_listeners("listeners", it->second, all)) return e;
        const listener* l = client_listener(all, props);
        if (!l) return "listeners: no client listener in '" + it->second + "'";
        if (l->name != "PLAINTEXT" && l->name.find("SSL") != std::string::npos)
            return "listeners: only PLAINTEXT is supported, not " + l->name;
        config.listen_host = l->host.empty() ? "0.0.0.0" : l->host;
        config.listen_port = l->port;
    }
    if (auto it = props.find("advertised.listeners"); it != props.end()) {
        std::vector<listener> all;
        if (auto e = parse_listeners("advertised.listeners", it->second, all)) return e;
        if (const listener* l = client_listener(all, props)) {
            config.advertised_host = l->host;
            config.advertised_port = l->port;
        }
    }
    if (auto it = props.find("cluster.voters"); it != props.end()) {
        config.quorum_voters.clear();
        for (const auto& item : cluster::list_value(it->second)) {
            auto at = item.find('@');
            auto colon = item.rfind(':');
            server::quorum_voter v;
            int id = -1;
            unsigned port = 0;
            if (at == std::string::npos || colon == std::string::npos || colon < at) {
                return "cluster.voters: '" + item + "' is not of the form id@host:port";
            }
            auto id_text = std::string_view(item).substr(0, at);
            auto port_text = std::string_view(item).substr(colon + 1);
            auto [p1, e1] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
            auto [p2, e2] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
            if (e1 != std::errc() || p1 != id_text.data() + id_text.size() || id < 0 || e2 != std::errc() ||
                p2 != port_text.data() + port_text.size() || port == 0 || port > 65535)
                return "cluster.voters: '" + item + "' is not of the form id@host:port";
            v.id = id;
            v.host = item.substr(at + 1, colon - at - 1);
            v.port = static_cast<std::uint16_t>(port);
            for (const auto& other : config.quorum_voters)
                if (other.id == v.id) return "cluster.voters: node " + std::to_string(id) + " is listed twice";
            config.quorum_voters.push_back(std::move(v));
        }
        if (!config.quorum_voters.empty() &&
            std::none_of(config.quorum_voters.begin(), config.quorum_voters.end(),
                         [&](const server::quorum_voter& v) { return v.id == config.node_id; }))
            return "cluster.voters: this broker's node.id (" + std::to_string(config.node_id) +
                   ") is not among the voters";
    }
    auto dirs = props.find("log.dirs");
    if (dirs == props.end()) dirs = props.find("log.dir");
    if (dirs != props.end()) {
        auto list = cluster::list_value(dirs->second);
        if (list.size() != 1)
            return dirs->first + ": Tributary keeps its data in one directory, got " + std::to_string(list.size());
        config.data_dir = list.front();
    }
    auto integer = [&props](std::string_view name, auto& field) {
        if (auto it = props.find(name); it != props.end())
            field = static_cast<std::remove_reference_t<decltype(field)>>(cluster::integer_value(it->second));
    };
    integer("socket.request.max.bytes", config.socket_request_max_bytes);
    integer("max.connections", config.max_connections);
    integer("max.connections.per.ip", config.max_connections_per_ip);
    integer("connections.max.idle.ms", config.connections_max_idle_ms);
    integer("queued.max.request.bytes", config.queued_max_request_bytes);
    integer("max.queued.response.bytes.per.connection", config.max_queued_response_bytes_per_connection);
    integer("shutdown.drain.timeout.ms", config.shutdown_drain_timeout_ms);
    if (auto it = props.find("max.connections.per.ip.overrides"); it != props.end()) {
        if (auto e = parse_ip_overrides(it->second, config.max_connections_per_ip_overrides)) return e;
    }
    // Kafka's rule: a per-IP limit of 0 only makes sense with overrides that let someone in.
    if (config.max_connections_per_ip == 0 && config.max_connections_per_ip_overrides.empty())
        return "max.connections.per.ip: a value of 0 requires max.connections.per.ip.overrides";

    if (auto it = props.find("log.retention.check.interval.ms"); it != props.end())
        config.log_retention_check_interval_ms = cluster::integer_value(it->second);
    if (auto it = props.find("replica.lag.time.max.ms"); it != props.end())
        config.replica_lag_time_max_ms = cluster::integer_value(it->second);
    if (auto it = props.find("log.cleaner.backoff.ms"); it != props.end())
        config.log_cleaner_backoff_ms = cluster::integer_value(it->second);
    if (auto it = props.find("log.cleaner.enable"); it != props.end())
        config.log_cleaner_enable = cluster::bool_value(it->second);

    config.static_configs = std::move(props);
    return std::nullopt;
}

}  // namespace tributary::app
