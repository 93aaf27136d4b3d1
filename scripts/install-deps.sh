#!/usr/bin/env bash
# Installs the Debian packages AstraGuard needs to build, test and benchmark.
# Idempotent: only missing packages are installed; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git curl ca-certificates
  libboost1.81-dev libboost-json1.81-dev prometheus-cpp-dev libfmt-dev
  libyaml-cpp-dev libcli11-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
  prometheus wrk bc valgrind clang libclang-rt-14-dev python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js (with npm) is only needed for the OTLP test receiver; any install that provides
# both commands will do (Debian's nodejs+npm, or NodeSource's nodejs which bundles npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
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
