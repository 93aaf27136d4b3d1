#!/usr/bin/env bash
# Observability overhead, same run, same machine: two service instances side by side,
#   off: OTEL_SDK_DISABLED=true, LOG_LEVEL=ERROR (no spans, no access lines; metrics stay on:
#        they are part of the request path and cost ~0.1 us, see obs_overhead_bench)
#   on:  every request traced (always_on) and exported over OTLP/HTTP protobuf to a live
#        receiver (tests/otlp-receiver acknowledging without decoding), JSON access line per
#        request written to a file, detection spans and metrics.
# wrk runs alternate off/on ROUNDS times (each BENCH_SECONDS long) and the medians are compared.
#   usage: bench/obs_overhead.sh [build-dir]   env: BENCH_SECONDS (3), ROUNDS (3), CONNS (16)
set -euo pipefail
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16}
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh

PIDS=()
TMP=$(mktemp -d)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

node tests/otlp-receiver/receiver.js --port-file "$TMP/otlp_port" --out /dev/null --respond 200 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/otlp_port" ] && break; sleep 0.05; done
OTLP=$(cat "$TMP/otlp_port")

start() {  # name env... -> port
  local name=$1; shift
  env "$@" "$BUILD"/astraguard serve --host 127.0.0.1 --port 0 --metrics-port 0 --io-threads 1 \
    >"$TMP/$name.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    p=$(grep -oE '"api_port":[0-9]+' "$TMP/$name.out" | grep -oE '[0-9]+$' || true)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.05
  done
  echo "$name did not start: $(cat "$TMP/$name.out")" >&2
  return 1
}
OFF=$(start off OTEL_SDK_DISABLED=true LOG_LEVEL=ERROR)
ON=$(start on OTEL_TRACES_SAMPLER=always_on OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP" \
  ENABLE_JSON_LOGGING=true LOG_LEVEL=INFO)

rps() {  # port -> requests/s
  wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/post_telemetry.lua "http://127.0.0.1:$1/api/v1/telemetry" \
    | awk '/Requests\/sec/ {print int($2)}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

wrk -t1 -c"$CONNS" -d1s -s bench/post_telemetry.lua "http://127.0.0.1:$OFF/api/v1/telemetry" >/dev/null
wrk -t1 -c"$CONNS" -d1s -s bench/post_telemetry.lua "http://127.0.0.1:$ON/api/v1/telemetry" >/dev/null
: >"$TMP/off"; : >"$TMP/on"
for r in $(seq "$ROUNDS"); do
  rps "$OFF" >>"$TMP/off"
  rps "$ON" >>"$TMP/on"
done
off=$(median <"$TMP/off"); on=$(median <"$TMP/on")
echo "== observability overhead: POST /api/v1/telemetry, wrk -t1 -c$CONNS, ${SECS}s x $ROUNDS rounds, 1 io thread =="
echo "off (no spans, no access log): $(tr '\n' ' ' <"$TMP/off")-> median $off req/s"
echo "on  (spans exported, JSON access log): $(tr '\n' ' ' <"$TMP/on")-> median $on req/s"
awk -v a="$off" -v b="$on" 'BEGIN { printf "throughput loss with full instrumentation: %.1f%%\n", (a-b)*100/a }'
lines=$(grep -c '"event":"http_request"' "$TMP/on.out" || true)
echo "access lines written by 'on': $lines"
