#!/usr/bin/env bash
# Configures and builds one flavour of Tributary into build/<flavour>:
#   release  optimised (the broker users run), with unit tests and microbenchmarks
#   asan     clang, AddressSanitizer + UndefinedBehaviorSanitizer, assertions on: the unit tests, the
#            broker of the sanitizer integration pass and the libFuzzer targets (tests/fuzz), all from
#            one set of objects (they also carry libFuzzer's coverage instrumentation)
# BUILD_DIR overrides the output directory; ccache is used when installed, with the checkout as its base
# directory, so checkouts at different paths share one cache.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
jobs="${JOBS:-$(nproc)}"
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan)    args=(-DCMAKE_BUILD_TYPE=Sanitize -DTRIBUTARY_SANITIZE=ON -DTRIBUTARY_FUZZ=ON
                 -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16) ;;
  *) echo "usage: $0 release|asan" >&2; exit 2 ;;
esac
dir="${BUILD_DIR:-build/$flavour}"
if command -v ccache >/dev/null; then
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths under the checkout are hashed relative to it, so a clone at another path reuses the cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
fi
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
fi
ninja -C "$dir" -j "$jobs"
