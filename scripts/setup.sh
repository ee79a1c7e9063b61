#!/usr/bin/env bash
# Installs everything Tributary needs, idempotently: a second run on a set-up machine takes seconds.
#   scripts/setup.sh          build dependencies (C++ toolchain and libraries from Debian)
#   scripts/setup.sh --test   also what the tests need (clang for fuzzing, kcat, Python clients, Java client jars)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

build_pkgs=(build-essential cmake ninja-build python3 pkg-config ccache
  libboost1.81-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libssl-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev)
test_pkgs=(clang-16 libclang-rt-16-dev kcat gzip lz4 zstd openjdk-17-jdk-headless maven nftables)

pkgs=("${build_pkgs[@]}")
(( want_test )) && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if (( want_test )); then
  python3 -m pip install -q --disable-pip-version-check -r tests/integration/requirements.txt
  if [[ -x tools/kafka-ref/fetch.sh ]]; then
    tools/kafka-ref/fetch.sh
  fi
fi
