#!/usr/bin/env bash
# The short fault runs of the test command (docs/testing.md, "Cluster faults"): a 3-broker Tributary
# cluster in network namespaces, three idempotent acks=all producers and the history checker, with
#   kill-leader       the leader of a partition is killed (kill -9) and restarted, twice;
#   partition-leader  a partition leader is cut off from the others for the window, then healed;
# 10 s windows, ~25 s each. Any lost, duplicated or reordered acknowledged record fails the step.
# Needs root and nft (network namespaces, nftables). The nodes run under their own uids, so the binary
# is copied to a world-readable directory first (the checkout may sit under a private home).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null; then
  echo "cluster faults: not run (needs root and nft for network namespaces)" >&2
  exit 1
fi
bin_dir=$(mktemp -d /tmp/tributary-faults-bin.XXXXXX)
trap 'rm -rf "$bin_dir"' EXIT
chmod 755 "$bin_dir"
install -m 755 "${TRIBUTARY_BIN:-build/release/src/app/tributary}" "$bin_dir/tributary"
for scenario in kill-leader partition-leader; do
  TRIBUTARY_BIN="$bin_dir/tributary" python3 tests/cluster/run.py --target tributary --scenario "$scenario" \
    --seconds 10 --out "build/cluster-faults/$scenario"
done
