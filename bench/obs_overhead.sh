#!/usr/bin/env bash
# Observability overhead, same run, same machine, same moments: five service instances on CPU 0,
# loaded at the same time by five wrk processes on CPU 1 (with the OTLP sink), round after round:
#   off:      OTEL_SDK_DISABLED=true, LOG_LEVEL=ERROR (no spans, no access lines; metrics stay
#             on: they are part of the request path and cost ~0.1 us, see obs_overhead_bench)
#   control:  a second identical `off`, which shows the method's own noise
#   logs:     JSON access line per request, no traces
#   sampled:  JSON access log + 10% of traces sampled (parentbased_traceidratio 0.1) and exported
#             over OTLP/HTTP protobuf
#   on:       JSON access log + every request traced and exported, with its detection span
# An instance's cost is its CPU time per request (all its threads: io, log writer, span export,
# from /proc), so what a core can serve is 1 / (CPU per request): "capacity loss" compares that
# with `off` in the same round. Run side by side, the instances meet the noise of this shared box
# alike (run one after another, single runs of one configuration differ by up to ~15%); sharing
# one core's caches between five instances makes each cost look larger, not smaller. Medians
# over the rounds, quartiles in brackets.
#   usage: bench/obs_overhead.sh [build-dir]   env: BENCH_SECONDS (3), ROUNDS (7), CONNS (16)
set -euo pipefail
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${ROUNDS:-7}
CONNS=${CONNS:-16}
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
NAMES=(off control logs sampled on)
start off OTEL_SDK_DISABLED=true LOG_LEVEL=ERROR
start control OTEL_SDK_DISABLED=true LOG_LEVEL=ERROR
start logs OTEL_SDK_DISABLED=true ENABLE_JSON_LOGGING=true LOG_LEVEL=INFO
start sampled OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 \
  OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_ENDPOINT" ENABLE_JSON_LOGGING=true LOG_LEVEL=INFO
start on OTEL_TRACES_SAMPLER=always_on OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_ENDPOINT" \
  ENABLE_JSON_LOGGING=true LOG_LEVEL=INFO

cpu_ticks() {  # pid -> utime+stime of all threads, in clock ticks
  awk '{print $14+$15}' "/proc/$1/stat"
}
HZ=$(getconf CLK_TCK)
load() {  # seconds: one wrk per instance, all at once; outputs in $TMP/name.wrk
  local w=()
  for name in "${NAMES[@]}"; do
    taskset -c 1 wrk -t1 -c"$CONNS" -d"$1s" -s bench/post_telemetry.lua \
      "http://127.0.0.1:${PORT_OF[$name]}/api/v1/telemetry" >"$TMP/$name.wrk" &
    w+=($!)
  done
  wait "${w[@]}"
}

load 1  # warm-up
declare -A TICKS
for _ in $(seq "$ROUNDS"); do
  for name in "${NAMES[@]}"; do TICKS[$name]=$(cpu_ticks "${PID_OF[$name]}"); done
  load "$SECS"
  for name in "${NAMES[@]}"; do
    # "req/s CPU-us-per-request" for this round
    awk -v t=$(($(cpu_ticks "${PID_OF[$name]}") - TICKS[$name])) -v hz="$HZ" -v s="$SECS" \
      '/ requests in / { printf "%d %.3f\n", $1 / s, t / hz * 1e6 / $1 }' "$TMP/$name.wrk" \
      >>"$TMP/$name.rounds"
  done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# "median (first quartile to third quartile)" of the numbers on stdin
summary() {
  sort -g | awk '{a[NR]=$1} END {
    printf "%.1f (%.1f to %.1f)", a[int((NR+1)/2)], a[int((NR+3)/4)], a[int((3*NR+1)/4)] }'
}
echo "== observability overhead: POST /api/v1/telemetry, 5 instances side by side on CPU 0, 1 io thread each, wrk -t1 -c$CONNS per instance on CPU 1, $ROUNDS rounds of ${SECS}s =="
printf "%-46s %8s %11s %24s\n" instance "req/s" "CPU us/req" "capacity loss %"
for name in "${NAMES[@]}"; do
  case $name in
    off) label="off: no spans, LOG_LEVEL=ERROR (metrics on)";;
    control) label="off again (control: the method's noise)";;
    logs) label="JSON access log, no traces";;
    sampled) label="JSON access log + 10% of traces sampled";;
    on) label="JSON access log + every request traced";;
  esac
  rps=$(awk '{print $1}' "$TMP/$name.rounds" | median)
  cpu=$(awk '{print $2}' "$TMP/$name.rounds" | median)
  loss=$(paste -d' ' "$TMP/off.rounds" "$TMP/$name.rounds" |
    awk '{printf "%.3f\n", (1 - $2 / $4) * 100}' | summary)
  printf "%-46s %8d %11.2f %24s\n" "$label" "$rps" "$cpu" "$loss"
done
echo "(capacity loss = 1 - CPU per request of off / CPU per request of the instance, per round,"
echo " so the share of a core's throughput the instrumentation takes; CPU time counts all threads"
echo " of the instance, user and kernel. bench/obs_overhead_callgrind.sh counts user-space"
echo " instructions, which other load does not move.)"
