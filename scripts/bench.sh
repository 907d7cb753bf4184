#!/usr/bin/env bash
# Runs the performance benchmarks and prints their figures. Each compares against a
# baseline measured in the same run; none is a pass/fail timing test.
#
#   scripts/bench.sh            every benchmark
#   scripts/bench.sh extract    extraction of a 1M-row SQLite table to staged Parquet,
#                               vs a raw arrow-go Parquet write of the same rows
#   scripts/bench.sh extract-pg a PostgreSQL table (MATIH_BENCH_PG_ROWS, default 10M, 8 typed
#                               columns) read three ways in one run: COPY ... TO STDOUT (FORMAT
#                               binary) to nothing (the anchor), psql \copy to CSV, and
#                               extract_data to staged Parquet, with its ratios and peak RSS;
#                               about 5 minutes (MATIH_BENCH_PG_ROWS=1000000 for a quick look)
#   scripts/bench.sh load       the load of those rows into an Iceberg table, vs the same
#                               raw write
#   scripts/bench.sh backfill   DataBackfillWorkflow vs the seed's loop vs the no-op
#                               ceiling (1,000 partitions, about 15 minutes;
#                               MATIH_BENCH_PARTITIONS=200 for a quick look)
#   scripts/bench.sh api        GET status on matih serve at 5,000 history events, with
#                               and without a worker, vs reading the whole history (p50/p99),
#                               and its throughput under wrk
#   scripts/bench.sh backfill-commits
#                               1,000 daily partitions through process_partition, a commit
#                               per partition vs one per batch of 50 (about 15 minutes;
#                               MATIH_BENCH_COMMIT_DAYS=200 for a quick look)
#   scripts/bench.sh backfill-scale
#                               100,008 hourly partitions end to end, one worker, auto
#                               batches: speed first vs last 10,000, commits, snapshots,
#                               metadata, history, carry, worker RSS (about 5 minutes;
#                               MATIH_BENCH_DAYS=400 for a quick look)
#   scripts/bench.sh console    console key press + frame at 100 to 100,000 rows;
#                               matih ls vs temporal workflow list over 10,000 and
#                               100,000 workflows; 20 idle consoles over SSH at 100,000
#                               running (about 25 minutes; MATIH_BENCH_LIST_SIZES=10000
#                               and MATIH_BENCH_SSH_RUNS=10000 for a quick look)
#   scripts/bench.sh quality    the unique quality check over 50,000,000 keys under a
#                               64 MiB setting: what it adds to peak RSS, keys/s (about
#                               1 minute; MATIH_BENCH_UNIQUE_KEYS=5000000 for a quick look)
#   scripts/bench.sh approval   approval round trip, from the update to the next activity
#                               starting on the real worker (p50/p99), and the worker's RSS
#   scripts/bench.sh workers    each worker's resident memory, idle and at its peak,
#                               under the load and faults of scripts/chaos.sh --short
#                               (about 3 minutes)
#   scripts/bench.sh soak [--record]
#                               an hour (MATIH_SOAK=1h; MATIH_SOAK_WINDOW=5m) of steady
#                               load on scripts/temporal-server.sh cluster: a pipeline every
#                               5 s, every fourth approved by a script, a 2,000-partition
#                               backfill every 15 minutes, the console in tmux and two API
#                               clients. Per window: each worker's, matih serve's and the
#                               console's RSS, goroutines and descriptors; approval and
#                               status p50/p99. Fails on growth past 10% from the second
#                               window to the last, or approval p99 past 1.5x the first
#                               window's; --record puts the table, dated, into
#                               docs/benchmarks.md. Not part of "all".
#   scripts/bench.sh report     print the table again from the last outputs
#   scripts/bench.sh report --record
#                               and put it, dated, into docs/benchmarks.md, newest first
#
# Every run keeps its output in .data/bench/NAME.txt and ends with one table of the
# figures and ratios from those outputs; "all" clears them first, so its table is
# one run, side by side on one machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-bench.sh"
cd "$ROOT"

case "${1:-all}" in -h|--help) usage_of "$0"; exit 0;; esac
OUT="$DATA/bench"
mkdir -p "$OUT"
case "${1:-all}" in
  report)
    report
    if [ "${2:-}" = --record ]; then
      table=$(mktemp)
      report >"$table"
      record_in_docs "$ROOT/docs/benchmarks.md" "" "## $(date -u +%Y-%m-%d): the benchmark table (recorded by scripts/bench.sh report --record)" "$table"
      rm -f "$table"
    fi
    exit 0 ;;
  all) rm -f "$OUT"/*.txt ;;
esac
ensure_temporal_cli

# run_soak [--record] runs TestSoak on the cluster and prints its table; it stops
# and starts nothing but its own processes, on the local PostgreSQL.
run_soak() {
  case "${1:-}" in ""|--record) ;; *) die "soak: unknown option '$1' (expected --record)" ;; esac
  MATIH_TEST_PG_DSN=$("$ROOT/scripts/postgres.sh" dsn) || die "PostgreSQL could not be started"
  export MATIH_TEST_PG_DSN
  local report="$OUT/soak.md" log="$OUT/soak.log" rc=0
  rm -f "$report"
  say "==> soak: ${MATIH_SOAK:-1h} of steady load on the cluster; the log is $log"
  (cd "$ROOT/worker-pipeline" && MATIH_SOAK=${MATIH_SOAK:-1h} MATIH_SOAK_REPORT="$report" \
    go test -count=1 -timeout 4h -run '^TestSoak$' -v ./internal/integration) >"$log" 2>&1 || rc=$?
  if [ -f "$report" ]; then cat "$report"; else tail -40 "$log" >&2; fi
  [ $rc -eq 0 ] || say "the soak failed; its log is $log"
  if [ -f "$report" ] && [ "${1:-}" = --record ]; then
    record_in_docs "$ROOT/docs/benchmarks.md" "" "## $(date -u +%Y-%m-%d): the soak, ${MATIH_SOAK:-1h} on the cluster ($(nproc) cores, recorded by scripts/bench.sh soak --record)" "$report"
  fi
  return $rc
}

# keep NAME CMD... runs a benchmark, showing its output and keeping it for the table.
keep() {
  local name=$1; shift
  "$@" 2>&1 | tee "$OUT/$name.txt"
  return "${PIPESTATUS[0]}"
}

run_extract() {
  say "==> extraction of a 1M-row SQLite table to Parquet (rows/s, peak heap)"
  keep extract go test ./worker-pipeline/internal/extract -run '^$' -bench 'Extract1M|ExtractAgainstRawParquet' -benchtime 1x
}

run_extract_pg() {
  say "==> extraction of a PostgreSQL table: extract_data vs COPY binary (the anchor) vs psql \\copy to CSV (rows/s)"
  MATIH_BENCH_PG_ROWS=${MATIH_BENCH_PG_ROWS:-10000000} \
    keep extract-pg go test ./worker-pipeline/internal/extract -run '^$' -bench 'ExtractPostgres' -benchtime 1x -timeout 60m
}

run_load() {
  say "==> load of 1M staged rows into an Iceberg table (rows/s) vs a raw Parquet write of them"
  keep load go test ./worker-pipeline/internal/lakehouse -run '^$' -bench 'LoadAgainstRawParquet' -benchtime 1x
}

run_workers() {
  say "==> each worker's resident memory, idle and under scripts/chaos.sh --short"
  MATIH_CHAOS_BENCH="$OUT/workers.txt" "$ROOT/scripts/chaos.sh" --short ||
    say "chaos --short failed (its log says why); what it measured is still in the table"
}

run_backfill() {
  say "==> backfill of ${MATIH_BENCH_PARTITIONS:-1000} partitions at 5 ms and 500 ms: ours vs the seed's loop vs the no-op ceiling"
  keep backfill go test ./worker-pipeline/internal/bench -run '^$' -bench 'Backfill' -benchtime 1x -timeout 90m
}

run_api() {
  ensure_deb wrk wrk
  say "==> GET status at 5,000 events, with and without a worker, vs a full history scan (p50/p99 ms), and under wrk (req/s)"
  keep api go -C tui test ./internal/cli -run '^$' -bench 'StatusAtFiveThousandEvents' -benchtime 200x -timeout 20m
  say "==> GET status with payloads encrypted / plain, two stacks in one run (p50)"
  keep api-codec go -C tui test ./internal/cli -run '^$' -bench 'StatusCodec' -benchtime 1x -timeout 20m
}

run_backfill_commits() {
  say "==> backfill commits: 1,000 partitions, batches of 1 vs 50 (commits, snapshots, metadata size, first vs last 10% speed)"
  keep backfill-commits go test ./worker-pipeline/internal/partition -run '^$' -bench 'BackfillCommits' -benchtime 1x -timeout 60m
}

run_backfill_scale() {
  say "==> backfill at scale: ${MATIH_BENCH_DAYS:-4167} days of hourly partitions end to end (first vs last 10,000 partitions/s; commits, snapshots, metadata, history, carry, RSS)"
  keep backfill-scale go test ./worker-pipeline/internal/backfill/integration -run '^$' -bench 'BackfillScale' -benchtime 1x -timeout 60m
}

run_console() {
  say "==> console: key press + View at 100, 1,000, 10,000, 100,000 rows (ns/op; flat is the target)"
  keep console-keys go -C tui test ./internal/console -run '^$' -bench 'KeyAndView' -benchtime 2000x
  say "==> matih ls vs temporal workflow list over ${MATIH_BENCH_LIST_SIZES:-10000,100000} workflows (median of 5; ratio <= 1 and flat memory are the targets)"
  MATIH_BENCH_LIST_SIZES=${MATIH_BENCH_LIST_SIZES:-10000,100000} \
    keep console-listing go -C tui test ./e2e -run '^$' -bench 'ListingAgainstTemporalCLI' -benchtime 1x -timeout 40m
  say "==> ${MATIH_BENCH_SSH_SESSIONS:-20} consoles over SSH at 80x24, ${MATIH_BENCH_SSH_RUNS:-100000} running, one moving its selection: bytes/s of the idle ones, matih serve's memory and CPU"
  MATIH_BENCH_SSH_RUNS=${MATIH_BENCH_SSH_RUNS:-100000} \
    keep console-ssh go -C tui test ./e2e -run '^$' -bench 'IdleConsolesOverSSH' -benchtime 1x -timeout 30m
}

run_quality() {
  say "==> unique check over ${MATIH_BENCH_UNIQUE_KEYS:-50000000} keys, ${MATIH_BENCH_UNIQUE_MIB:-64} MiB setting: peak RSS it adds / the setting (<= 1), keys/s"
  keep quality go test ./worker-pipeline/internal/quality -run '^$' -bench 'UniqueCheck' -benchtime 1x -timeout 30m
}

run_approval() {
  say "==> approval round trip: the update to the next activity starting on the real worker (p50/p99 ms), the worker's RSS, the codec's cost (encrypted / plain), and Slack beside the console (slack/console)"
  keep approval go test ./worker-pipeline/internal/integration -run '^$' -bench 'ApprovalRoundTrip' -benchtime 1x -timeout 20m
}

case "${1:-all}" in
  api) run_api ;;
  approval) run_approval ;;
  console) run_console ;;
  quality) run_quality ;;
  backfill-commits) run_backfill_commits ;;
  backfill-scale) run_backfill_scale ;;
  extract) run_extract ;;
  extract-pg) run_extract_pg ;;
  load) run_load ;;
  workers) run_workers ;;
  backfill) run_backfill ;;
  soak) run_soak "${2:-}"; exit ;;
  all) run_extract; run_extract_pg; run_quality; run_load; run_approval; run_api; run_console; run_backfill; run_backfill_commits; run_backfill_scale; run_workers ;;
  *) die "unknown benchmark '$1' (expected extract, extract-pg, quality, load, workers, approval, api, console, backfill, backfill-commits, backfill-scale, soak or report)" ;;
esac
report
