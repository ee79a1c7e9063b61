#!/usr/bin/env bash
# Sets up, builds and runs every test (docs/testing.md says what each part proves and costs):
#   1. unit and property tests (GoogleTest + rapidcheck) against the Release build
#   2. the same against the sanitizer build (clang, ASan + UBSan, assertions on)
#   3. each libFuzzer target of the sanitizer build from its seed corpus, for its budget in
#      tests/fuzz/run.sh (20-45 s; FUZZ_SECONDS sets one time for all)
#   4. the cluster fault harness's history checker on synthetic histories (tests/cluster, ~1 s), then
#      two short fault runs against a 3-broker Tributary cluster (tests/cluster/ci.sh, ~50 s, as root)
#   5. integration tests (pytest driving real clients against the real broker) against the Release
#      broker, then the suites not marked release_only against the sanitizer broker
# Environment: JOBS (parallel build jobs, default nproc), FUZZ_SECONDS, PYTEST_ARGS (added to both
# integration passes). Compilations are cached by ccache (~/.cache/ccache), so a machine that has run
# this before rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -a timings=()
started=$SECONDS
step() {
  local name="$1"; shift
  local start=$SECONDS
  echo "=== $name"
  "$@"
  timings+=("$(printf '%-38s %5ds' "$name" $((SECONDS - start)))")
}
# The step timings, also when a step fails (then the failing step is the one after the last listed).
report() {
  printf "%s\n" "${timings[@]}"
  printf '%-38s %5ds\n' "total" $((SECONDS - started))
}
trap report EXIT

step "setup" scripts/setup.sh --test
step "build release" scripts/build.sh release
step "build asan (+ fuzz targets)" scripts/build.sh asan
step "unit tests (release)" ctest --test-dir build/release --output-on-failure -j "${JOBS:-$(nproc)}"
step "unit tests (asan)" ctest --test-dir build/asan --output-on-failure -j "${JOBS:-$(nproc)}"
step "fuzz" tests/fuzz/run.sh build/asan ${FUZZ_SECONDS:-}
step "cluster history checker" python3 -m pytest -q -p no:cacheprovider tests/cluster/test_checker.py
step "cluster faults (short)" tests/cluster/ci.sh
step "integration (release broker)" env TRIBUTARY_BIN="$PWD/build/release/src/app/tributary" \
  python3 -m pytest -q -p no:cacheprovider tests/integration ${PYTEST_ARGS:-}
step "integration (asan broker)" env TRIBUTARY_BIN="$PWD/build/asan/src/app/tributary" \
  python3 -m pytest -q -p no:cacheprovider -m "not release_only" tests/integration ${PYTEST_ARGS:-}

echo "=== all tests passed"
