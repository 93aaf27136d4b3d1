#!/usr/bin/env bash
# The telemetry path with the shared state in Redis against the embedded default, in the same
# run: two instances (one io thread each), one with REDIS_URL pointing at a real redis-server on
# a free port (no persistence), one without; wrk -t1 against each in turn, for the nominal stream
# (anomalies are rare: Redis is touched by the phase re-read once a second) and for a stream in
# which every record is an anomaly (one Redis write per request).
#   usage: bench/redis_ratio.sh [build dir]; BENCH_SECONDS per run (default 5)
set -euo pipefail
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-5}
cd "$(dirname "$0")/.."
source bench/common.sh

free_port() {  # node is installed for the tests anyway
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1",
    () => { console.log(s.address().port); s.close(); })'
}
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --logfile "$TMP/redis.log" &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

start() {  # name env... -> port in $TMP/name.port
  local name=$1 p; shift
  p=$(free_port)
  env "$@" OTEL_SDK_DISABLED=true LOG_LEVEL=ERROR "$BUILD"/astraguard serve --host 127.0.0.1 \
    --port "$p" --metrics-port 0 --io-threads 1 >/dev/null 2>"$TMP/$name.err" &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.05; done
  curl -sf "http://127.0.0.1:$p/health" >/dev/null ||
    { echo "$name did not start: $(cat "$TMP/$name.err")" >&2; exit 1; }
  echo "$p" >"$TMP/$name.port"
}
start embedded
start redis REDIS_URL="redis://127.0.0.1:$RPORT"

# Every record a brownout (voltage under red-low): an anomaly stored per request.
for i in $(seq 2000); do
  echo "{\"satellite_id\":\"BENCH-$((i % 10))\",\"voltage\":20.4,\"temperature\":21.3,\"gyro\":0.001}"
done >"$TMP/anomalies.ndjson"

rps() {  # port records conns -> requests per second
  BENCH_RECORDS=$2 wrk -t1 -c"$3" -d"${SECS}s" -s bench/post_telemetry.lua \
    "http://127.0.0.1:$1/api/v1/telemetry" | awk '/Requests\/sec/ {printf "%.0f\n", $2}'
}
E=$(cat "$TMP/embedded.port")
R=$(cat "$TMP/redis.port")
echo "== shared state in Redis vs the embedded default: ${SECS}s per run, wrk -t1 =="
printf "%-22s %5s %12s %12s %8s\n" stream conns embedded redis ratio
for c in 1 16; do
  for stream in nominal anomalies; do
    f=$BENCH_RECORDS
    [ "$stream" = anomalies ] && f=$TMP/anomalies.ndjson
    e=$(rps "$E" "$f" "$c")
    r=$(rps "$R" "$f" "$c")
    printf "%-22s %5s %12s %12s %8.2f\n" "$stream" "$c" "$e" "$r" "$(echo "$r / $e" | bc -l)"
  done
done
curl -s "http://127.0.0.1:$R/health" | grep -q '"redis":{"status":"healthy"' ||
  echo "warning: the Redis instance was degraded during the run" >&2
