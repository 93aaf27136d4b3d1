#!/usr/bin/env bash
# Observability overhead, same run, same machine: three service instances side by side,
#   off:     OTEL_SDK_DISABLED=true, LOG_LEVEL=ERROR (no spans, no access lines; metrics stay on:
#            they are part of the request path and cost ~0.1 us, see obs_overhead_bench)
#   on:      every request traced (always_on) and exported over OTLP/HTTP protobuf, JSON access
#            line per request, detection spans and metrics
#   sampled: the same with 10% of traces sampled (parentbased_traceidratio 0.1)
# wrk runs alternate between the instances ROUNDS times (each BENCH_SECONDS long) and the medians
# are compared. Each instance is pinned to CPU 0 with all its threads (io, log writer, span
# export); wrk and the OTLP sink run on CPU 1. The service is CPU-bound on its own
# core, so req/s measures what the instrumentation costs the service.
#   usage: bench/obs_overhead.sh [build-dir]   env: BENCH_SECONDS (3), ROUNDS (7), CONNS (64)
set -euo pipefail
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${ROUNDS:-7}
CONNS=${CONNS:-64}
cd "$(dirname "$0")/.."
source bench/common.sh
# The OTLP sink: the bench's ceiling server (a minimal Beast server answering 200 to every
# request, like a collector accepting everything), on CPU 1. The node test receiver would take
# CPU 1 from wrk in the traced runs; decoding by a real OTLP decoder is proven by the tests.
taskset -c 1 "$BUILD"/bench/ceiling_server 0 1 >"$TMP/sink" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q api_port= "$TMP/sink" && break; sleep 0.05; done
OTLP_ENDPOINT="http://127.0.0.1:$(sed -n 's/^api_port=//p' "$TMP/sink")"

declare -A PID_OF
declare -A PORT_OF
free_port() {  # node is installed for the tests anyway
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1",
    () => { console.log(s.address().port); s.close(); })'
}
start() {  # name env... : starts one instance, records its pid and API port
  local name=$1 p; shift
  p=$(free_port)
  # The log (stdout) goes to /dev/null: the service still formats every line and write()s it,
  # but no reader takes CPU from wrk, as a log collector elsewhere would not.
  env "$@" taskset -c 0 "$BUILD"/astraguard serve --host 127.0.0.1 --port "$p" --metrics-port 0 \
    --io-threads 1 >/dev/null 2>"$TMP/$name.err" &
  PIDS+=($!)
  PID_OF[$name]=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$p/health" >/dev/null && break
    sleep 0.05
  done
  curl -sf "http://127.0.0.1:$p/health" >/dev/null ||
    { echo "$name did not start: $(cat "$TMP/$name.err")" >&2; exit 1; }
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
  taskset -c 1 wrk -t1 -c"$CONNS" -d1s -s bench/post_telemetry.lua \
    "http://127.0.0.1:${PORT_OF[$name]}/api/v1/telemetry" >/dev/null
done
for r in $(seq "$ROUNDS"); do
  for name in off on sampled; do measure "$name"; done
done

echo "== observability overhead: POST /api/v1/telemetry, wrk -t1 -c$CONNS, ${SECS}s x $ROUNDS rounds (interleaved), 1 io thread =="
printf "%-52s %10s %15s %14s %10s %10s\n" instance "req/s" "(min-max)" "CPU us/req" "tput loss" \
  "CPU cost"
off_rps=$(median <"$TMP/off.rps"); off_cpu=$(median <"$TMP/off.cpu")
for name in off on sampled; do
  rps=$(median <"$TMP/$name.rps"); cpu=$(median <"$TMP/$name.cpu")
  range=$(sort -n "$TMP/$name.rps" | awk 'NR==1 {lo=$1} {hi=$1} END {printf "(%d-%d)", lo, hi}')
  case $name in
    off) label="off: no spans, LOG_LEVEL=ERROR (metrics on)";;
    on) label="on: every request traced+exported, JSON access log";;
    sampled) label="on, 10% of traces sampled, JSON access log";;
  esac
  awk -v l="$label" -v r="$rps" -v g="$range" -v c="$cpu" -v r0="$off_rps" -v c0="$off_cpu" \
    'BEGIN { printf "%-52s %10d %15s %14.2f %9.1f%% %9.1f%%\n", l, r, g, c, (r0-r)*100/r0,
             (c-c0)*100/c0 }'
done
echo "(req/s and CPU us/req: medians over the rounds, with the req/s range. CPU cost = extra CPU"
echo " time per request in the service process, all its threads. The service runs on CPU 0; wrk"
echo " and the OTLP sink on CPU 1. On this shared 2-vCPU box rounds of one configuration differ by"
echo " up to ~15%; bench/obs_overhead_callgrind.sh counts instructions, which other load does not"
echo " move.)"
