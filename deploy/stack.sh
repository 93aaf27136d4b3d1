#!/usr/bin/env bash
# `make stack` / `make stack-stop`: the production topology of docker-compose.prod.yml without
# Docker, from Debian packages, every process on 127.0.0.1: the service, Redis, Prometheus with
# deploy/prometheus (the same configuration, targets rewritten to loopback ports, the Grafana
# and Jaeger jobs dropped, the same rules), Alertmanager with deploy/alertmanager, node- and
# redis-exporters.
#
#   deploy/stack.sh start    start everything (fails if a port is taken), print the URLs
#   deploy/stack.sh stop     stop what `start` started (by the PIDs it recorded)
#
# Environment (defaults in brackets): STACK_DIR [build/stack] for data, logs and PID files;
# STACK_BIN [build/astraguard]; ports API_PORT [8000], METRICS_PORT [9090], PROM_PORT [9091],
# ALERTMANAGER_PORT [9093], REDIS_PORT [6379], REDIS_EXPORTER_PORT [9121], NODE_EXPORTER_PORT
# [9100]; STACK_SCRAPE_INTERVAL [15s] (scrape and rule evaluation interval). The service gets
# the rest of the environment (LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT, ...); without an OTLP
# endpoint set, trace export is off (OTEL_TRACES_EXPORTER=none) since no Jaeger runs here.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${STACK_DIR:-$root/build/stack}"
bin="${STACK_BIN:-$root/build/astraguard}"
api=${API_PORT:-8000} metrics=${METRICS_PORT:-9090} prom=${PROM_PORT:-9091}
am=${ALERTMANAGER_PORT:-9093} redis=${REDIS_PORT:-6379}
redis_exp=${REDIS_EXPORTER_PORT:-9121} node_exp=${NODE_EXPORTER_PORT:-9100}
interval="${STACK_SCRAPE_INTERVAL:-15s}"

die() { echo "stack: $*" >&2; exit 1; }

# waits until `$2...` succeeds (up to 30 s); $1 names the component for the error message.
wait_for() {
  local what="$1"; shift
  for _ in $(seq 1 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$what did not come up; see $dir/logs/$what.log"
}

# starts `$2...` in the background with its output in logs/$1.log and its PID in pids/$1.pid.
spawn() {
  local name="$1"; shift
  "$@" </dev/null >"$dir/logs/$name.log" 2>&1 &
  echo $! >"$dir/pids/$name.pid"
}

http_ok() { curl -fsS -o /dev/null --max-time 1 "$1"; }

all_targets_up() {
  local want; want="$(grep -c 'job_name:' "$dir/prometheus.yml")"
  curl -fsS --max-time 1 "http://127.0.0.1:$1/api/v1/query?query=count(up==1)" |
    grep -q "\"$want\"\]"
}

stop() {
  [ -d "$dir/pids" ] || { echo "stack: nothing to stop in $dir"; return 0; }
  local pids=()
  for f in "$dir"/pids/*.pid; do
    [ -e "$f" ] || continue
    local pid; pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" && pids+=("$pid"); fi
    rm -f "$f"
  done
  for pid in ${pids[@]+"${pids[@]}"}; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  echo "stack: stopped ${#pids[@]} processes"
}

start() {
  for cmd in redis-server redis-cli prometheus prometheus-alertmanager \
             prometheus-node-exporter prometheus-redis-exporter curl; do
    command -v "$cmd" >/dev/null || die "$cmd not found: run scripts/install-deps.sh"
  done
  [ -x "$bin" ] || die "$bin not found: run make build"
  if compgen -G "$dir/pids/*.pid" >/dev/null; then
    die "a stack already runs from $dir (make stack-stop first)"
  fi
  for p in "$api" "$metrics" "$prom" "$am" "$redis" "$redis_exp" "$node_exp"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is already in use"; fi
  done
  mkdir -p "$dir"/{pids,logs,redis,prometheus,alertmanager}
  # Whatever fails from here on, stop what was started.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then stop >/dev/null; fi' EXIT

  # Redis with AOF on, as in docker-compose.prod.yml (no password on loopback).
  spawn redis redis-server --port "$redis" --bind 127.0.0.1 --dir "$dir/redis" \
    --appendonly yes --appendfsync everysec --save ""
  wait_for redis redis-cli -p "$redis" ping

  spawn redis-exporter prometheus-redis-exporter -web.listen-address "127.0.0.1:$redis_exp" \
    -redis.addr "redis://127.0.0.1:$redis"
  spawn node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$node_exp" \
    --no-collector.systemd
  spawn alertmanager prometheus-alertmanager \
    --config.file="$root/deploy/alertmanager/alertmanager.yml" \
    --storage.path="$dir/alertmanager" --web.listen-address="127.0.0.1:$am" \
    --cluster.listen-address=

  local otlp=()
  if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-}" ]; then
    otlp=(OTEL_TRACES_EXPORTER=none)
  fi
  spawn astra-guard env ${otlp[@]+"${otlp[@]}"} ASTRAGUARD_HOST=127.0.0.1 \
    ASTRAGUARD_PORT="$api" PROMETHEUS_PORT="$metrics" \
    REDIS_URL="redis://127.0.0.1:$redis/0" "$bin" serve

  # Our prometheus.yml with the compose addresses replaced by the loopback ports.
  sed -e "s|/etc/prometheus/rules/|$root/deploy/prometheus/rules/|" \
      -e "s|'astra-guard:9090'|'127.0.0.1:$metrics'|" \
      -e "s|'localhost:9090'|'127.0.0.1:$prom'|" \
      -e "s|'alertmanager:9093'|'127.0.0.1:$am'|" \
      -e "s|'redis-exporter:9121'|'127.0.0.1:$redis_exp'|" \
      -e "s|'node-exporter:9100'|'127.0.0.1:$node_exp'|" \
      -e "s|^\(  [a-z_]*_interval:\) 15s|\1 $interval|" \
      -e '/^  # Only in docker-compose.prod.yml/d' \
      -e '/^  - job_name: \(grafana\|jaeger\)$/,/^$/d' \
      "$root/deploy/prometheus/prometheus.yml" >"$dir/prometheus.yml"
  if grep -Eq "(astra-guard|localhost|alertmanager|exporter|grafana|jaeger):[0-9]" "$dir/prometheus.yml"; then
    die "a target of deploy/prometheus/prometheus.yml has no loopback mapping"
  fi
  spawn prometheus prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/prometheus" --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$prom" --web.enable-lifecycle

  wait_for redis-exporter http_ok "http://127.0.0.1:$redis_exp/metrics"
  wait_for node-exporter http_ok "http://127.0.0.1:$node_exp/metrics"
  wait_for alertmanager http_ok "http://127.0.0.1:$am/-/ready"
  wait_for astra-guard http_ok "http://127.0.0.1:$api/health/ready"
  wait_for prometheus http_ok "http://127.0.0.1:$prom/-/ready"
  # Every job scraped once, so that what happens from now on is seen from its start.
  wait_for prometheus all_targets_up "$prom"
  trap - EXIT

  cat <<URLS
stack: running (logs and data in $dir; stop with make stack-stop)
  AstraGuard API         http://127.0.0.1:$api   (health: /health, metrics: /metrics)
  AstraGuard metrics     http://127.0.0.1:$metrics/metrics
  Prometheus             http://127.0.0.1:$prom   (alerts: /alerts, targets: /targets)
  Alertmanager           http://127.0.0.1:$am
  Redis                  redis://127.0.0.1:$redis   (AOF in $dir/redis)
  Redis exporter         http://127.0.0.1:$redis_exp/metrics
  Node exporter          http://127.0.0.1:$node_exp/metrics
  Grafana (not packaged) the dashboards' queries in Prometheus: node deploy/grafana/panel-queries.js http://127.0.0.1:$prom
  Jaeger (not packaged)  traces go to OTEL_EXPORTER_OTLP_ENDPOINT when you set it; off otherwise
URLS
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
