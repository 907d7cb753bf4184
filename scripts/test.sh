#!/usr/bin/env bash
# Runs every check and test of the repository: gofmt, go vet, each module building on
# its own, then the unit and integration tests of all modules against a real Temporal
# dev server and PostgreSQL (both started here when needed).
#
#   scripts/test.sh            everything
#   scripts/test.sh -short     skips the slowest tests (worker crash and restart, 1M-row extraction); no chaos run or fuzzing
#   scripts/test.sh -run NAME  passes extra flags to go test (and skips chaos and fuzzing)
#
# After the tests, `scripts/chaos.sh --short` runs the load and fault run (about 3
# minutes), then `--short --cluster` the same on the Temporal cluster (about 3
# minutes), then each fuzz target runs for MATIH_FUZZTIME (default 5s).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

case "${1:-}" in -h|--help) usage_of "$0"; exit 0;; esac

MODULES=(shared shared/testkit worker-pipeline worker-infra worker-notify tui deploy/check)
declare -a SUMMARY
FAILED=0
step() { # name, command...
  local name=$1; shift
  local start=$SECONDS
  say "==> $name"
  if "$@"; then SUMMARY+=("ok    $name ($((SECONDS-start))s)"); else SUMMARY+=("FAIL  $name ($((SECONDS-start))s)"); FAILED=1; fi
}

gofmt_check() {
  local bad
  bad=$(gofmt -l "${MODULES[@]}")
  [ -z "$bad" ] && return 0
  say "gofmt needed on:"; say "$bad"; return 1
}

alone_build() {
  local m rc=0
  for m in "${MODULES[@]}"; do
    # vet, not build: it also type-checks the tests, whose imports need go.sum lines too.
    (cd "$m" && GOWORK=off go vet ./... ) || { say "module $m, with its tests, does not build on its own (GOWORK=off)"; rc=1; }
  done
  return $rc
}

setup_services() {
  ensure_temporal_cli || return 1
  # Once, before the test binaries run in parallel and would each install them.
  ensure_temporal_server || return 1
  ensure_temporal_sql_tool || return 1
  if [ -z "${MATIH_TEST_PG_DSN:-}" ]; then
    MATIH_TEST_PG_DSN=$("$ROOT/scripts/postgres.sh" dsn) || { say "PostgreSQL could not be started"; return 1; }
    export MATIH_TEST_PG_DSN
  fi
}

# fuzz_targets runs each fuzz target for a few seconds; a crasher is kept in the
# package's testdata/fuzz as a regression case for every later run.
FUZZ_TARGETS=(
  "shared ./signals FuzzDecode"
  "tui ./internal/api FuzzDecodeBodies"
  "tui ./internal/sanitize FuzzText"
  "tui ./internal/cli FuzzBuildStart"
  "worker-infra ./internal/ddlcheck FuzzCheck"
  "worker-pipeline ./internal/spark FuzzRefusedInQuery"
)
# A run that stops on "context deadline exceeded" without writing a failing input
# is the fuzzer's own coordinator timing out on a loaded machine (golang/go#75804, fixed in Go 1.27),
# not a finding: that target is run once more, and fails only if it fails again.
fuzz_targets() {
  local t rc=0
  for t in "${FUZZ_TARGETS[@]}"; do
    set -- $t
    fuzz_one "$@" || { fuzz_stalled "$3" && say "fuzz $3: the fuzzer timed out with no finding; running it again" && fuzz_one "$@"; } \
      || { say "fuzz $3 failed:"; tail -20 "$DATA/fuzz-$3.txt" >&2; rc=1; }
  done
  return $rc
}
fuzz_one() {
  (cd "$1" && go test -run='^$' -fuzz="^$3\$" -fuzztime="${MATIH_FUZZTIME:-5s}" "$2" >"$DATA/fuzz-$3.txt" 2>&1)
}
fuzz_stalled() {
  grep -q 'context deadline exceeded' "$DATA/fuzz-$1.txt" && ! grep -q 'Failing input written to' "$DATA/fuzz-$1.txt"
}

# replay_gate replays every committed fixture against this tree's worker binaries,
# strictly. A Pinned type keeps one set, recorded from its current code; the
# AutoUpgrade delivery keeps every set, since its runs move to new builds.
replay_gate() {
  local w rc=0 fixtures
  # shellcheck source=lib-workers.sh
  source "$ROOT/scripts/lib-workers.sh"
  mkdir -p "$DATA/replay-gate"
  for w in worker-pipeline worker-infra worker-notify; do
    go build -o "$DATA/replay-gate/$w" "${WORKER_PKG[$w]}" || return 1
    read -ra fixtures <<<"${WORKER_FIXTURES[$w]}"
    "$DATA/replay-gate/$w" replay --strict "${fixtures[@]}" >"$DATA/replay-gate/$w.txt" 2>&1 \
      || { say "replay gate of $w failed:"; grep -v '^ok ' "$DATA/replay-gate/$w.txt" >&2; rc=1; }
    grep -E '^(set |replay:)' "$DATA/replay-gate/$w.txt" >&2
  done
  return $rc
}

# scripts_listed checks that scripts/README.md has a row for every script, names no
# script that is not there, and that each script answers --help.
scripts_listed() {
  local f name rc=0
  for f in "$ROOT"/scripts/*.sh; do
    name=$(basename "$f")
    case $name in lib*.sh) continue;; esac
    grep -q "^| \[\`$name\`\]" "$ROOT/scripts/README.md" || { say "scripts/README.md has no row for $name"; rc=1; }
    "$f" --help >/dev/null 2>&1 || { say "$name --help failed"; rc=1; }
  done
  for name in $(grep -o '^| \[`[a-z-]*\.sh`\]' "$ROOT/scripts/README.md" | grep -o '[a-z-]*\.sh'); do
    [ -f "$ROOT/scripts/$name" ] || { say "scripts/README.md lists $name, which is not in scripts/"; rc=1; }
  done
  return $rc
}

go_test() {
  go test -count=1 -timeout 40m "$@" work 2>&1 | tee "$DATA/test-output.txt" | grep -Ev '^time=|^=== (RUN|PAUSE|CONT)'
  return "${PIPESTATUS[0]}"
}

mkdir -p "$DATA"
step "services (Temporal CLI, PostgreSQL)" setup_services
step "deploy files (scripts/check-deploy.sh)" "$ROOT/scripts/check-deploy.sh"
step "gofmt" gofmt_check
step "go vet work" go vet work
step "each module builds and vets alone (GOWORK=off)" alone_build
step "scripts/README.md lists every script" scripts_listed
step "workflow packages (imports, workflowcheck)" "$ROOT/scripts/check-workflows.sh"
step "replay gate (committed fixtures, --strict)" replay_gate
step "go test work" go_test "$@"
case " $* " in
  *" -short "*|*" -run "*) ;;
  *) step "chaos --short (scripts/chaos.sh: load and faults)" "$ROOT/scripts/chaos.sh" --short
     step "chaos --short --cluster (the same on the Temporal cluster, whose hosts die)" "$ROOT/scripts/chaos.sh" --short --cluster
     step "fuzz (${MATIH_FUZZTIME:-5s} each)" fuzz_targets ;;
esac

echo
echo "summary:"
printf '  %s\n' "${SUMMARY[@]}"
if [ -f "$DATA/test-output.txt" ]; then
  echo "packages: $(grep -c '^ok ' "$DATA/test-output.txt") ok, $(grep -cP '^FAIL\t' "$DATA/test-output.txt") failed, $(grep -c 'no test files' "$DATA/test-output.txt") without tests"
  grep -P '^--- FAIL|^FAIL\t' "$DATA/test-output.txt" | sed 's/^/  /' || true
fi
exit $FAILED
