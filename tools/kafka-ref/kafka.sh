#!/usr/bin/env bash
# kafka.sh — start/stop a reference Apache Kafka 4.4.0 (single-node KRaft, broker+controller in one JVM).
#
# Usage:
#   tools/kafka-ref/kafka.sh start  <dir> <port> [advertised-port] [key=value ...]
#   tools/kafka-ref/kafka.sh stop   <dir>
#   tools/kafka-ref/kafka.sh status <dir>
#
# start:
#   - runs fetch.sh (silent no-op when tools/kafka-ref/lib/ is complete);
#   - writes <dir>/server.properties and <dir>/log4j2.properties; data goes to <dir>/data, logs to
#     <dir>/logs/server.log, the JVM's stdout/stderr to <dir>/logs/kafka.out;
#   - formats <dir>/data with kafka.tools.StorageTool and a random cluster id, unless it is already
#     formatted (so start after stop keeps the topics and records; rm -rf <dir> for a fresh cluster);
#   - listens on PLAINTEXT://127.0.0.1:<port>, controller on CONTROLLER://127.0.0.1:<port+1>;
#   - advertises 127.0.0.1:<advertised-port> (default <port>) to clients. A different advertised port
#     is for a proxy in front of the broker (tools/capture/): clients then reconnect through the proxy,
#     and so does the broker itself for its inter-broker requests (transaction markers, KIP-890
#     AddPartitionsToTxn verification), so keep the proxy up while the broker runs;
#   - any key=value arguments are appended to server.properties (later lines win), e.g.
#     num.partitions=3 log.flush.interval.messages=1;
#   - waits (deadline $KAFKA_START_TIMEOUT seconds, default 90) until the broker answers ApiVersions and
#     a Metadata request that lists a broker (probe.py), then writes <dir>/kafka.pid and prints
#     "kafka started pid=<pid> port=<port> in <s>s". On failure it kills the JVM, prints the log tail and
#     exits 1. If <dir>/kafka.pid names a live broker already, it says so and exits 0.
# stop:
#   SIGTERM (controlled shutdown), waits up to $KAFKA_STOP_TIMEOUT seconds (default 30), then SIGKILL.
#   Only the pid in <dir>/kafka.pid is signalled, and only if that process is a kafka.Kafka JVM started
#   with <dir>/server.properties (guards against a stale pid file). Exits 0 if nothing was running.
# status:
#   exit 0 and print the pid if the broker of <dir> is running, exit 1 otherwise.
#
# Environment: KAFKA_HEAP_OPTS (default -Xmx1G), KAFKA_JVM_OPTS (extra JVM flags), JAVA (default java),
# KAFKA_START_TIMEOUT, KAFKA_STOP_TIMEOUT, KAFKA_LOG_LEVEL (root log level, default INFO).
# Settings follow shared/REFERENCE.md: replication factors 1 for internal topics,
# group.initial.rebalance.delay.ms=0. The broker is Kafka's default otherwise (acks=all means "in the
# page cache", no fsync per write). Needs Java 17+, Maven (first fetch only) and python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/lib"
JAVA="${JAVA:-java}"

die() { echo "kafka.sh: $*" >&2; exit 1; }
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# pid of the broker of $dir if it is running, else empty.
running_pid() {
    local dir="$1" pid cmd
    [[ -f "$dir/kafka.pid" ]] || return 0
    pid="$(cat "$dir/kafka.pid")"
    [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 0
    cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"
    if [[ "$cmd" == *kafka.Kafka* && "$cmd" == *"$dir/server.properties"* ]]; then echo "$pid"; fi
}

# Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding, not starting with '-'.
random_cluster_id() {
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        [[ "$id" != -* ]] && { echo "$id"; return; }
    done
}

cmd_start() {
    [[ $# -ge 2 ]] || usage
    local dir port adv
    dir="$(abs_dir "$1")"; port="$2"; shift 2
    [[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number: $port"
    adv="$port"
    if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then adv="$1"; shift; fi
    local ctl=$((port + 1))

    local pid
    pid="$(running_pid "$dir")"
    if [[ -n "$pid" ]]; then echo "kafka already running pid=$pid ($dir)"; return 0; fi

    "$here/fetch.sh"
    python3 "$here/probe.py" free 127.0.0.1 "$port" || die "port $port is already in use"
    python3 "$here/probe.py" free 127.0.0.1 "$ctl" || die "controller port $ctl is already in use"

    mkdir -p "$dir/data" "$dir/logs"
    cat > "$dir/server.properties" <<EOF
# written by tools/kafka-ref/kafka.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctl
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$adv
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
    local kv
    for kv in "$@"; do
        [[ "$kv" == *=* ]] || die "expected key=value, got: $kv"
        echo "$kv" >> "$dir/server.properties"
    done

    cat > "$dir/log4j2.properties" <<EOF
# written by tools/kafka-ref/kafka.sh
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${KAFKA_LOG_LEVEL:-INFO}
rootLogger.appenderRef.file.ref = file
EOF

    local t0 t1 cp="$lib/*"
    t0="$(date +%s%3N)"
    if [[ ! -f "$dir/data/meta.properties" ]]; then
        "$JAVA" -Xmx256M -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$cp" \
            kafka.tools.StorageTool format -t "$(random_cluster_id)" -c "$dir/server.properties" \
            > "$dir/logs/format.out" 2>&1 || { cat "$dir/logs/format.out" >&2; die "StorageTool format failed"; }
    fi

    # shellcheck disable=SC2086  # heap/JVM options are word lists
    nohup setsid "$JAVA" ${KAFKA_HEAP_OPTS:--Xmx1G} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true ${KAFKA_JVM_OPTS:-} \
        -Dlog4j2.configurationFile="$dir/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
        -cp "$cp" kafka.Kafka "$dir/server.properties" > "$dir/logs/kafka.out" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$dir/kafka.pid"

    local rc=0
    python3 "$here/probe.py" ready 127.0.0.1 "$port" --timeout "${KAFKA_START_TIMEOUT:-90}" --pid "$pid" || rc=$?
    if [[ $rc -ne 0 ]]; then
        [[ $rc -eq 2 ]] && echo "kafka.sh: broker exited during startup" >&2 \
                        || echo "kafka.sh: broker not ready within ${KAFKA_START_TIMEOUT:-90}s" >&2
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$dir/kafka.pid"
        tail -n 30 "$dir/logs/kafka.out" "$dir/logs/server.log" >&2 2>/dev/null || true
        exit 1
    fi
    t1="$(date +%s%3N)"
    local ms=$((t1 - t0))
    printf 'kafka started pid=%s port=%s advertised=%s in %d.%03ds (%s)\n' "$pid" "$port" "$adv" \
        $((ms / 1000)) $((ms % 1000)) "$dir"
}

cmd_stop() {
    [[ $# -ge 1 ]] || usage
    local dir pid
    dir="$(abs_dir "$1")"
    pid="$(running_pid "$dir")"
    if [[ -z "$pid" ]]; then rm -f "$dir/kafka.pid"; echo "kafka not running ($dir)"; return 0; fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + ${KAFKA_STOP_TIMEOUT:-30}))
    while [[ -e "/proc/$pid" ]] && (( SECONDS < deadline )); do sleep 0.2; done
    if [[ -e "/proc/$pid" ]]; then
        echo "kafka.sh: pid $pid ignored SIGTERM for ${KAFKA_STOP_TIMEOUT:-30}s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        while [[ -e "/proc/$pid" ]]; do sleep 0.1; done
    fi
    rm -f "$dir/kafka.pid"
    echo "kafka stopped pid=$pid ($dir)"
}

cmd_status() {
    [[ $# -ge 1 ]] || usage
    local dir pid
    dir="$(abs_dir "$1")"
    pid="$(running_pid "$dir")"
    if [[ -n "$pid" ]]; then echo "running pid=$pid"; else echo "not running"; exit 1; fi
}

[[ $# -ge 1 ]] || usage
sub="$1"; shift
case "$sub" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    *) usage ;;
esac
