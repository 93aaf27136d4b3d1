#!/usr/bin/env bash
# Installs the pinned npm test tools (tests/otlp-receiver: @opentelemetry/otlp-transformer
# 0.200.0, exact versions from the committed package-lock.json). Idempotent: does nothing when
# node_modules already matches the lockfile. Needs node + npm (scripts/install-deps.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/tests/otlp-receiver"
stamp="$dir/node_modules/.astraguard-lock.sha256"

if ! command -v npm >/dev/null 2>&1; then
  echo "test-deps: npm not found; run scripts/install-deps.sh first" >&2
  exit 1
fi

want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f "$dir/node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js" ]; then
  exit 0
fi

echo "test-deps: installing npm test tools into $dir/node_modules" >&2
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
node -e "require('$dir/node_modules/@opentelemetry/otlp-transformer/build/src/generated/root')" \
  || { echo "test-deps: decoder failed to load" >&2; exit 1; }
echo "$want" > "$stamp"
