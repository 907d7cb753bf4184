#!/usr/bin/env bash
# Brings the whole MATIH stack up on one machine: the pinned Temporal dev server
# (SQLite under .data/), the three workers, demo data and demo pipelines, then the
# console.
#
#   scripts/dev.sh [up] [--no-console] [--postgres]
#                                        start what is not running yet, then open the console
#                                        (only when stdin is a terminal); --postgres runs the
#                                        real temporal-server on PostgreSQL persistence and
#                                        visibility (scripts/temporal-server.sh) instead of
#                                        the dev server
#   scripts/dev.sh down                  stop exactly what `up` started
#   scripts/dev.sh status                show each part
#   scripts/dev.sh install               only install the Temporal CLI into ./bin
#   scripts/dev.sh env                   print the exports with which a shell reaches the stack:
#                                        eval "$(scripts/dev.sh env)", then bin/temporal and
#                                        bin/matih work against it
#
# Environment: MATIH_DEV_PORT (Temporal frontend, default 7233), MATIH_DEV_UI_PORT (8233).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-workers.sh"
cd "$ROOT"

PORT=${MATIH_DEV_PORT:-7233}
UI_PORT=${MATIH_DEV_UI_PORT:-8233}
ADDR="127.0.0.1:$PORT"
PIDS="$DATA/pids"
LOGS="$DATA/logs"
NAMESPACE=matih-pipelines
export TEMPORAL_ADDRESS="$ADDR" TEMPORAL_NAMESPACE="$NAMESPACE" # for the workers and the CLI calls below
SEARCH_ATTRIBUTES=(PipelineId=Keyword PipelinePhase=Keyword Progress=Double QualityScore=Double)

usage() { usage_of "$0"; }

alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

port_busy() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

start_temporal() {
  if alive temporal; then say "temporal: already running (pid $(cat "$PIDS/temporal.pid"))"; return; fi
  port_busy "$ADDR" && die "port $PORT is taken by another process; set MATIH_DEV_PORT or stop it"
  local args=(server start-dev --ip 127.0.0.1 --port "$PORT" --ui-port "$UI_PORT"
    --db-filename "$DATA/temporal.db" --namespace "$NAMESPACE" --log-level warn
    # Worker Versioning: report a drained build within seconds, not minutes, so
    # rollout.sh drain is quick to try here (production keeps the defaults).
    --dynamic-config-value 'matching.wv.VersionDrainageStatusRefreshInterval="5s"'
    --dynamic-config-value 'matching.wv.VersionDrainageStatusVisibilityGracePeriod="5s"')
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

# build compiles everything; each worker's binary is also kept as its build
# (bin/versions/WORKER-BUILD), which rollout.sh starts and rolls back to.
build() {
  local pkgs=(./worker-pipeline/cmd/demo-data ./tui/cmd/matih) w
  for w in "${WORKER_NAMES[@]}"; do pkgs+=("${WORKER_PKG[$w]}"); done
  say "building: ${pkgs[*]}"
  go build -o "$BIN/" "${pkgs[@]}"
  mkdir -p "$VERSIONS"
  for w in "${WORKER_NAMES[@]}"; do
    [ -x "$(worker_bin "$w" "$BUILD")" ] || cp "$BIN/$w" "$(worker_bin "$w" "$BUILD")"
  done
}

demo_data() {
  "$BIN/demo-data" --out "$DATA/demo/orders-clean.db" --rows 20000 --null-rate 0 >/dev/null
  "$BIN/demo-data" --out "$DATA/demo/orders-dirty.db" --rows 20000 --null-rate 0.25 >/dev/null
  # The workers reach only the databases their connections file lists; the demo's.
  [ -f "$DATA/connections.yaml" ] || cp worker-pipeline/examples/connections.yaml "$DATA/connections.yaml"
}

# start_worker runs this tree's build of a worker unless some build of it runs
# already (a rollout may have replaced it), and makes it current when the worker's
# deployment has no current build, or one that runs nowhere on this stack (left in
# the server's database by an earlier stack): runs would wait for it forever.
start_worker() { # name
  local name=$1 running current
  running=$(running_builds "$name" | tr '\n' ' ')
  if [ -n "$running" ]; then say "$name: already running (builds ${running% })"; return; fi
  start_build "$name" "$BUILD"
  wait_polling "$name" "$BUILD"
  current=$(current_build "$name")
  if [ -z "$current" ] || { [ "$current" != "$BUILD" ] && ! build_alive "$name" "$current"; }; then
    [ -z "$current" ] || say "$name: the current build $current runs nowhere on this stack; replacing it"
    set_current "$name" "$BUILD"
  fi
}

start_demos() {
  local marker; marker="$DATA/demo/.started-$(server_kind)" # each server gets its demo runs once
  [ -f "$marker" ] && return
  [ -x "$BIN/matih" ] || { say "demo pipelines: console binary not built; skipping"; return; }
  local kind f kf
  for kf in pipeline:orders-clean pipeline:orders-low-quality backfill:orders-backfill; do
    kind=${kf%%:*}; f=worker-pipeline/examples/${kf#*:}.yaml
    TEMPORAL_ADDRESS="$ADDR" TEMPORAL_NAMESPACE="$NAMESPACE" "$BIN/matih" start "$kind" -f "$f" >&2 || say "could not start $f"
  done
  touch "$marker"
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

# server_kind prints which Temporal server this stack runs: dev or postgres.
server_kind() { cat "$DATA/server-kind" 2>/dev/null || echo dev; }

# start_postgres_server runs the production-like server on the stack's port; its
# setup creates the namespace and the search attributes.
start_postgres_server() {
  if alive temporal; then die "the dev server runs already; scripts/dev.sh down first to switch to --postgres"; fi
  MATIH_TEMPORAL_PORT="$PORT" "$ROOT/scripts/temporal-server.sh" up
  echo postgres >"$DATA/server-kind"
}

# server_env exports what `temporal-server.sh env` says of the running server: on the
# secure server, the CA, the operator's certificate and the writer token, with which
# the CLI calls, the demo runs and the console act; each worker presents its own
# certificate and the worker token (lib-workers.sh start_build).
server_env() {
  [ "$(server_kind)" = postgres ] || return 0
  local line
  while IFS= read -r line; do
    case $line in TEMPORAL_*=*|MATIH_TEMPORAL_PKI=*|MATIH_TEMPORAL_CREDENTIALS=*) eval "export $line" ;; esac
  done < <(MATIH_TEMPORAL_PORT="$PORT" "$ROOT/scripts/temporal-server.sh" env)
}

up() {
  local console=1 postgres=0 arg
  for arg in "$@"; do
    case $arg in
      --no-console) console=0 ;;
      --postgres) postgres=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option '$arg' (expected --no-console or --postgres)" ;;
    esac
  done
  [ -t 0 ] || console=0
  mkdir -p "$PIDS" "$LOGS" "$DATA/demo"
  ensure_temporal_cli
  if [ $postgres = 1 ] || [ "$(server_kind)" = postgres ]; then
    start_postgres_server
    server_env
  else
    start_temporal
    ensure_search_attributes
  fi
  ensure_deb jq jq
  BUILD=$(default_build_id)
  build
  demo_data
  local w
  for w in "${WORKER_NAMES[@]}"; do start_worker "$w"; done
  start_demos
  ensure_maintenance_schedule
  status
  if [ $console = 1 ] && [ -x "$BIN/matih" ]; then
    TEMPORAL_ADDRESS="$ADDR" TEMPORAL_NAMESPACE="$NAMESPACE" exec "$BIN/matih"
  fi
  say "console: eval \"\$(scripts/dev.sh env)\" && matih   (the same settings serve the stock temporal CLI)"
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
  local w b
  for w in "${WORKER_NAMES[@]}"; do
    for b in $(running_builds "$w"); do stop_build "$w" "$b"; done
  done
  if [ "$(server_kind)" = postgres ]; then
    MATIH_TEMPORAL_PORT="$PORT" "$ROOT/scripts/temporal-server.sh" down
    rm -f "$DATA/server-kind"
  else
    stop_one temporal
  fi
}

status() {
  printf '%-16s %-8s %-8s %s\n' PART PID STATE WHERE
  if [ "$(server_kind)" = postgres ]; then
    MATIH_TEMPORAL_PORT="$PORT" "$ROOT/scripts/temporal-server.sh" status | sed 's/^/temporal-server  /'
  elif alive temporal; then
    printf '%-16s %-8s %-8s %s\n' temporal "$(cat "$PIDS/temporal.pid")" up "$ADDR namespace $NAMESPACE, UI http://127.0.0.1:$UI_PORT"
  else
    printf '%-16s %-8s %-8s %s\n' temporal - down "$ADDR"
  fi
  local w b state http any
  for w in "${WORKER_NAMES[@]}"; do
    any=0
    for b in $(running_builds "$w"); do
      any=1; http=$(build_http "$w" "$b")
      state=starting; curl -fsS "http://$http/readyz" >/dev/null 2>&1 && state=ready
      printf '%-16s %-8s %-8s %s\n' "$w" "$(cat "$(worker_dir "$w")/$b.pid")" "$state" "build $b, http://$http/metrics, log $LOGS/$w-$b.log"
    done
    [ $any = 1 ] || printf '%-16s %-8s %-8s %s\n' "$w" - down ""
  done
}

# print_env writes the exports of this stack: the address and namespace every client
# reads (the Temporal CLI and matih alike), the audit log beside the stack's data, and
# the codec keys when the workers were started with them.
print_env() {
  server_env
  printf 'export TEMPORAL_ADDRESS=%q\n' "$ADDR"
  printf 'export TEMPORAL_NAMESPACE=%q\n' "$NAMESPACE"
  local v
  for v in TEMPORAL_TLS TEMPORAL_TLS_SERVER_CA_CERT_PATH TEMPORAL_TLS_SERVER_NAME TEMPORAL_TLS_CLIENT_CERT_PATH \
    TEMPORAL_TLS_CLIENT_KEY_PATH TEMPORAL_API_KEY MATIH_TEMPORAL_PKI MATIH_TEMPORAL_CREDENTIALS; do
    if [ -n "${!v:-}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
  done
  printf 'export MATIH_AUDIT_LOG=%q\n' "$DATA/audit.log"
  if [ -n "${MATIH_CODEC_KEYS:-}" ]; then printf 'export MATIH_CODEC_KEYS=%q\n' "$MATIH_CODEC_KEYS"; fi
  printf 'export PATH=%q:"$PATH"\n' "$BIN"
}

case "${1:-up}" in
  up) shift || true; up "$@" ;;
  --no-console|--postgres) up "$@" ;;
  down) down ;;
  status) status ;;
  install) ensure_temporal_cli; say "Temporal CLI: $("$TEMPORAL" --version)" ;;
  env) print_env ;;
  -h|--help|help) usage ;;
  *) say "unknown command '$1'"; usage; exit 2 ;;
esac
