# shellcheck shell=bash
# The table scripts/bench.sh ends with. Source it; do not run it.

# BENCH_ROWS: one row per line, fields separated by |:
#   what is measured | figure | target
# A figure is BENCHMARK:UNIT, as `go test -bench` prints it (without the -N suffix
# of GOMAXPROCS), or two of them divided, A:U / B:U, for a ratio of two runs.
BENCH_ROWS='backfill vs the seed'"'"'s loop, 5 ms partitions (x faster)|BenchmarkBackfill:x-seed@5ms|> 1
backfill vs the seed'"'"'s loop, 500 ms partitions (x faster)|BenchmarkBackfill:x-seed@500ms|> 1
backfill partitions/s at 5 ms / the no-op ceiling'"'"'s activities/s (a task carries several)|BenchmarkBackfill:of-ceiling@5ms|>= 1
backfill, ideal wall / wall at 500 ms|BenchmarkBackfill:of-ideal@500ms|near 1
backfill at scale (MATIH_BENCH_DAYS of hourly partitions), last / first 10,000 speed|BenchmarkBackfillScale:last/first|>= 0.8
backfill commits, last / first 10% speed, a commit per partition|BenchmarkBackfillCommits/batch=1:last/first-speed|
backfill commits, last / first 10% speed, a commit per batch of 50|BenchmarkBackfillCommits/batch=50:last/first-speed|>= 0.8
unique check over 50,000,000 keys: peak RSS it adds / its 64 MiB setting|BenchmarkUniqueCheck:check-rss/setting|<= 1
unique check over 50,000,000 keys (keys/s)|BenchmarkUniqueCheck:keys/s|
console first rows, matih ls / temporal workflow list, 100,000 workflows|BenchmarkListingAgainstTemporalCLI/runs=100000:first-ratio|<= 1
matih ls --limit 0 -o json / temporal workflow list -o json, 10,000 workflows (wall)|BenchmarkListingAgainstTemporalCLI/runs=10000:all-ratio|<= 1
matih ls --limit 0 -o json / temporal workflow list -o json, 100,000 workflows (wall)|BenchmarkListingAgainstTemporalCLI/runs=100000:all-ratio|<= 1
temporal workflow list with a WorkflowType filter / without, 100,000 workflows (what hiding deliveries by type cost)|BenchmarkListingAgainstTemporalCLI/runs=100000:typefilter-cost|
matih ls --limit 0 -o json peak RSS, 10,000 workflows (MiB)|BenchmarkListingAgainstTemporalCLI/runs=10000:lsall-peak-MiB|<= 64
matih ls --limit 0 -o json peak RSS, 100,000 workflows (MiB)|BenchmarkListingAgainstTemporalCLI/runs=100000:lsall-peak-MiB|<= 64, flat
idle console redraw over SSH at 80x24, 100,000 running, busiest of 19 idle sessions (B/s)|BenchmarkIdleConsolesOverSSH:idle-max-B/s|<= 100
console moving its selection twice a second beside them (B/s)|BenchmarkIdleConsolesOverSSH:active-B/s|
matih serve with 20 SSH consoles: peak RSS (MiB)|BenchmarkIdleConsolesOverSSH:serve-peak-MiB|
matih serve with 20 SSH consoles: CPU (% of one core)|BenchmarkIdleConsolesOverSSH:serve-cpu-%|
console key press + frame, 10,000 / 100 rows|BenchmarkKeyAndView/rows=10000:ns/op / BenchmarkKeyAndView/rows=100:ns/op|flat (near 1)
console key press + frame, 100,000 / 100 rows|BenchmarkKeyAndView/rows=100000:ns/op / BenchmarkKeyAndView/rows=100:ns/op|flat (near 1)
status p50, API / full history scan (5,000 events, worker up)|BenchmarkStatusAtFiveThousandEvents/api/with-worker:p50-ms / BenchmarkStatusAtFiveThousandEvents/history-scan/with-worker:p50-ms|< 1
status p50, API / full history scan (5,000 events, no worker)|BenchmarkStatusAtFiveThousandEvents/api/no-worker:p50-ms / BenchmarkStatusAtFiveThousandEvents/history-scan/no-worker:p50-ms|< 1
approval to next activity started, p50 (ms)|BenchmarkApprovalRoundTrip:start-p50-ms|<= 150
approval to next activity started, p99 (ms)|BenchmarkApprovalRoundTrip:start-p99-ms|
approval p50 / the update'"'"'s own acknowledgement p50|BenchmarkApprovalRoundTrip:start/ack|
approval p50 with payloads encrypted / without (same run)|BenchmarkApprovalRoundTripCodec:codec/plain|<= 1.1
status API p50 with payloads encrypted / without (same run)|BenchmarkStatusCodec:codec/plain|<= 1.1
extraction rows/s / raw arrow-go Parquet write of the same rows|BenchmarkExtractAgainstRawParquet:extract/raw|>= 0.5
extraction of 1M rows (rows/s)|BenchmarkExtractAgainstRawParquet:extract-rows/s|
PostgreSQL extraction rows/s / COPY binary to nothing|BenchmarkExtractPostgres:extract/copy|>= 0.5
PostgreSQL extraction rows/s / psql copy to CSV|BenchmarkExtractPostgres:extract/psql|> 1
PostgreSQL extraction (rows/s)|BenchmarkExtractPostgres:extract-rows/s|
PostgreSQL extraction peak RSS, every reader in one process (MiB)|BenchmarkExtractPostgres:peak-rss-MiB|<= 256
Iceberg load rows/s / raw arrow-go Parquet write of the same rows|BenchmarkLoadAgainstRawParquet:load/raw|>= 0.5
Iceberg load of 1M rows (rows/s)|BenchmarkLoadAgainstRawParquet:load-rows/s|
worker-pipeline RSS idle (MiB)|BenchmarkApprovalRoundTrip:worker-idle-MiB|
worker-pipeline peak RSS, approvals load (MiB)|BenchmarkApprovalRoundTrip:worker-peak-MiB|
worker-pipeline peak RSS, backfill at scale (MiB)|BenchmarkBackfillScale:worker_peak_MiB|
worker-pipeline RSS idle, chaos --short (MiB)|BenchmarkChaosWorkers:pipeline-idle-MiB|
worker-pipeline peak RSS under chaos --short (MiB)|BenchmarkChaosWorkers:pipeline-peak-MiB|
worker-notify RSS idle (MiB)|BenchmarkChaosWorkers:notify-idle-MiB|
worker-notify peak RSS under chaos --short (MiB)|BenchmarkChaosWorkers:notify-peak-MiB|
worker-infra RSS idle (MiB)|BenchmarkChaosWorkers:infra-idle-MiB|
worker-infra peak RSS under chaos --short (MiB)|BenchmarkChaosWorkers:infra-peak-MiB|'

# report prints the table from the outputs kept in $OUT, and the machine they ran on.
report() {
  local files=("$OUT"/*.txt)
  [ -e "${files[0]}" ] || { say "no benchmark output in $OUT yet: run scripts/bench.sh first"; return 0; }
  echo
  echo "Benchmarks on $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(go env GOVERSION), outputs of $(date -u -r "$(ls -t "${files[@]}" | head -1)" +%Y-%m-%d):"
  echo
  echo "| measure | figure | target |"
  echo "|---|---|---|"
  awk -F'|' '
    FNR == NR {
      if ($0 ~ /^Benchmark/) {
        n = split($0, f, /[ \t]+/); name = f[1]; sub(/-[0-9]+$/, "", name)
        for (i = 3; i < n; i += 2) v[name ":" f[i + 1]] = f[i]
      }
      next
    }
    function fig(expr,   p, a, b) {
      if (split(expr, p, / \/ /) == 2) {
        a = fig(p[1]); b = fig(p[2])
        return (a == "" || b == "" || b == 0) ? "" : a / b
      }
      return (expr in v) ? v[expr] : ""
    }
    {
      x = fig($2)
      printf "| %s | %s | %s |\n", $1, (x == "" ? "not run" : sprintf("%.3g", x)), $3
    }' <(cat "${files[@]}") <(printf '%s\n' "$BENCH_ROWS")
}
