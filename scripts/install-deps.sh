#!/usr/bin/env bash
# Installs the Debian packages AstraGuard needs to build, test and benchmark, and to run
# `make stack`. With --build-only, only what building needs (the Dockerfile's build stage).
# Idempotent: only missing packages are installed; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git curl ca-certificates
  libboost1.81-dev libboost-json1.81-dev prometheus-cpp-dev libfmt-dev
  libyaml-cpp-dev libcli11-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev libssl-dev
  libhiredis-dev
)
build_only=false
if [ "${1:-}" = "--build-only" ]; then
  build_only=true
else
  packages+=(
    prometheus wrk bc valgrind
    prometheus-alertmanager prometheus-node-exporter prometheus-redis-exporter redis-server
    docker-compose clang libclang-rt-14-dev python3
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js (with npm) is only needed for the test tools (scripts/test-deps.sh) and for printing
# the dashboard queries under `make stack`; any install that provides
# both commands will do (Debian's nodejs+npm, or NodeSource's nodejs which bundles npm).
if ! $build_only && { ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; }; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
