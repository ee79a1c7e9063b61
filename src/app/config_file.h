// Broker configuration from a Kafka-style server.properties file (`tributary serve --config FILE`) and
// the command-line flags: both become Kafka-named configs (flags win), which are checked against the
// config registry and turned into the typed fields of server::broker_config.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cluster/config_types.h"
#include "server/config.h"

namespace tributary::app {

// Parses Java .properties text as Kafka reads server.properties: `key=value`, `key: value` or
// `key value`; `#` and `!` comment lines; a trailing backslash continues the line; the escapes
// \t \n \r \f \uXXXX, and a backslash before any other character stands for that character. A
// later key replaces an earlier one. Returns an error message or nullopt.
std::optional<std::string> parse_properties(std::string_view text, cluster::config_map& out);
std::optional<std::string> read_properties_file(const std::filesystem::path& path, cluster::config_map& out);

// Checks `props` (every name the registry knows must have a valid value) and derives the typed
// fields of `config` from them: listeners (one PLAINTEXT listener; CONTROLLER listeners are ignored,
// as Tributary's controller needs none), advertised.listeners, log.dirs or log.dir (one directory),
// node.id / broker.id, socket.request.max.bytes, the connection limits (max.connections,
// max.connections.per.ip[.overrides], connections.max.idle.ms, queued.max.request.bytes,
// max.queued.response.bytes.per.connection, shutdown.drain.timeout.ms). Fields whose config is absent
// keep their values.
// Stores `props` in config.static_configs, with node.id and broker.id both set when either is.
// Names the registry does not know are accepted and listed in `unknown`. Returns an error message.
std::optional<std::string> apply_static_configs(cluster::config_map props, server::broker_config& config,
                                                std::vector<std::string>& unknown);

}  // namespace tributary::app
