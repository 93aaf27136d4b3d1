#!/usr/bin/env bash
# Installs the pinned npm test tools, exact versions from each committed package-lock.json:
#   tests/otlp-receiver  @opentelemetry/otlp-transformer 0.200.0 (OTLP decoder for trace tests)
#   tests/openapi        @redocly/cli 2.77.0 (OpenAPI lint)
# `scripts/test-deps.sh [otlp-receiver|openapi]` installs one of them; no argument, both.
# Idempotent: does nothing when node_modules already matches the lockfile. Needs node + npm
# (scripts/install-deps.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v npm >/dev/null 2>&1; then
  echo "test-deps: npm not found; run scripts/install-deps.sh first" >&2
  exit 1
fi

# install <dir> <check command run in that dir>
install() {
  local dir="$root/tests/$1" stamp="$root/tests/$1/node_modules/.astraguard-lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && (cd "$dir" && eval "$2") >/dev/null 2>&1; then
    return 0
  fi
  echo "test-deps: installing npm test tools into $dir/node_modules" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  (cd "$dir" && eval "$2") >/dev/null || { echo "test-deps: $1 failed to load" >&2; exit 1; }
  echo "$want" > "$stamp"
}

which="${1:-all}"
if [ "$which" = all ] || [ "$which" = otlp-receiver ]; then
  install otlp-receiver \
    "node -e \"require('./node_modules/@opentelemetry/otlp-transformer/build/src/generated/root')\""
fi
if [ "$which" = all ] || [ "$which" = openapi ]; then
  install openapi "REDOCLY_TELEMETRY=off ./node_modules/.bin/redocly --version 2>/dev/null"
fi
