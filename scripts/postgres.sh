#!/usr/bin/env bash
# Local PostgreSQL for development and tests: installs it where missing, starts the
# cluster when it is down, and creates the `matih` role the tests and demos use.
#
#   scripts/postgres.sh up     start (and install/create) PostgreSQL, then print the DSN
#   scripts/postgres.sh dsn    same as up, but print only the DSN (for tests)
#   scripts/postgres.sh status say whether it answers
#   scripts/postgres.sh stop   stop the cluster (fast shutdown: open sessions are ended)
set -euo pipefail

PG_USER=${MATIH_PG_USER:-matih}
PG_PASS=${MATIH_PG_PASSWORD:-matih}
PG_PORT=${MATIH_PG_PORT:-5432}
DSN="postgres://${PG_USER}:${PG_PASS}@127.0.0.1:${PG_PORT}/postgres?sslmode=disable"

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sudo -u postgres bash -c "$*"; fi
}

install_pg() {
  command -v pg_ctlcluster >/dev/null 2>&1 && return 0
  log "PostgreSQL is not installed; installing it with apt-get"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  else
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  fi
}

start_pg() {
  if pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then return 0; fi
  local cluster
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    log "no cluster found; creating 15 main"
    pg_createcluster 15 main >&2
    cluster="15 main"
  fi
  # Tests run several Temporal servers (a cluster is seven processes) and workers at
  # once, each with its connection pools: 100, the default, is not enough.
  # shellcheck disable=SC2086
  as_postgres "pg_conftool $cluster set max_connections 400" >&2 || log "could not raise max_connections"
  log "starting cluster $cluster"
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $cluster start >&2 || pg_ctlcluster $cluster start >&2
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && return 0
    sleep 0.5
  done
  log "PostgreSQL did not become ready on 127.0.0.1:$PG_PORT"
  exit 1
}

stop_pg() {
  local cluster
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  [ -n "$cluster" ] || { log "no cluster to stop"; return 0; }
  log "stopping cluster $cluster"
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $cluster stop -m fast >&2 || pg_ctlcluster $cluster stop -m fast >&2
}

ensure_role() {
  as_postgres "psql -X -q -At -c \"SELECT 1 FROM pg_roles WHERE rolname='${PG_USER}'\"" | grep -q 1 && return 0
  log "creating role ${PG_USER}"
  as_postgres "psql -X -q -c \"CREATE ROLE ${PG_USER} LOGIN SUPERUSER PASSWORD '${PG_PASS}'\"" >&2
}

case "${1:-up}" in
  up)
    install_pg; start_pg; ensure_role
    echo "$DSN" ;;
  dsn)
    install_pg >/dev/null; start_pg >/dev/null; ensure_role >/dev/null
    echo "$DSN" ;;
  status)
    if pg_isready -h 127.0.0.1 -p "$PG_PORT"; then exit 0; else exit 1; fi ;;
  stop)
    stop_pg ;;
  -h|--help|help)
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0" ;;
  *)
    log "unknown command '$1' (expected up, dsn, status or stop)"; exit 2 ;;
esac
