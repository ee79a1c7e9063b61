#!/usr/bin/env bash
# Sets up, builds (Release) and runs a local cluster of three brokers on 127.0.0.1:9092, 9093 and 9094,
# with their data in ./data/node1, ./data/node2 and ./data/node3. Ctrl-C stops all three. Extra
# arguments are passed to every `tributary serve`.
#
#   scripts/cluster.sh
#   kcat -b 127.0.0.1:9092 -L
#   kafka-topics.sh --bootstrap-server 127.0.0.1:9092 --create --topic orders --partitions 6 --replication-factor 3
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
voters="1@127.0.0.1:9092,2@127.0.0.1:9093,3@127.0.0.1:9094"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
for n in 1 2 3; do
  mkdir -p "data/node$n"
  build/release/src/app/tributary serve --node-id "$n" --voters "$voters" \
    --listen "127.0.0.1:$((9091 + n))" --data-dir "data/node$n" "$@" &
  pids+=($!)
done
wait -n
