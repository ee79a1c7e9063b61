#!/usr/bin/env bash
# Configures and builds one flavour of Tributary into build/<flavour>:
#   release  optimised (the broker users run)
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer, for the tests
#   fuzz     clang + libFuzzer targets (tests/fuzz)
# BUILD_DIR overrides the output directory; ccache is used when installed (set CCACHE_BASEDIR to share
# its cache between checkouts at different paths).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
jobs="${JOBS:-$(nproc)}"
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIBUTARY_SANITIZE=ON) ;;
  fuzz)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIBUTARY_FUZZ=ON -DTRIBUTARY_TESTS=OFF
                 -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16) ;;
  *) echo "usage: $0 release|asan|fuzz" >&2; exit 2 ;;
esac
dir="${BUILD_DIR:-build/$flavour}"
if command -v ccache >/dev/null; then
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
fi
ninja -C "$dir" -j "$jobs"
