#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a bounded time, from its seed corpus.
#
#   tests/fuzz/run.sh <fuzz-build-dir> [seconds-per-target, default 60]
#
# Seeds: the captured client frames (tests/fixtures/captures) and the kept regressions (tests/fuzz/regressions),
# assembled by seed_corpus.py. New interesting inputs accumulate in <build>/fuzz-work/corpus/<target>
# across runs. A crash stops the run with a non-zero status and leaves the input in
# <build>/fuzz-work/artifacts/; fix the bug, then keep the input as tests/fuzz/regressions/<kind>-<name>
# (kind = request or response), which the unit tests replay in every build.
set -euo pipefail
build="${1:?usage: $0 <fuzz-build-dir> [seconds-per-target]}"
seconds="${2:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$build/fuzz-work"

# The fuzz build compiles UBSan in recoverable mode: make any undefined behaviour stop the run.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

python3 "$root/tests/fuzz/seed_corpus.py" --captures "$root/tests/fixtures/captures" \
  --regressions "$root/tests/fuzz/regressions" --out "$work/seeds"

shopt -s nullglob
targets=("$build"/tests/fuzz/*_fuzz)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no fuzz targets in $build/tests/fuzz (configure with -DTRIBUTARY_FUZZ=ON and build them)" >&2
  exit 1
fi
for bin in "${targets[@]}"; do
  target="$(basename "$bin")"
  corpus="$work/corpus/$target"
  mkdir -p "$corpus" "$work/artifacts"
  seeds=()
  [[ -d "$work/seeds/$target" ]] && seeds=("$work/seeds/$target")
  echo "=== $target for ${seconds}s"
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$target-" "$corpus" "${seeds[@]}"
done
