# shellcheck shell=bash
# The production server's shape on one machine, for scripts/temporal-server.sh
# cluster: each service its own temporal-server process (two frontends, two history
# hosts, one matching host, the internal frontend and the internal worker), all from
# deploy/temporal/production.yaml with TLS and authorization, membership through
# PostgreSQL's cluster tables, and haproxy in front of the frontends on the
# instance's frontend port, so clients dial one address. Source it after the
# settings of temporal-server.sh.
#
# Each process has three ports: gRPC, membership and metrics, taken in order from
# MATIH_TEMPORAL_CLUSTER_PORTS (21 comma-separated ports) or from 17300 up.
# shellcheck disable=SC2034

CLUSTER_NODES=(fe1 fe2 ife hist1 hist2 match worker)
declare -A CLUSTER_SERVICE=([fe1]=frontend [fe2]=frontend [ife]=internal-frontend [hist1]=history [hist2]=history [match]=matching [worker]=worker)
CLUSTER_DIR="$STATE/cluster"

cluster_ports() {
  local list=${MATIH_TEMPORAL_CLUSTER_PORTS:-} i
  if [ -z "$list" ]; then
    for i in $(seq 0 20); do list+="${list:+,}$((17300 + i))"; done
  fi
  IFS=, read -ra CLUSTER_PORTS <<<"$list"
  [ "${#CLUSTER_PORTS[@]}" -eq 21 ] || die "MATIH_TEMPORAL_CLUSTER_PORTS: expected 21 comma-separated ports, got ${#CLUSTER_PORTS[@]}"
  for i in "${CLUSTER_PORTS[@]}"; do [[ $i =~ ^[0-9]+$ && $i -lt 32768 ]] || die "MATIH_TEMPORAL_CLUSTER_PORTS: '$i' is not a port below 32768"; done
}

# node_ports NODE prints its gRPC, membership and metrics ports.
node_ports() {
  local i
  for i in "${!CLUSTER_NODES[@]}"; do
    if [ "${CLUSTER_NODES[$i]}" = "$1" ]; then
      echo "${CLUSTER_PORTS[$((3 * i))]} ${CLUSTER_PORTS[$((3 * i + 1))]} ${CLUSTER_PORTS[$((3 * i + 2))]}"
      return
    fi
  done
  die "unknown cluster node '$1' (expected one of ${CLUSTER_NODES[*]})"
}

node_alive() { [ -f "$CLUSTER_DIR/$1.pid" ] && kill -0 "$(cat "$CLUSTER_DIR/$1.pid")" 2>/dev/null; }

# node_start NODE runs one service in its own process, on its own ports.
node_start() {
  local node=$1 svc=${CLUSTER_SERVICE[$1]} grpc member metrics var
  node_alive "$node" && return 0
  # The previous run's log moves aside, so wait_joined reads this run's only.
  if [ -f "$CLUSTER_DIR/$node.log" ]; then mv "$CLUSTER_DIR/$node.log" "$CLUSTER_DIR/$node.log.1"; fi
  read -r grpc member metrics <<<"$(node_ports "$node")"
  var=$(tr 'a-z-' 'A-Z_' <<<"$svc")
  ( clean_env; server_env
    export "TEMPORAL_${var}_PORT=$grpc" "TEMPORAL_${var}_MEMBERSHIP_PORT=$member"
    export TEMPORAL_METRICS_ADDRESS="127.0.0.1:$metrics" TEMPORAL_DB_MAX_CONNS=4
    exec nohup "$TEMPORAL_SERVER" --root "$ROOT" --config deploy/temporal --env production start --service "$svc"
  ) >>"$CLUSTER_DIR/$node.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/$node.pid"
  watch_owner "$!"
}

# node_kill NODE [SIGNAL] stops one process (SIGKILL by default: a crash).
node_kill() {
  local node=$1 sig=${2:-KILL} pid
  node_alive "$node" || return 0
  pid=$(cat "$CLUSTER_DIR/$node.pid")
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$CLUSTER_DIR/$node.pid"
}

# balancer_start puts haproxy in front of the two frontends: TCP, so TLS is end to
# end, with health checks that take a dead frontend out within a few seconds.
balancer_start() {
  ensure_deb haproxy haproxy
  local fe1 fe2
  read -r fe1 _ _ <<<"$(node_ports fe1)"
  read -r fe2 _ _ <<<"$(node_ports fe2)"
  cat >"$CLUSTER_DIR/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 2s
  # Long polls and streams last up to about 70 s.
  timeout client 5m
  timeout server 5m
frontend temporal
  bind 127.0.0.1:${PORT[FRONTEND]}
  default_backend frontends
backend frontends
  balance leastconn
  option tcp-check
  default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
  server fe1 127.0.0.1:$fe1 check
  server fe2 127.0.0.1:$fe2 check
CFG
  haproxy -c -q -f "$CLUSTER_DIR/haproxy.cfg" || die "haproxy refuses $CLUSTER_DIR/haproxy.cfg"
  nohup haproxy -f "$CLUSTER_DIR/haproxy.cfg" -db >>"$CLUSTER_DIR/haproxy.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/haproxy.pid"
  watch_owner "$!"
}

cluster_up() {
  local start=$SECONDS node
  check_settings
  cluster_ports
  mkdir -p "$CLUSTER_DIR"
  [ "$SECURE" = true ] || die "cluster: runs secure only, as production does (unset MATIH_TEMPORAL_SECURE)"
  if node_alive fe1; then say "temporal cluster $NAME: already running"; wait_healthy_any; ensure_namespace; write_env; return 0; fi
  stop_jwks
  ensure_temporal_server; ensure_temporal_sql_tool; ensure_temporal_cli
  validate_dynamic_config
  SCHEMA_DIR=$(schema_dir)
  PG_DSN=${MATIH_TEMPORAL_PG_DSN:-}
  [ -n "$PG_DSN" ] || PG_DSN=$("$ROOT/scripts/postgres.sh" dsn) || die "PostgreSQL could not be started (scripts/postgres.sh dsn)"
  : >"$STATE/setup.log"
  setup schema || fail "could not set up the database schemas; see $STATE/setup.log" "$STATE/setup.log"
  ensure_pki; ensure_tokens; start_jwks
  say "temporal cluster $NAME: ${CLUSTER_NODES[*]} and haproxy on $ADDR (logs in $CLUSTER_DIR)"
  balancer_start
  # One node at a time: nodes starting together race to write the cluster
  # metadata, and the losers exit. Each joins the membership before the next starts.
  for node in "${CLUSTER_NODES[@]}"; do node_start "$node"; wait_joined "$node"; done
  wait_nodes_stay_up
  ensure_namespace
  write_env
  say "temporal cluster $NAME: ready on $ADDR in $((SECONDS - start))s"
}

# wait_healthy_any waits until the balancer's address answers a health check.
wait_healthy_any() {
  local i node
  for i in $(seq 1 240); do
    cli operator cluster health >/dev/null 2>&1 && return 0
    for node in "${CLUSTER_NODES[@]}"; do
      if [ -f "$CLUSTER_DIR/$node.pid" ] && ! node_alive "$node"; then
        fail "cluster node $node exited during start-up" "$CLUSTER_DIR/$node.log"
      fi
    done
    sleep 0.5
  done
  fail "the cluster did not answer on $ADDR within 120s" "$CLUSTER_DIR/fe1.log"
}

# wait_joined NODE waits until the node has written itself into the membership.
wait_joined() {
  local i
  for i in $(seq 1 120); do
    grep -q '"msg":"Membership heartbeat upserted successfully"' "$CLUSTER_DIR/$1.log" 2>/dev/null && return 0
    node_alive "$1" || fail "cluster node $1 exited during start-up; log $CLUSTER_DIR/$1.log" "$CLUSTER_DIR/$1.log"
    sleep 0.25
  done
  fail "cluster node $1 did not join the membership within 30s" "$CLUSTER_DIR/$1.log"
}

# wait_nodes_stay_up fails when a node exits within its first seconds (a port taken,
# a bad setting), naming its log, and returns once every node has stayed up for 5 s
# and the frontend answers through the balancer.
wait_nodes_stay_up() {
  local i node
  for i in $(seq 1 10); do
    for node in "${CLUSTER_NODES[@]}"; do
      node_alive "$node" || fail "cluster node $node exited during start-up; log $CLUSTER_DIR/$node.log" "$CLUSTER_DIR/$node.log"
    done
    sleep 0.5
  done
  wait_healthy_any
}

cluster_down() {
  local node
  if [ -f "$CLUSTER_DIR/haproxy.pid" ]; then kill "$(cat "$CLUSTER_DIR/haproxy.pid")" 2>/dev/null || true; rm -f "$CLUSTER_DIR/haproxy.pid"; fi
  for node in "${CLUSTER_NODES[@]}"; do node_kill "$node" TERM; done
  stop_jwks
  rm -f "$ENVFILE"
  say "temporal cluster $NAME: stopped"
}

cluster_status() {
  local node any=1
  cluster_ports
  for node in "${CLUSTER_NODES[@]}"; do
    if node_alive "$node"; then printf '%-7s %-18s up (pid %s)\n' "$node" "${CLUSTER_SERVICE[$node]}" "$(cat "$CLUSTER_DIR/$node.pid")"
    else printf '%-7s %-18s down\n' "$node" "${CLUSTER_SERVICE[$node]}"; any=0; fi
  done
  [ $any = 1 ]
}
