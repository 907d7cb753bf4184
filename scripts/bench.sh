#!/usr/bin/env bash
# Runs the performance benchmarks and prints their figures. Each compares against a
# baseline measured in the same run; none is a pass/fail timing test.
#
#   scripts/bench.sh            every benchmark
#   scripts/bench.sh extract    only the extraction benchmark
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

case "${1:-all}" in -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0;; esac
ensure_temporal_cli

run_extract() {
  say "==> extraction of a 1M-row SQLite table to Parquet (rows/s, peak heap)"
  go test ./worker-pipeline/extract -run '^$' -bench 'Extract1M' -benchtime 1x
}

case "${1:-all}" in
  extract) run_extract ;;
  all) run_extract ;;
  *) die "unknown benchmark '$1' (expected extract)" ;;
esac
