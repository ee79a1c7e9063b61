#!/usr/bin/env bash
# Broker CPU seconds per GB under the franz-go generator, the measure to compare builds on a shared
# machine (CPU time moves less with the neighbours' load than throughput does):
#
#   bench/cpu_per_gb.sh [broker-binary] [label] [produce-seconds] [loadgen produce flags...]
#
# Starts the broker on a free loopback port with a fresh data directory, creates an 8-partition topic,
# produces into it for the given time (1 KiB records, acks=all unless flags say otherwise), then
# consumes everything back, and prints throughput and the broker's utime+stime per GB of payload for
# each step. Needs a Release build and Go (bench/loadgen).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/release/src/app/tributary}"; label="${2:-tributary}"; secs="${3:-8}"; shift $(( $# > 3 ? 3 : $# )) || true
lg=bench/loadgen/loadgen
(cd bench/loadgen && go build -o loadgen .)
mkdir -p bench/results
d=$(mktemp -d "$PWD/bench/results/cpu.XXXX")
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin" serve --listen 127.0.0.1:$port --data-dir "$d/data" > "$d/broker.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$d"' EXIT
for _ in $(seq 100); do "$lg" apis -brokers 127.0.0.1:$port -timeout 2s >/dev/null 2>&1 && break; sleep 0.1; done
"$lg" create -brokers 127.0.0.1:$port -topic m -partitions 8 >/dev/null
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
c0=$(cpu); p=$("$lg" produce -brokers 127.0.0.1:$port -topic m -duration "${secs}s" "$@"); c1=$(cpu)
c=$("$lg" consume -brokers 127.0.0.1:$port -topic m -timeout 300s); c2=$(cpu)
python3 - "$label" "$p" "$c" "$c0" "$c1" "$c2" "$(getconf CLK_TCK)" <<'PY'
import json, sys
label, p, c = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
c0, c1, c2, tck = map(float, sys.argv[4:])
print(f"{label}: produce {p['bytes'] / p['seconds'] / 2**20:.0f} MiB/s, {(c1 - c0) / tck / (p['bytes'] / 1e9):.2f} s/GB"
      f" | consume {c['mib_per_s']:.0f} MiB/s, {(c2 - c1) / tck / (c['bytes'] / 1e9):.2f} s/GB"
      f" ({c['bytes'] / 2**20:.0f} MiB)")
PY
