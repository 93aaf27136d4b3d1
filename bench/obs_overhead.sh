#!/usr/bin/env bash
# Observability overhead, same run, same machine: two service instances side by side,
#   off: OTEL_SDK_DISABLED=true, LOG_LEVEL=ERROR (no spans, no access lines; metrics stay on:
#        they are part of the request path and cost ~0.1 us, see obs_overhead_bench)
#   on:  every request traced (always_on) and exported over OTLP/HTTP protobuf to a live
#        receiver (tests/otlp-receiver acknowledging without decoding), JSON access line per
#        request written to a file, detection spans and metrics.
# wrk runs alternate off/on ROUNDS times (each BENCH_SECONDS long) and the medians are compared.
# Each service instance is pinned to CPU 0 with all its threads (io, log writer, span export),
# wrk and the receiver to CPU 1: the service is CPU-bound on its own core, so req/s measures what
# the instrumentation costs the service, not what the receiver takes from the load generator.
#   usage: bench/obs_overhead.sh [build-dir]   env: BENCH_SECONDS (3), ROUNDS (3), CONNS (16)
set -euo pipefail
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16}
cd "$(dirname "$0")/.."
source bench/common.sh
start_otlp_receiver
taskset -apc 1 "${PIDS[-1]}" >/dev/null  # the receiver (node, all its threads) on CPU 1

declare -A PID_OF
declare -A PORT_OF
start() {  # name env... : starts one instance, records its pid and API port
  local name=$1 p=""; shift
  env "$@" taskset -c 0 "$BUILD"/astraguard serve --host 127.0.0.1 --port 0 --metrics-port 0 --io-threads 1 \
    >"$TMP/$name.out" 2>&1 &
  PIDS+=($!)
  PID_OF[$name]=$!
  for _ in $(seq 100); do
    p=$(grep -oE '"api_port":[0-9]+' "$TMP/$name.out" | grep -oE '[0-9]+$' || true)
    [ -n "$p" ] && break
    sleep 0.05
  done
  [ -n "$p" ] || { echo "$name did not start: $(cat "$TMP/$name.out")" >&2; exit 1; }
  PORT_OF[$name]=$p
}
start off OTEL_SDK_DISABLED=true LOG_LEVEL=ERROR
start on OTEL_TRACES_SAMPLER=always_on OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_ENDPOINT" \
  ENABLE_JSON_LOGGING=true LOG_LEVEL=INFO
start sampled OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 \
  OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_ENDPOINT" ENABLE_JSON_LOGGING=true LOG_LEVEL=INFO

cpu_ticks() {  # pid -> utime+stime of all threads, in clock ticks
  awk '{print $14+$15}' "/proc/$1/stat"
}
HZ=$(getconf CLK_TCK)

# One wrk run against `name`: appends "req/s" to $TMP/name.rps and "CPU us per request" to
# $TMP/name.cpu (the service process, all threads: io, log writer, span export).
measure() {
  local name=$1 port=${PORT_OF[$1]} pid=${PID_OF[$1]}
  local before after out rps
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/post_telemetry.lua \
    "http://127.0.0.1:$port/api/v1/telemetry")
  after=$(cpu_ticks "$pid")
  rps=$(awk '/Requests\/sec/ {print int($2)}' <<<"$out")
  echo "$rps" >>"$TMP/$name.rps"
  awk -v t=$((after - before)) -v hz="$HZ" -v r="$rps" -v s="$SECS" \
    'BEGIN { printf "%.2f\n", t / hz * 1e6 / (r * s) }' >>"$TMP/$name.cpu"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for name in off on sampled; do  # warm-up
  wrk -t1 -c"$CONNS" -d1s -s bench/post_telemetry.lua \
    "http://127.0.0.1:${PORT_OF[$name]}/api/v1/telemetry" >/dev/null
done
for r in $(seq "$ROUNDS"); do
  for name in off on sampled; do measure "$name"; done
done

echo "== observability overhead: POST /api/v1/telemetry, wrk -t1 -c$CONNS, ${SECS}s x $ROUNDS rounds (interleaved), 1 io thread =="
printf "%-52s %10s %14s %10s %10s\n" instance "req/s" "CPU us/req" "tput loss" "CPU cost"
off_rps=$(median <"$TMP/off.rps"); off_cpu=$(median <"$TMP/off.cpu")
for name in off on sampled; do
  rps=$(median <"$TMP/$name.rps"); cpu=$(median <"$TMP/$name.cpu")
  case $name in
    off) label="off: no spans, LOG_LEVEL=ERROR (metrics on)";;
    on) label="on: every request traced+exported, JSON access log";;
    sampled) label="on, 10% of traces sampled, JSON access log";;
  esac
  awk -v l="$label" -v r="$rps" -v c="$cpu" -v r0="$off_rps" -v c0="$off_cpu" \
    'BEGIN { printf "%-52s %10d %14.2f %9.1f%% %9.1f%%\n", l, r, c, (r0-r)*100/r0, (c-c0)*100/c0 }'
done
echo "(CPU cost = extra CPU time per request in the service process, all its threads; it is"
echo " what throughput loses when the service is CPU-bound, independent of other load on the box."
echo " The service runs on CPU 0, wrk and the OTLP receiver on CPU 1.)"
