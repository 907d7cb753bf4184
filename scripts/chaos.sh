#!/usr/bin/env bash
# Load and faults against real processes: pipelines (clean and low-quality, from
# SQLite files and PostgreSQL tables read as parallel key ranges) and a backfill on two
# pipeline worker processes, two schema migrations on two infra worker processes,
# while workers are killed with SIGKILL, the Temporal server (a dev server on a file)
# is killed and restarted, PostgreSQL (the local cluster of scripts/postgres.sh) is
# stopped for 10 s, Airflow answers 500 and 429, and the object store refuses
# requests; approvals come twice, late, racing a cancel and malformed, and from the
# Slack alert's Approve (through matih serve) racing the console's Reject. Prints a
# table of checks at the end.
#
#   scripts/chaos.sh           200 pipelines, a backfill of 500 partitions, 4 minutes of faults
#   scripts/chaos.sh --short   20 pipelines, 100 partitions, 1 minute
#   scripts/chaos.sh [--short] --cluster  the same on the production server's shape
#                                         (scripts/temporal-server.sh cluster: separate
#                                         frontend, history and matching processes behind
#                                         haproxy, TLS, authorization, PostgreSQL), whose
#                                         frontend, history hosts and matching die instead
#                                         of the dev server's restart
#   scripts/chaos.sh [--short] [--cluster] --record   and, when every check passes, put
#                                         the dated table into docs/chaos.md, newest first
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

mode=full
record=0
cluster=
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage_of "$0"; exit 0 ;;
    --short) mode=short ;;
    --cluster) cluster=1 ;;
    --record) record=1 ;;
    *) die "unknown option '$arg' (expected --short, --cluster and/or --record)" ;;
  esac
done
name=$mode${cluster:+-cluster}
ensure_temporal_cli
# The run stops and starts this cluster, so it is always the local one.
MATIH_TEST_PG_DSN=$("$ROOT/scripts/postgres.sh" dsn) || die "PostgreSQL could not be started"
export MATIH_TEST_PG_DSN
mkdir -p "$DATA"
report="$DATA/chaos-$name.md"
rm -f "$report"
say "==> chaos ($mode${cluster:+, on the cluster}); the table goes to $report"
logs="$DATA/chaos-$name-logs"
rm -rf "$logs"; mkdir -p "$logs"
rc=0
(cd worker-pipeline && MATIH_CHAOS=$mode MATIH_CHAOS_CLUSTER=$cluster MATIH_CHAOS_REPORT="$report" MATIH_CHAOS_LOGS="$logs" \
  go test -count=1 -timeout 30m -run '^TestChaos$' -v ./internal/integration) >"$DATA/chaos-$name.log" 2>&1 || rc=$?
if [ -f "$report" ]; then cat "$report"; else tail -40 "$DATA/chaos-$name.log" >&2; fi
[ $rc -eq 0 ] || say "chaos ($name) failed; the log is $DATA/chaos-$name.log, the workers' logs are in $logs"
if [ $rc -eq 0 ] && [ $record = 1 ]; then
  record_in_docs "$ROOT/docs/chaos.md" "## Runs, newest first" "### $(date -u +%Y-%m-%d): the $mode run${cluster:+ on the cluster} ($(nproc) cores, recorded by scripts/chaos.sh --record)" "$report"
fi
exit $rc
