#!/usr/bin/env bash
# A production-like Temporal server on one machine: the real server binary (not the
# CLI's dev server) loading deploy/temporal/production.yaml, the template production
# loads, with PostgreSQL for persistence and, since there is no Elasticsearch here, for
# visibility too; the dev dynamic config (deploy/temporal/dynamicconfig-dev.yaml); the
# namespace matih-pipelines and its search attributes, set up by deploy/temporal/setup.sh.
# Secure, as production is: TLS with client certificates on the frontend and between
# the services, and every call checked against a token's role by the server's JWT
# claim mapper and default authorizer. The CA, certificates, signing key and a token
# per role are made once under the state folder (scripts/lib-pki.sh); `env` prints
# the operator's settings.
# The server, its SQL tool and the Temporal CLI are installed into ./bin the first time
# (a few minutes each), PostgreSQL is started with scripts/postgres.sh.
#
#   scripts/temporal-server.sh up       install what is missing, set up the databases,
#                                       start the server and wait until it serves
#   scripts/temporal-server.sh down     stop the server `up` started (SIGTERM, SIGKILL after 30s)
#   scripts/temporal-server.sh status   whether it answers, its persistence and visibility stores
#   scripts/temporal-server.sh env      TEMPORAL_ADDRESS=... lines for other scripts
#   scripts/temporal-server.sh cluster up|down|status
#                                       the same server as separate processes, one per
#                                       service (two frontends, two history hosts, matching,
#                                       the internal frontend and worker), behind haproxy on
#                                       the frontend port (scripts/lib-cluster.sh)
#   scripts/temporal-server.sh cluster kill|start NODE
#                                       SIGKILL one node, or start it again (faults)
#
# Environment, for running several servers side by side (defaults in brackets):
#   MATIH_TEMPORAL_NAME        instance name [dev]; pid, logs in .data/temporal-server/NAME/
#   MATIH_TEMPORAL_DIR         that state folder, instead
#   MATIH_TEMPORAL_PORT        frontend gRPC port [7233]
#   MATIH_TEMPORAL_HISTORY_PORT, MATIH_TEMPORAL_MATCHING_PORT, MATIH_TEMPORAL_WORKER_PORT
#                              the other services' gRPC ports [7234, 7235, 7239]
#   MATIH_TEMPORAL_FRONTEND_MEMBERSHIP_PORT, MATIH_TEMPORAL_HISTORY_MEMBERSHIP_PORT,
#   MATIH_TEMPORAL_MATCHING_MEMBERSHIP_PORT, MATIH_TEMPORAL_WORKER_MEMBERSHIP_PORT
#                              membership ports [6933, 6934, 6935, 6939]
#   MATIH_TEMPORAL_INTERNAL_FRONTEND_PORT, MATIH_TEMPORAL_INTERNAL_FRONTEND_MEMBERSHIP_PORT
#                              the internal frontend, for the server's own workers [7236, 6936]
#   MATIH_TEMPORAL_METRICS_PORT  Prometheus metrics on 127.0.0.1 [9090]
#   MATIH_TEMPORAL_JWKS_PORT   the token key set, served on 127.0.0.1 [7380]
#   MATIH_TEMPORAL_SECURE      true [true], or false for plain gRPC with no authorization
#                              (tests of other concerns only)
#   MATIH_AUTH_BIN             a matih binary for the token commands [bin/matih, built if missing]
#   MATIH_TEMPORAL_DB, MATIH_TEMPORAL_VISIBILITY_DB
#                              the two databases [temporal_NAME, temporal_NAME_visibility]
#   MATIH_TEMPORAL_SHARDS      history shards, fixed when the databases are first used [4]
#   MATIH_TEMPORAL_PG_DSN      postgres://user:password@host:port/db of a role that may
#                              create databases [printed by scripts/postgres.sh dsn];
#                              the server connects to it without TLS
#   MATIH_TEMPORAL_OWNER_PID   stop the server when this process ends, even if it never
#                              runs `down` (a test binary killed at its timeout)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-pki.sh"
cd "$ROOT"

NAMESPACE=matih-pipelines

NAME=${MATIH_TEMPORAL_NAME:-dev}
[[ $NAME =~ ^[A-Za-z0-9_-]+$ ]] || die "MATIH_TEMPORAL_NAME '$NAME' may hold only letters, digits, _ and -"
STATE=${MATIH_TEMPORAL_DIR:-$DATA/temporal-server/$NAME}
PIDFILE="$STATE/server.pid"
LOG="$STATE/server.log"
ENVFILE="$STATE/env"   # what `env` prints, written once the server serves
SECURE=${MATIH_TEMPORAL_SECURE:-true}
PKI="$STATE/pki" AUTH_DIR="$STATE/auth" CREDS="$STATE/credentials"
JWKS_PIDFILE="$STATE/jwks.pid"
MATIH_AUTH_BIN=${MATIH_AUTH_BIN:-$BIN/matih}

# The settings, each with its variable; lowercase NAME for the database defaults,
# since PostgreSQL folds unquoted names to lowercase.
db_base=temporal_$(tr 'A-Z-' 'a-z_' <<<"$NAME")
DB=${MATIH_TEMPORAL_DB:-$db_base}
VISIBILITY_DB=${MATIH_TEMPORAL_VISIBILITY_DB:-${db_base}_visibility}
SHARDS=${MATIH_TEMPORAL_SHARDS:-4}
declare -A PORT=(
  [FRONTEND]=${MATIH_TEMPORAL_PORT:-7233}
  [HISTORY]=${MATIH_TEMPORAL_HISTORY_PORT:-7234}
  [MATCHING]=${MATIH_TEMPORAL_MATCHING_PORT:-7235}
  [WORKER]=${MATIH_TEMPORAL_WORKER_PORT:-7239}
  [FRONTEND_MEMBERSHIP]=${MATIH_TEMPORAL_FRONTEND_MEMBERSHIP_PORT:-6933}
  [HISTORY_MEMBERSHIP]=${MATIH_TEMPORAL_HISTORY_MEMBERSHIP_PORT:-6934}
  [MATCHING_MEMBERSHIP]=${MATIH_TEMPORAL_MATCHING_MEMBERSHIP_PORT:-6935}
  [WORKER_MEMBERSHIP]=${MATIH_TEMPORAL_WORKER_MEMBERSHIP_PORT:-6939}
  [INTERNAL_FRONTEND]=${MATIH_TEMPORAL_INTERNAL_FRONTEND_PORT:-7236}
  [INTERNAL_FRONTEND_MEMBERSHIP]=${MATIH_TEMPORAL_INTERNAL_FRONTEND_MEMBERSHIP_PORT:-6936}
  [METRICS]=${MATIH_TEMPORAL_METRICS_PORT:-9090}
  [JWKS]=${MATIH_TEMPORAL_JWKS_PORT:-7380}
)
ADDR="127.0.0.1:${PORT[FRONTEND]}"

usage() { usage_of "$0"; }



# schema_dir prints the release's schema/postgresql/v12 folder from the server module's
# source, downloading it into the module cache when missing (outside any module, so
# neither go.work nor a go.mod is involved).
schema_dir() {
  local dir
  dir=$(cd / && GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN="$TEMPORAL_SERVER_TOOLCHAIN" go mod download -json "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || true
  [ -d "$dir/schema/postgresql/v12/temporal/versioned" ] \
    || die "could not download go.temporal.io/server@$TEMPORAL_SERVER_VERSION for its SQL schemas"
  printf '%s\n' "$dir/schema/postgresql/v12"
}

# clean_env drops every TEMPORAL_* and SQL_* variable of the caller, so an
# engineer's production settings (TEMPORAL_DB_HOST, TEMPORAL_API_KEY ...) never reach
# this server, its setup or the CLI calls; each use then sets what it needs.
clean_env() {
  local v
  for v in $(compgen -e); do
    case $v in TEMPORAL_*|SQL_*) unset "$v" ;; esac
  done
}

# db_env exports the variables production.yaml and setup.sh read, for this machine.
# The password travels in the environment, never on a command line.
db_env() {
  local dsn=$PG_DSN rest creds hostport
  rest=${dsn#*://}; creds=${rest%%@*}; hostport=${rest#*@}; hostport=${hostport%%[/?]*}
  export TEMPORAL_DB_USER=${creds%%:*} TEMPORAL_DB_PASSWORD=""
  [[ $creds == *:* ]] && TEMPORAL_DB_PASSWORD=${creds#*:}
  export TEMPORAL_DB_HOST=${hostport%:*} TEMPORAL_DB_PORT=5432
  [[ $hostport == *:* ]] && TEMPORAL_DB_PORT=${hostport##*:}
  export TEMPORAL_DB_NAME=$DB TEMPORAL_DB_TLS=false
  # Tests run several servers on one PostgreSQL: small pools (a cluster's seven
  # processes take less each, see lib-cluster.sh).
  export TEMPORAL_DB_MAX_CONNS=10
  export TEMPORAL_VISIBILITY_STORE=postgres TEMPORAL_VISIBILITY_DB_NAME=$VISIBILITY_DB
}

# server_env exports the rest of what production.yaml reads: everything on loopback,
# on this instance's ports.
server_env() {
  db_env
  export POD_IP=127.0.0.1 TEMPORAL_BIND_IP=127.0.0.1 TEMPORAL_NUM_HISTORY_SHARDS=$SHARDS
  export TEMPORAL_METRICS_ADDRESS="127.0.0.1:${PORT[METRICS]}"
  export TEMPORAL_DYNAMIC_CONFIG="$ROOT/deploy/temporal/dynamicconfig-dev.yaml"
  export TEMPORAL_SERVER_SECURE=$SECURE TEMPORAL_SERVER_TLS_DIR="$PKI"
  export TEMPORAL_JWKS_URI="http://127.0.0.1:${PORT[JWKS]}/.well-known/jwks.json"
  local p
  for p in "${!PORT[@]}"; do
    case $p in METRICS|JWKS) ;; *) export "TEMPORAL_${p}_PORT=${PORT[$p]}" ;; esac
  done
}

# admin_env exports what the CLI needs to reach this server as the cluster admin.
admin_env() {
  [ "$SECURE" = true ] || return 0
  local line
  while IFS= read -r line; do eval "export $line"; done < <(client_env admin operator)
}

cli() { ( clean_env; admin_env; exec "$TEMPORAL" "$@" --address "$ADDR" ); }

# setup runs deploy/temporal/setup.sh's phase (schema or namespace), the same steps
# as in production, with the tools from ./bin; its output goes to setup.log.
setup() {
  ( clean_env
    if [ "$1" = schema ]; then db_env; else admin_env; fi
    export PATH="$BIN:$PATH" SCHEMA_DIR TEMPORAL_ADDRESS="$ADDR" NAMESPACE
    exec bash "$ROOT/deploy/temporal/setup.sh" "$1" ) >>"$STATE/setup.log" 2>&1
}

alive() {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  # The pid must still be our server, not a process that reused the number.
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$TEMPORAL_SERVER"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# fail prints the last lines of a log and stops.
fail() { # message log
  [ -f "$2" ] && { say "--- last lines of $2:"; tail -25 "$2" >&2; say "---"; }
  die "$1"
}

check_settings() {
  local p
  for p in "${!PORT[@]}"; do
    [[ ${PORT[$p]} =~ ^[0-9]+$ ]] || die "the $p port '${PORT[$p]}' is not a number"
    # The schema keeps membership ports in a smallint column: the server dies on larger ones.
    if [[ $p == *MEMBERSHIP ]] && [ "${PORT[$p]}" -gt 32767 ]; then
      die "the $p port ${PORT[$p]} is above 32767, which the server cannot record in PostgreSQL"
    fi
  done
  [[ $DB =~ ^[a-z_][a-z0-9_]*$ && $VISIBILITY_DB =~ ^[a-z_][a-z0-9_]*$ ]] \
    || die "database names '$DB' and '$VISIBILITY_DB' must be lowercase letters, digits and _"
  [[ $SHARDS =~ ^[1-9][0-9]*$ ]] || die "MATIH_TEMPORAL_SHARDS '$SHARDS' is not a positive number"
  [[ $SECURE == true || $SECURE == false ]] || die "MATIH_TEMPORAL_SECURE '$SECURE': expected true or false"
}

# start_jwks serves the token key set for the server's jwtKeyProvider, stopped with
# the server.
start_jwks() {
  [ "$SECURE" = true ] || return 0
  if [ -f "$JWKS_PIDFILE" ] && kill -0 "$(cat "$JWKS_PIDFILE")" 2>/dev/null; then return 0; fi
  nohup "$MATIH_AUTH_BIN" auth serve-keys --dir "$AUTH_DIR" --listen "127.0.0.1:${PORT[JWKS]}" \
    >>"$STATE/jwks.log" 2>&1 </dev/null &
  echo $! >"$JWKS_PIDFILE"
  local i
  for i in $(seq 1 40); do
    port_busy "${PORT[JWKS]}" && return 0
    kill -0 "$(cat "$JWKS_PIDFILE")" 2>/dev/null || fail "the token key set server exited; log $STATE/jwks.log" "$STATE/jwks.log"
    sleep 0.25
  done
  fail "the token key set server did not listen on 127.0.0.1:${PORT[JWKS]}" "$STATE/jwks.log"
}

stop_jwks() {
  [ -f "$JWKS_PIDFILE" ] || return 0
  local pid; pid=$(cat "$JWKS_PIDFILE")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  rm -f "$JWKS_PIDFILE"
}

# validate_dynamic_config fails on unknown keys or bad values: the server only warns
# about them (and exits 0), then runs with its defaults.
validate_dynamic_config() {
  local f="$ROOT/deploy/temporal/dynamicconfig-dev.yaml" out
  out=$("$TEMPORAL_SERVER" validate-dynamic-config "$f" 2>&1) || die "cannot validate $f: $out"
  if grep -q 'warning' <<<"$out"; then die "$f: $out"; fi
}

# watch_owner stops the server once MATIH_TEMPORAL_OWNER_PID has exited; it returns at
# once, and the watcher ends with the server.
watch_owner() { # server pid
  local owner=${MATIH_TEMPORAL_OWNER_PID:-} pid=$1
  [ -n "$owner" ] || return 0
  [[ $owner =~ ^[0-9]+$ ]] || die "MATIH_TEMPORAL_OWNER_PID '$owner' is not a pid"
  ( while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 2; done
    kill -TERM "$pid" 2>/dev/null || true ) >/dev/null 2>&1 </dev/null &
}

wait_healthy() {
  local i
  for i in $(seq 1 240); do
    cli operator cluster health >/dev/null 2>&1 && return 0
    alive || fail "the Temporal server exited during start-up; log: $LOG" "$LOG"
    [ $((i % 20)) = 0 ] && say "temporal-server $NAME: still starting ($((i / 2))s)"
    sleep 0.5
  done
  fail "the Temporal server did not answer on $ADDR within 120s; log: $LOG" "$LOG"
}

# ensure_namespace registers the namespace and search attributes, retrying while the
# fresh server still spreads its shards (its first answers can be "not enough hosts").
# It returns once visibility lists workflows of the namespace, so callers can start
# and list right away.
ensure_namespace() {
  local i
  for i in $(seq 1 30); do
    if setup namespace && cli workflow list --namespace "$NAMESPACE" --limit 1 >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  fail "could not set up namespace $NAMESPACE on $ADDR; see $STATE/setup.log" "$STATE/setup.log"
}

write_env() {
  {
    printf 'TEMPORAL_ADDRESS=%q\n' "$ADDR"
    printf 'TEMPORAL_NAMESPACE=%q\n' "$NAMESPACE"
    printf 'MATIH_TEMPORAL_METRICS_URL=%q\n' "http://127.0.0.1:${PORT[METRICS]}/metrics"
    printf 'MATIH_TEMPORAL_DB=%q\n' "$DB"
    printf 'MATIH_TEMPORAL_VISIBILITY_DB=%q\n' "$VISIBILITY_DB"
    printf 'MATIH_TEMPORAL_LOG=%q\n' "$LOG"
    printf 'MATIH_TEMPORAL_SECURE=%q\n' "$SECURE"
    if [ "$SECURE" = true ]; then
      printf 'MATIH_TEMPORAL_PKI=%q\n' "$PKI"
      printf 'MATIH_TEMPORAL_CREDENTIALS=%q\n' "$CREDS"
      printf 'MATIH_AUTH_DIR=%q\n' "$AUTH_DIR"
      client_env writer operator
    fi
  } >"$ENVFILE"
}

up() {
  local start=$SECONDS
  check_settings
  mkdir -p "$STATE"
  if alive; then
    say "temporal-server $NAME: already running (pid $(cat "$PIDFILE")) on $ADDR"
    start_jwks; wait_healthy; ensure_namespace; write_env; return 0
  fi
  stop_jwks # left by an earlier start that failed
  ensure_temporal_server
  ensure_temporal_sql_tool
  ensure_temporal_cli
  local p
  for p in "${!PORT[@]}"; do
    if port_busy "${PORT[$p]}"; then die "port ${PORT[$p]} ($p) is taken by another process: stop it or choose another port (see --help)"; fi
  done
  validate_dynamic_config
  SCHEMA_DIR=$(schema_dir)
  PG_DSN=${MATIH_TEMPORAL_PG_DSN:-}
  if [ -z "$PG_DSN" ]; then
    say "temporal-server $NAME: starting PostgreSQL (scripts/postgres.sh)"
    PG_DSN=$("$ROOT/scripts/postgres.sh" dsn) || die "PostgreSQL could not be started (scripts/postgres.sh dsn)"
  fi
  say "temporal-server $NAME: databases $DB and $VISIBILITY_DB (schemas from $TEMPORAL_SERVER_VERSION)"
  : >"$STATE/setup.log"
  setup schema || fail "could not set up the database schemas; see $STATE/setup.log" "$STATE/setup.log"
  if [ "$SECURE" = true ]; then
    say "temporal-server $NAME: TLS certificates and role tokens under $STATE"
    ensure_pki
    ensure_tokens
    start_jwks
  fi

  say "temporal-server $NAME: starting on $ADDR (log $LOG)"
  rm -f "$ENVFILE"
  local open=(); [ "$SECURE" = true ] || open=(--allow-no-auth)
  # The subshell execs the server, so $! is the server's pid.
  ( clean_env; server_env
    exec nohup "$TEMPORAL_SERVER" --root "$ROOT" --config deploy/temporal --env production "${open[@]}" \
      start --service frontend --service internal-frontend --service history --service matching --service worker
  ) >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  watch_owner "$!"
  wait_healthy
  say "temporal-server $NAME: namespace $NAMESPACE and its search attributes"
  ensure_namespace
  write_env
  say "temporal-server $NAME: ready on $ADDR in $((SECONDS - start))s (pid $(cat "$PIDFILE"), metrics http://127.0.0.1:${PORT[METRICS]}/metrics)"
}

down() {
  if ! alive; then
    stop_jwks; rm -f "$PIDFILE" "$ENVFILE"; say "temporal-server $NAME: not running"; return 0
  fi
  local pid; pid=$(cat "$PIDFILE")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    say "temporal-server $NAME: did not stop within 30s; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  stop_jwks
  rm -f "$PIDFILE" "$ENVFILE"
  say "temporal-server $NAME: stopped (pid $pid)"
}

status() {
  local addr=$ADDR line
  # Where `up` recorded another address (it ran with other settings), ask there.
  [ -f "$ENVFILE" ] && addr=$(sed -n 's/^TEMPORAL_ADDRESS=//p' "$ENVFILE")
  if ! alive; then echo "temporal-server $NAME: down ($addr)"; return 1; fi
  if ! ADDR=$addr cli operator cluster health >/dev/null 2>&1; then
    echo "temporal-server $NAME: pid $(cat "$PIDFILE") not answering on $addr (log $LOG)"; return 1
  fi
  echo "temporal-server $NAME: up (pid $(cat "$PIDFILE")) on $addr, namespace $NAMESPACE, log $LOG"
  # The CLI prints the JSON one field per line: no JSON tool needed for two fields.
  ADDR=$addr cli operator cluster describe -o json | while IFS= read -r line; do
    case $line in *'"serverVersion"'*|*'"persistenceStore"'*|*'"visibilityStore"'*)
      line=${line//[\",]/}; echo "  ${line#"${line%%[![:space:]]*}"}" ;;
    esac
  done
}

source "$ROOT/scripts/lib-cluster.sh"

cluster() {
  case "${1:-}" in
    up) cluster_up ;;
    down) cluster_down ;;
    status) cluster_status ;;
    kill) [ -n "${2:-}" ] || die "cluster kill NODE: name one of ${CLUSTER_NODES[*]}"; cluster_ports; node_ports "$2" >/dev/null; node_kill "$2" KILL; say "cluster node $2: killed" ;;
    start) [ -n "${2:-}" ] || die "cluster start NODE: name one of ${CLUSTER_NODES[*]}"; cluster_ports; node_ports "$2" >/dev/null; check_settings; PG_DSN=${MATIH_TEMPORAL_PG_DSN:-$("$ROOT/scripts/postgres.sh" dsn)}; node_start "$2"; wait_joined "$2"; say "cluster node $2: started" ;;
    *) die "cluster: expected up, down, status, kill NODE or start NODE" ;;
  esac
}

case "${1:-}" in
  up) up ;;
  cluster) shift; cluster "$@" ;;
  down) down ;;
  status) status ;;
  env) if { alive || node_alive fe1; } && [ -f "$ENVFILE" ]; then cat "$ENVFILE"; else printf 'TEMPORAL_ADDRESS=%s\nTEMPORAL_NAMESPACE=%s\n' "$ADDR" "$NAMESPACE"; fi ;;
  -h|--help|help) usage ;;
  *) say "unknown command '${1:-}' (expected up, down, status or env)"; usage >&2; exit 2 ;;
esac
