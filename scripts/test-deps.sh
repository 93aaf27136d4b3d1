#!/usr/bin/env bash
# Installs the pinned npm test tools, exact versions from each committed package-lock.json:
#   tests/otlp-receiver: @opentelemetry/otlp-transformer 0.200.0 (the OTLP decoder)
#   tests/stack: @grafana/schema 13.2.3 + ts-json-schema-generator + typescript 5 (the Grafana
#                dashboard JSON Schema), ajv 8 (validation), yaml 2 (rule files)
#   tests/openapi: @redocly/cli 2.77.0 (OpenAPI lint)
# `scripts/test-deps.sh [otlp-receiver|stack|openapi]` installs one of them; no argument, all.
# Idempotent: does nothing for a folder whose node_modules already matches its lockfile. Needs
# node + npm (scripts/install-deps.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v npm >/dev/null 2>&1; then
  echo "test-deps: npm not found; run scripts/install-deps.sh first" >&2
  exit 1
fi

# install <folder> <module that must load afterwards>
install() {
  local dir="$root/$1" probe="$2"
  local stamp="$dir/node_modules/.astraguard-lock.sha256"
  local want; want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -e "$dir/node_modules/$probe" ]; then
    return 0
  fi
  echo "test-deps: installing npm test tools into $dir/node_modules" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  (cd "$dir" && node -e "require('$probe')") \
    || { echo "test-deps: $probe failed to load in $dir" >&2; exit 1; }
  echo "$want" > "$stamp"
}

which="${1:-all}"
if [ "$which" = all ] || [ "$which" = otlp-receiver ]; then
  install tests/otlp-receiver @opentelemetry/otlp-transformer/build/src/generated/root.js
fi
if [ "$which" = all ] || [ "$which" = stack ]; then
  install tests/stack ts-json-schema-generator
fi
if [ "$which" = all ] || [ "$which" = openapi ]; then
  install tests/openapi @redocly/cli/package.json
fi
