#!/usr/bin/env bash
# Sets up, builds and runs every test:
#   1. unit and property tests (GoogleTest + rapidcheck), Release build
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. each libFuzzer target for a bounded time (FUZZ_SECONDS, default 60) from its seed corpus
#   4. integration tests (pytest driving real clients against the real broker), against the Release
#      broker and again against the sanitizer broker
# Environment: JOBS (parallel build jobs, default nproc), FUZZ_SECONDS, PYTEST_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -a timings=()
step() {
  local name="$1"; shift
  local start=$SECONDS
  echo "=== $name"
  "$@"
  timings+=("$(printf '%-34s %5ds' "$name" $((SECONDS - start)))")
}
# The step timings, also when a step fails (then the failing step is the one after the last listed).
trap 'printf "%s\n" "${timings[@]}"' EXIT

step "setup" scripts/setup.sh --test
step "build release" scripts/build.sh release
step "build asan" scripts/build.sh asan
step "build fuzz" scripts/build.sh fuzz
step "unit tests (release)" ctest --test-dir build/release --output-on-failure -j "${JOBS:-$(nproc)}"
step "unit tests (asan)" ctest --test-dir build/asan --output-on-failure -j "${JOBS:-$(nproc)}"
step "fuzz (${FUZZ_SECONDS:-60}s per target)" tests/fuzz/run.sh build/fuzz "${FUZZ_SECONDS:-60}"
step "integration (release broker)" env TRIBUTARY_BIN="$PWD/build/release/src/app/tributary" \
  python3 -m pytest -q tests/integration ${PYTEST_ARGS:-}
step "integration (asan broker)" env TRIBUTARY_BIN="$PWD/build/asan/src/app/tributary" \
  python3 -m pytest -q tests/integration ${PYTEST_ARGS:-}

echo "=== all tests passed"
