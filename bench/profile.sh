#!/usr/bin/env bash
# A perf profile of Tributary's hot path under the franz-go generator (bench/loadgen):
#
#   bench/profile.sh [produce|consume|e2e] [seconds] [loadgen flags...]
#
# Starts the Release broker on a free loopback port with a fresh data directory under bench/results/profile/,
# creates an 8-partition topic, and records the broker with `perf record` (cpu-clock, DWARF call graphs)
# while the generator runs (consume first fills the topic for `seconds`). Prints the hottest symbols,
# self and with children, and leaves perf.data beside them for `perf report -i`. Needs linux-perf
# (installed from Debian if missing) and a Release build (bench/run.sh builds one).
# Extra flags go to loadgen, e.g. `-size 100 -acks 1 -compression lz4`.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-produce}"; secs="${2:-10}"; shift $(( $# > 2 ? 2 : $# )) || true
command -v perf >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; }
(cd bench/loadgen && go build -o loadgen .)
bin=build/release/src/app/tributary
out=bench/results/profile
rm -rf "$out"; mkdir -p "$out"
lg=bench/loadgen/loadgen
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin" serve --listen 127.0.0.1:$port --data-dir "$out/data" > "$out/broker.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do "$lg" apis -brokers 127.0.0.1:$port -timeout 2s >/dev/null 2>&1 && break; sleep 0.1; done
"$lg" create -brokers 127.0.0.1:$port -topic prof -partitions 8 >/dev/null
run() {
  case "$what" in
    produce) "$lg" produce -brokers 127.0.0.1:$port -topic prof -duration "${secs}s" "$@" ;;
    consume) "$lg" consume -brokers 127.0.0.1:$port -topic prof -timeout 300s ;;
    e2e) "$lg" e2e -brokers 127.0.0.1:$port -topic prof -rate 5000 -duration "${secs}s" "$@" | head -c 600; echo ;;
    *) echo "usage: $0 produce|consume|e2e [seconds]" >&2; exit 64 ;;
  esac
}
if [[ "$what" == consume ]]; then
  "$lg" produce -brokers 127.0.0.1:$port -topic prof -duration "${secs}s" "$@" >/dev/null
fi
perf record -q -F 499 -e cpu-clock --call-graph dwarf,16384 -p $pid -o "$out/perf.data" 2>/dev/null &
perf_pid=$!
sleep 0.5
run "$@" | tee "$out/loadgen.json"
kill -INT $perf_pid; wait $perf_pid || true
echo "=== hottest symbols (self)"
perf report -i "$out/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' \
  | sed 's/  */ /g' | head -40 | tee "$out/self.txt"
echo "=== by thread"
perf report -i "$out/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' \
  | sed 's/  */ /g' | head -10
echo "=== with children"
perf report -i "$out/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' \
  | sed 's/  */ /g' | head -50 > "$out/children.txt"
head -50 "$out/children.txt"
