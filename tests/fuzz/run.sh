#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a bounded time, from its seed corpus.
#
#   tests/fuzz/run.sh build/asan [seconds-per-target]
#
# Without a time, each target runs for its budget below, sized to where its coverage stops growing
# from the seeds (docs/testing.md, "Fuzz targets": the batch and recovery targets level off within
# ~20 s, the two decoders, with ~90 APIs of generated codecs to cover, still find new paths at 60 s).
#
# The targets are built by the sanitizer flavour (scripts/build.sh asan: clang, ASan + UBSan, libFuzzer).
#
# Seeds: the captured client frames (tests/fixtures/captures) and the kept regressions (tests/fuzz/regressions),
# assembled by seed_corpus.py. New interesting inputs accumulate in <build>/fuzz-work/corpus/<target>
# across runs. A crash stops the run with a non-zero status and leaves the input in
# <build>/fuzz-work/artifacts/; fix the bug, then keep the input as tests/fuzz/regressions/<kind>-<name>
# (kind = request or response), which the unit tests replay in every build.
set -euo pipefail
build="${1:?usage: $0 <build-dir, e.g. build/asan> [seconds-per-target]}"
seconds="${2:-}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$build/fuzz-work"

# Any undefined behaviour stops the run with its stack trace.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

python3 "$root/tests/fuzz/seed_corpus.py" --captures "$root/tests/fixtures/captures" \
  --regressions "$root/tests/fuzz/regressions" --out "$work/seeds"

shopt -s nullglob
targets=("$build"/tests/fuzz/*_fuzz)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no fuzz targets in $build/tests/fuzz (scripts/build.sh asan builds them)" >&2
  exit 1
fi
budget() {
  case "$1" in
    request_decode_fuzz|response_decode_fuzz) echo 45 ;;
    *) echo 20 ;;
  esac
}
for bin in "${targets[@]}"; do
  target="$(basename "$bin")"
  secs="${seconds:-$(budget "$target")}"
  corpus="$work/corpus/$target"
  mkdir -p "$corpus" "$work/artifacts"
  seeds=()
  [[ -d "$work/seeds/$target" ]] && seeds=("$work/seeds/$target")
  echo "=== $target for ${secs}s"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$target-" "$corpus" "${seeds[@]}"
done
