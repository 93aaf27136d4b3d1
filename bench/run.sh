#!/usr/bin/env bash
# make bench: Google Benchmark micro-benchmarks, then wrk load runs (127.0.0.1 only, bounded in
# time) against the service and against the ceiling server, in the same run, with ratios.
#   BENCH_SECONDS  duration of each wrk run (default 5)
set -euo pipefail
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-5}
cd "$(dirname "$0")/.."

# The detection benchmark also streams the NASA SMAP/MSL development split when it is present.
if [ -z "${BENCH_EVAL_DATA:-}" ] && [ -d ../shared/data/nasa-smap-msl ]; then
  export BENCH_EVAL_DATA=$(cd ../shared/data/nasa-smap-msl && pwd)
fi

echo "== micro-benchmarks =="
for b in "$BUILD"/bench/*_bench "$BUILD"/src/astraguard/*/*_bench; do
  [ -x "$b" ] || continue
  echo "-- $(basename "$b")"
  "$b" --benchmark_min_time=0.2 2>/dev/null
done

source bench/common.sh

wait_port() {  # file -> port from "api_port=N" or "api_port":N
  for _ in $(seq 100); do
    p=$(grep -oE 'api_port"?[:=][0-9]+' "$1" | head -1 | grep -oE '[0-9]+$' || true)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.05
  done
  echo "server did not start: $(cat "$1")" >&2; return 1
}

# One io thread for the servers, one thread for wrk: each gets one of the two cores.
THREADS=${BENCH_SERVER_THREADS:-1}
LOG=$TMP
# The HTTP and detection path as served, with logs and traces off...
OTEL_SDK_DISABLED=true LOG_LEVEL=WARNING \
  "$BUILD"/astraguard serve --host 127.0.0.1 --port 0 --metrics-port 0 --io-threads "$THREADS" \
  >"$LOG/service" 2>&1 &
PIDS+=($!)
# ...and with the guide's production settings: a JSON access line per request (to a file) and
# 10% of traces sampled and exported over OTLP/HTTP to a sink that accepts everything.
"$BUILD"/bench/ceiling_server 0 1 >"$LOG/sink" 2>&1 &
PIDS+=($!)
SINK=$(wait_port "$LOG/sink")
ENVIRONMENT=production ASTRAGUARD_API_KEYS=operator:bench-operator-key \
  ENABLE_JSON_LOGGING=true LOG_LEVEL=INFO \
  OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 \
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK" \
  "$BUILD"/astraguard serve --host 127.0.0.1 --port 0 --metrics-port 0 --io-threads "$THREADS" \
  >"$LOG/service_prod" 2>&1 &
PIDS+=($!)
"$BUILD"/bench/ceiling_server 0 "$THREADS" fixed >"$LOG/ceiling" 2>&1 &
PIDS+=($!)
"$BUILD"/bench/ceiling_server 0 "$THREADS" parse >"$LOG/ceiling_parse" 2>&1 &
PIDS+=($!)
SVC=$(wait_port "$LOG/service")
SVCP=$(wait_port "$LOG/service_prod")
CEIL=$(wait_port "$LOG/ceiling")
CEILP=$(wait_port "$LOG/ceiling_parse")

# run <port> <path> <conns> [script] -> "rps p50_ms p99_ms"
run() {
  local args=(-t1 -c"$3" -d"${SECS}s" --latency --timeout 5s)
  [ -n "${4:-}" ] && args+=(-s "$4")
  wrk "${args[@]}" "http://127.0.0.1:$1$2" >"$LOG/wrk" 2>&1
  awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END { printf "%.0f %.3f %.3f\n", rps, ms(p50), ms(p99) }' "$LOG/wrk"
}
row() {  # label conns rps p50 p99 ratio-to-parsing-ceiling ratio-to-fixed-ceiling
  printf "%-34s %5s %10s %9s %9s %8.2f %8.2f\n" "$1" "$2" "$3" "$4" "$5" \
    "$(echo "$3 / $crpsp" | bc -l)" "$(echo "$3 / $crps" | bc -l)"
}

echo
echo "== wrk: ${SECS}s per run, 1 server io thread, wrk -t1, 127.0.0.1 =="
echo "   ratios to the parsing ceiling (Boost.JSON parse + validate + a reply of the same size)"
echo "   and to the fixed-reply ceiling, measured in this run"
printf "%-34s %5s %10s %9s %9s %8s %8s\n" target conns req/s p50_ms p99_ms x_parse x_fixed
for c in 1 16 64; do
  read -r crps cp50 cp99 < <(run "$CEIL" /api/v1/telemetry "$c" bench/post_telemetry.lua)
  read -r crpsp cp50p cp99p < <(run "$CEILP" /api/v1/telemetry "$c" bench/post_telemetry.lua)
  row "ceiling (fixed reply)" "$c" "$crps" "$cp50" "$cp99"
  row "ceiling (parse + validate)" "$c" "$crpsp" "$cp50p" "$cp99p"
  read -r rps p50 p99 < <(run "$SVC" /api/v1/telemetry "$c" bench/post_telemetry.lua)
  row "POST telemetry (obs off)" "$c" "$rps" "$p50" "$p99"
  read -r rps p50 p99 < <(run "$SVCP" /api/v1/telemetry "$c" bench/post_telemetry.lua)
  row "POST telemetry (production obs)" "$c" "$rps" "$p50" "$p99"
  read -r rps p50 p99 < <(run "$SVC" /health "$c")
  row "GET /health" "$c" "$rps" "$p50" "$p99"
done

echo
bash bench/redis_ratio.sh "$BUILD"

echo
echo "== observability overhead: bench/obs_overhead.sh, ${OVERHEAD_RUNS:=5} runs =="
# Bounds: the guide's production settings (JSON access log + 10% of traces sampled) cost at most
# 5% of capacity, every request traced at most 10%, each as the median of the runs' medians.
for i in $(seq "$OVERHEAD_RUNS"); do
  bash bench/obs_overhead.sh "$BUILD" | tee "$TMP/overhead.$i"
done
loss_of() {  # label pattern -> the median over the runs of that row's median capacity loss
  for i in $(seq "$OVERHEAD_RUNS"); do
    grep "$1" "$TMP/overhead.$i" | awk '{for (f = NF; f > 0; --f) if ($f ~ /^\(/) {print $(f-1); break}}'
  done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
sampled=$(loss_of "10% of traces sampled")
traced=$(loss_of "every request traced")
printf "median over %d runs: 10%% sampled + JSON log %s%% (bound 5%%), every request traced %s%% (bound 10%%)\n" \
  "$OVERHEAD_RUNS" "$sampled" "$traced"
echo
bash bench/obs_overhead_callgrind.sh "$BUILD"
