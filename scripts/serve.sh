#!/usr/bin/env bash
# Sets up, builds (Release) and runs the broker on 127.0.0.1:9092 with its data in ./data.
# Extra arguments are passed to `tributary serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
exec build/release/src/app/tributary serve --listen 127.0.0.1:9092 --data-dir ./data "$@"
