#!/usr/bin/env bash
# Tributary against Apache Kafka 4.4 on this machine, side by side; see docs/benchmarks.md.
#
#   bench/run.sh [--quick|--standard|--full] [--matrix full] [--rounds N] [--brokers a,b] [--workloads w1,w2]
#                [--no-micro] [--no-report] [--report-only DIR]
#
#   --quick   (default) one round, short runs: a smoke test of the harness (~25 minutes)
#   --standard  three rounds, steps about half as long as --full's (~45 minutes with the default matrix)
#   --full    three rounds (T K Kf T K Kf T K Kf), longer runs (~2.5 hours with the default matrix)
#   --matrix full   the whole cross product (3 sizes x 2 acks x 3 partition counts x 3 codecs = 54
#                   workloads, about 14x the default matrix's time)
#
# Installs what it needs (scripts/setup.sh --test: JDK, Maven, build tools; Kafka's jars through
# tools/kafka-ref/fetch.sh; matplotlib from bench/requirements.txt; the franz-go generator with go),
# builds Tributary Release (with the microbenchmarks), runs the microbenchmarks, then bench/harness.py,
# then bench/report.py, which writes docs/benchmarks.md and docs/benchmarks/*.png.
# Raw results go to bench/results/<UTC time>-<mode>/ (ignored by git). Brokers listen on free loopback
# ports chosen per session (BENCH_TRIBUTARY_PORT / BENCH_KAFKA_PORT fix them; Kafka also uses port+1).
# Broker data goes under the results directory (BENCH_DATA_DIR overrides), on the same file system for
# both brokers; the microbenchmarks write there too.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=quick micro=1 report=1 report_only="" harness_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick ;;
    --standard) mode=standard ;;
    --full) mode=full ;;
    --matrix|--rounds|--brokers|--workloads) harness_args+=("$1" "$2"); shift ;;
    --no-micro) micro=0 ;;
    --no-report) report=0 ;;
    --report-only) report_only="$2"; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done

install() {
  scripts/setup.sh --test
  python3 -m pip install -q --disable-pip-version-check -r bench/requirements.txt
  tools/kafka-ref/fetch.sh
  command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || { echo "bench/run.sh: needs Go (1.26+) on PATH for bench/loadgen" >&2; exit 1; }
  (cd bench/loadgen && go build -o loadgen .)
  # A build directory configured before the microbenchmarks joined the Release build keeps its cached
  # TRIBUTARY_BENCH=OFF: turn it on explicitly.
  if [[ -f build/release/CMakeCache.txt ]] && ! grep -q '^TRIBUTARY_BENCH:BOOL=ON' build/release/CMakeCache.txt; then
    cmake -S . -B build/release -DTRIBUTARY_BENCH=ON >/dev/null
  fi
  scripts/build.sh release
}

if [[ -n "$report_only" ]]; then
  python3 bench/report.py "$report_only"
  exit 0
fi

install
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$mode"
mkdir -p "$out"
data="${BENCH_DATA_DIR:-$PWD/$out/data}"
mkdir -p "$data"
echo "bench: results in $out"
cut -d' ' -f1-3 /proc/loadavg > "$out/load-before.txt"  # other work on the machine shows here

if (( micro )); then
  echo "=== microbenchmarks"
  min_time=0.5; [[ $mode != quick ]] && min_time=2
  for b in crc32c_bench record_batch_bench request_decode_bench log_append_bench fetch_read_bench; do
    TRIBUTARY_BENCH_DIR="$data" "build/release/bench/$b" --benchmark_min_time="$min_time" \
      --benchmark_out="$out/micro-$b.json" --benchmark_out_format=json
  done
fi

echo "=== brokers"
BENCH_DATA_DIR="$data" python3 bench/harness.py --out "$out" --mode "$mode" "${harness_args[@]}"
if (( report )); then
  python3 bench/report.py "$out"
fi
echo "bench: done; results in $out"
