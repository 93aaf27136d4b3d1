#!/usr/bin/env bash
# Observability overhead as user-space instructions per request (valgrind/callgrind), which,
# unlike req/s on a shared 2-core box, does not move with other load. Each configuration runs
# the real service under callgrind; counters are zeroed after a warm-up, wrk posts telemetry
# for a few seconds, and the instruction total of all threads (io, log writer, span export) is
# divided by the requests served.  Takes about a minute; needs valgrind (apt).
#   usage: bench/obs_overhead_callgrind.sh [build-dir]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }
source bench/common.sh
start_otlp_receiver

count() {  # port -> POST /api/v1/telemetry 200s so far
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^astra_http_requests_total\{endpoint="\/api\/v1\/telemetry",method="POST",status="200"\}/ {print $2}'
}

BASE=""
run() {  # label env...
  local label=$1; shift
  env "$@" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.%p" \
    "$BUILD"/astraguard serve --host 127.0.0.1 --port 0 --metrics-port 0 --io-threads 1 \
    >"$TMP/out" 2>&1 &
  local vp=$! port=""
  PIDS+=($vp)
  for _ in $(seq 300); do
    port=$(grep -oE 'api_port"?[:=][0-9]+' "$TMP/out" 2>/dev/null | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "service did not start: $(cat "$TMP/out")" >&2; exit 1; }
  wrk -t1 -c4 -d2s -s bench/post_telemetry.lua "http://127.0.0.1:$port/api/v1/telemetry" >/dev/null
  local before after ir
  before=$(count "$port")
  callgrind_control -z "$vp" >/dev/null 2>&1
  wrk -t1 -c4 -d4s -s bench/post_telemetry.lua "http://127.0.0.1:$port/api/v1/telemetry" >/dev/null
  callgrind_control -d "$vp" >/dev/null 2>&1
  after=$(count "$port")
  sleep 0.3
  ir=$(cat "$TMP"/cg."$vp".* | awk '/^summary:/ {s += $2} END {print s}')
  kill "$vp"; wait "$vp" 2>/dev/null || true
  rm -f "$TMP"/cg.*
  local per=$((ir / (after - before)))
  [ -z "$BASE" ] && BASE=$per
  awk -v l="$label" -v p="$per" -v b="$BASE" -v n=$((after - before)) \
    'BEGIN { printf "%-58s %9d %8.1f%%   (%d requests)\n", l, p, (p-b)*100/b, n }'
}

echo "== user-space instructions per POST /api/v1/telemetry (callgrind, all threads) =="
printf "%-58s %9s %9s\n" configuration "Ir/req" "overhead"
run "off: OTEL_SDK_DISABLED, LOG_LEVEL=ERROR (metrics on)" OTEL_SDK_DISABLED=true LOG_LEVEL=ERROR
run "JSON access log" OTEL_SDK_DISABLED=true LOG_LEVEL=INFO ENABLE_JSON_LOGGING=true
run "JSON access log + traces sampled at 10%" ENABLE_JSON_LOGGING=true \
  OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 \
  OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_ENDPOINT"
run "  same without traceparent response header" ENABLE_JSON_LOGGING=true OTEL_PROPAGATORS=none \
  OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 \
  OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_ENDPOINT"
run "JSON access log + every request traced and exported" ENABLE_JSON_LOGGING=true \
  OTEL_TRACES_SAMPLER=always_on OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_ENDPOINT"
