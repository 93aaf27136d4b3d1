# Sourced by the bench scripts after `cd` to the repository root with BUILD set: a scratch
# directory and child processes cleaned up on exit, the nominal records the wrk runs replay,
# and the OTLP test receiver.

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# Nominal records for bench/post_telemetry.lua: 10 simulated satellites x 2,000 samples, no
# faults (deterministic for the seed, so written once per build directory).
export BENCH_RECORDS=${BENCH_RECORDS:-$BUILD/bench-records.ndjson}
if [ ! -s "$BENCH_RECORDS" ]; then
  "$BUILD"/astraguard simulate --satellites 10 --samples 2000 --seed 11 --faults-per-hour 0 \
    --format ndjson --no-truth -o "$BENCH_RECORDS"
fi

# Starts the OTLP test receiver (acknowledges every export without decoding) and sets
# OTLP_ENDPOINT to its base URL.
start_otlp_receiver() {
  bash scripts/test-deps.sh
  node tests/otlp-receiver/receiver.js --port-file "$TMP/otlp_port" --out /dev/null \
    --respond 200 &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$TMP/otlp_port" ] && break; sleep 0.05; done
  OTLP_ENDPOINT="http://127.0.0.1:$(cat "$TMP/otlp_port")"
}
