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
# The HTTP and detection path as served, with logs and traces off: their cost is measured on its
# own by bench/obs_overhead.sh below.
OTEL_SDK_DISABLED=true LOG_LEVEL=WARNING \
  "$BUILD"/astraguard serve --host 127.0.0.1 --port 0 --metrics-port 0 --io-threads "$THREADS" \
  >"$LOG/service" 2>&1 &
PIDS+=($!)
"$BUILD"/bench/ceiling_server 0 "$THREADS" >"$LOG/ceiling" 2>&1 &
PIDS+=($!)
SVC=$(wait_port "$LOG/service")
CEIL=$(wait_port "$LOG/ceiling")

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

echo
echo "== wrk: ${SECS}s per run, 1 server io thread, wrk -t1, 127.0.0.1 (logs and traces off) =="
printf "%-28s %5s %10s %9s %9s %8s\n" target conns req/s p50_ms p99_ms ratio
for c in 1 16 64; do
  read -r crps cp50 cp99 < <(run "$CEIL" /api/v1/telemetry "$c" bench/post_telemetry.lua)
  printf "%-28s %5s %10s %9s %9s %8s\n" "ceiling (fixed reply)" "$c" "$crps" "$cp50" "$cp99" "1.00"
  read -r rps p50 p99 < <(run "$SVC" /api/v1/telemetry "$c" bench/post_telemetry.lua)
  printf "%-28s %5s %10s %9s %9s %8.2f\n" "POST /api/v1/telemetry" "$c" "$rps" "$p50" "$p99" \
    "$(echo "$rps / $crps" | bc -l)"
  read -r rps p50 p99 < <(run "$SVC" /health "$c")
  printf "%-28s %5s %10s %9s %9s %8.2f\n" "GET /health" "$c" "$rps" "$p50" "$p99" \
    "$(echo "$rps / $crps" | bc -l)"
done

echo
echo "== observability overhead (bench/obs_overhead.sh) =="
bash bench/obs_overhead.sh "$BUILD"
echo
bash bench/obs_overhead_callgrind.sh "$BUILD"
