#!/usr/bin/env bash
# Brings the whole MATIH stack up on one machine: the pinned Temporal dev server
# (SQLite under .data/), the three workers, demo data and demo pipelines, then the
# console.
#
#   scripts/dev.sh [up] [--no-console]   start what is not running yet, then open the console
#                                        (only when stdin is a terminal)
#   scripts/dev.sh down                  stop exactly what `up` started
#   scripts/dev.sh status                show each part
#   scripts/dev.sh install               only install the Temporal CLI into ./bin
#
# Environment: MATIH_DEV_PORT (Temporal frontend, default 7233), MATIH_DEV_UI_PORT (8233).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PORT=${MATIH_DEV_PORT:-7233}
UI_PORT=${MATIH_DEV_UI_PORT:-8233}
ADDR="127.0.0.1:$PORT"
PIDS="$DATA/pids"
LOGS="$DATA/logs"
NAMESPACE=matih-pipelines
# name|package|http address
WORKERS=(
  "worker-pipeline|./worker-pipeline/cmd/worker-pipeline|127.0.0.1:9101"
  "worker-infra|./worker-infra/cmd/worker-infra|127.0.0.1:9102"
  "worker-notify|./worker-notify/cmd/worker-notify|127.0.0.1:9103"
)
SEARCH_ATTRIBUTES=(PipelineId=Keyword PipelinePhase=Keyword Progress=Double QualityScore=Double)

usage() { usage_of "$0"; }

alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

port_busy() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

start_temporal() {
  if alive temporal; then say "temporal: already running (pid $(cat "$PIDS/temporal.pid"))"; return; fi
  port_busy "$ADDR" && die "port $PORT is taken by another process; set MATIH_DEV_PORT or stop it"
  local args=(server start-dev --ip 127.0.0.1 --port "$PORT" --ui-port "$UI_PORT"
    --db-filename "$DATA/temporal.db" --namespace "$NAMESPACE" --log-level warn)
  local sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
  say "temporal: starting dev server on $ADDR (UI http://127.0.0.1:$UI_PORT)"
  nohup "$TEMPORAL" "${args[@]}" >"$LOGS/temporal.log" 2>&1 &
  echo $! >"$PIDS/temporal.pid"
  for _ in $(seq 1 60); do
    if "$TEMPORAL" operator cluster health --address "$ADDR" >/dev/null 2>&1; then return; fi
    alive temporal || { tail -20 "$LOGS/temporal.log" >&2; die "temporal dev server exited; log: $LOGS/temporal.log"; }
    sleep 0.5
  done
  die "temporal dev server did not become healthy within 30s; log: $LOGS/temporal.log"
}

ensure_search_attributes() {
  local sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    "$TEMPORAL" operator search-attribute create --address "$ADDR" --namespace "$NAMESPACE" \
      --name "${sa%=*}" --type "${sa#*=}" >/dev/null 2>&1 || true
  done
}

build() {
  local pkgs=() w
  for w in "${WORKERS[@]}"; do
    IFS='|' read -r name pkg _ <<<"$w"
    [ -d "$pkg" ] && pkgs+=("$pkg")
  done
  pkgs+=(./worker-pipeline/cmd/demo-data)
  [ -d ./tui/cmd/matih ] && pkgs+=(./tui/cmd/matih)
  say "building: ${pkgs[*]}"
  go build -o "$BIN/" "${pkgs[@]}"
}

demo_data() {
  "$BIN/demo-data" --out "$DATA/demo/orders-clean.db" --rows 20000 --null-rate 0 >/dev/null
  "$BIN/demo-data" --out "$DATA/demo/orders-dirty.db" --rows 20000 --null-rate 0.25 >/dev/null
  # The workers reach only the databases their connections file lists; the demo's.
  [ -f "$DATA/connections.yaml" ] || cp worker-pipeline/examples/connections.yaml "$DATA/connections.yaml"
}

start_worker() { # name pkg http
  local name=$1 pkg=$2 http=$3
  if alive "$name"; then say "$name: already running (pid $(cat "$PIDS/$name.pid"))"; return; fi
  [ -x "$BIN/$name" ] || { say "$name: not built yet ($pkg missing); skipping"; return; }
  rm -f "$PIDS/$name.http"
  TEMPORAL_ADDRESS="$ADDR" TEMPORAL_NAMESPACE="$NAMESPACE" MATIH_HTTP_ADDR="$http" MATIH_DATA_DIR="$DATA" \
    nohup "$BIN/$name" >"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
  say "$name: started (pid $!), log $LOGS/$name.log"
}

wait_ready() { # name http
  for _ in $(seq 1 60); do
    curl -fsS "http://$2/readyz" >/dev/null 2>&1 && return 0
    alive "$1" || { tail -5 "$LOGS/$1.log" >&2; die "$1 exited; log: $LOGS/$1.log"; }
    sleep 0.5
  done
  die "$1 did not become ready within 30s; log: $LOGS/$1.log"
}

start_demos() {
  [ -f "$DATA/demo/.started" ] && return
  [ -x "$BIN/matih" ] || { say "demo pipelines: console binary not built; skipping"; return; }
  local f
  local kind f kf
  for kf in pipeline:orders-clean pipeline:orders-low-quality backfill:orders-backfill; do
    kind=${kf%%:*}; f=worker-pipeline/examples/${kf#*:}.yaml
    TEMPORAL_ADDRESS="$ADDR" TEMPORAL_NAMESPACE="$NAMESPACE" "$BIN/matih" start "$kind" -f "$f" >&2 || say "could not start $f"
  done
  touch "$DATA/demo/.started"
}

# ensure_maintenance_schedule registers the nightly Iceberg maintenance of the demo
# tables as a Temporal Schedule, once.
ensure_maintenance_schedule() {
  "$TEMPORAL" schedule describe --address "$ADDR" --namespace "$NAMESPACE" --schedule-id table-maintenance >/dev/null 2>&1 && return
  "$TEMPORAL" schedule create --address "$ADDR" --namespace "$NAMESPACE" --schedule-id table-maintenance \
    --cron "0 3 * * *" --workflow-id table-maintenance --task-queue infra-workers --type TableMaintenanceWorkflow \
    --input '{"tables":["demo.orders","demo.orders_dirty"],"retain_last":10}' >/dev/null \
    && say "schedule: table-maintenance (nightly 03:00, compaction and snapshot expiry of the demo tables)" \
    || say "schedule: could not register table-maintenance"
}

up() {
  local console=1 arg
  for arg in "$@"; do
    case $arg in
      --no-console) console=0 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option '$arg' (expected --no-console)" ;;
    esac
  done
  [ -t 0 ] || console=0
  mkdir -p "$PIDS" "$LOGS" "$DATA/demo"
  ensure_temporal_cli
  start_temporal
  ensure_search_attributes
  build
  demo_data
  local w
  for w in "${WORKERS[@]}"; do IFS='|' read -r name pkg http <<<"$w"; start_worker "$name" "$pkg" "$http"; done
  for w in "${WORKERS[@]}"; do
    IFS='|' read -r name pkg http <<<"$w"
    [ -f "$PIDS/$name.http" ] && http="127.0.0.1:$(cat "$PIDS/$name.http")"
    if alive "$name"; then wait_ready "$name" "$http"; fi
  done
  start_demos
  ensure_maintenance_schedule
  status
  if [ $console = 1 ] && [ -x "$BIN/matih" ]; then
    TEMPORAL_ADDRESS="$ADDR" TEMPORAL_NAMESPACE="$NAMESPACE" exec "$BIN/matih"
  fi
  say "console: TEMPORAL_ADDRESS=$ADDR bin/matih"
}

stop_one() { # name
  local name=$1 pid
  alive "$name" || { rm -f "$PIDS/$name.pid" "$PIDS/$name.http"; return; }
  pid=$(cat "$PIDS/$name.pid")
  # Workers drain on SIGTERM; the Temporal dev server shuts down on SIGINT.
  if [ "$name" = temporal ]; then kill -INT "$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
  for _ in $(seq 1 70); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "$name: did not stop in 35s; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PIDS/$name.pid" "$PIDS/$name.http"
  say "$name: stopped"
}

down() {
  local w
  for w in "${WORKERS[@]}"; do IFS='|' read -r name _ _ <<<"$w"; stop_one "$name"; done
  stop_one temporal
}

status() {
  printf '%-16s %-8s %-8s %s\n' PART PID STATE WHERE
  if alive temporal; then
    printf '%-16s %-8s %-8s %s\n' temporal "$(cat "$PIDS/temporal.pid")" up "$ADDR namespace $NAMESPACE, UI http://127.0.0.1:$UI_PORT"
  else
    printf '%-16s %-8s %-8s %s\n' temporal - down "$ADDR"
  fi
  local w state
  for w in "${WORKERS[@]}"; do
    IFS='|' read -r name _ http <<<"$w"
    [ -f "$PIDS/$name.http" ] && http="127.0.0.1:$(cat "$PIDS/$name.http")"
    if alive "$name"; then
      state=starting; curl -fsS "http://$http/readyz" >/dev/null 2>&1 && state=ready
      printf '%-16s %-8s %-8s %s\n' "$name" "$(cat "$PIDS/$name.pid")" "$state" "http://$http/metrics, log $LOGS/$name.log"
    else
      printf '%-16s %-8s %-8s %s\n' "$name" - down "http://$http"
    fi
  done
}

case "${1:-up}" in
  up) shift || true; up "$@" ;;
  --no-console) up "$@" ;;
  down) down ;;
  status) status ;;
  install) ensure_temporal_cli; say "Temporal CLI: $("$TEMPORAL" --version)" ;;
  -h|--help|help) usage ;;
  *) say "unknown command '$1'"; usage; exit 2 ;;
esac
