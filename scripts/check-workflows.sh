#!/usr/bin/env bash
# Checks the workflow packages, whose code must replay the same on every worker:
#
#  - they import only the contract and their own logic: a workflow package whose
#    dependencies reach a database driver, an HTTP, S3, Iceberg or Arrow client, or
#    the Temporal client fails (the SDK's own use of net/http is allowed; ours is not);
#  - the SDK's workflowcheck (installed into ./bin the first time) finds nothing
#    non-deterministic in them, with the exceptions in scripts/workflowcheck.yaml and
#    the `//workflowcheck:ignore` lines, each of which says why it is safe.
#
#   scripts/check-workflows.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

case "${1:-}" in -h|--help) usage_of "$0"; exit 0;; esac

WORKFLOWCHECK_VERSION="v0.6.0"
WORKFLOWCHECK="$BIN/workflowcheck"
# module, then its workflow packages
WORKFLOW_PACKAGES=(
  "worker-pipeline ./internal/pipeline ./internal/backfill"
  "worker-infra ./internal/migration ./internal/maintenance"
  "worker-notify ./internal/delivery"
  "shared ./rolloutgate"
)
# Packages no workflow may reach, by import path prefix.
FORBIDDEN='^(database/sql$|github\.com/jackc/pgx|modernc\.org/sqlite|github\.com/apache/iceberg-go|github\.com/apache/arrow-go|github\.com/aws/|gocloud\.dev|go\.temporal\.io/sdk/client)(/|$)'

check_imports() { # module, packages...
  local mod=$1; shift
  local bad own
  bad=$(cd "$mod" && go list -deps "$@" | grep -E "$FORBIDDEN" || true)
  own=$(cd "$mod" && go list -deps -f '{{.ImportPath}} {{join .Imports " "}}' "$@" \
    | awk '$1 ~ /^github\.com\/matih\// { for (i = 2; i <= NF; i++) if ($i ~ /^net(\/http|\/smtp|\/rpc)?$/) print $1 " imports " $i }')
  if [ -n "$bad$own" ]; then
    say "workflow packages of $mod ($*) reach I/O packages; move that code to an activity:"
    for p in $bad; do say "  $p  (via: $(cd "$mod" && go list -deps -f '{{.ImportPath}} {{join .Imports " "}}' "$@" | awk -v p="$p" '$1 ~ /^github\.com\/matih\// { for (i = 2; i <= NF; i++) if ($i == p) print $1 }' | tr '\n' ' '))"; done
    [ -n "$own" ] && say "$own"
    return 1
  fi
}

check_determinism() { # module, packages...
  local mod=$1; shift
  (cd "$mod" && "$WORKFLOWCHECK" -config "$ROOT/scripts/workflowcheck.yaml" "$@")
}

go_install_bin "go.temporal.io/sdk/contrib/tools/workflowcheck@$WORKFLOWCHECK_VERSION" "$WORKFLOWCHECK"
rc=0
for entry in "${WORKFLOW_PACKAGES[@]}"; do
  read -ra args <<<"$entry"
  check_imports "${args[@]}" || rc=1
  check_determinism "${args[@]}" || { say "workflowcheck found non-determinism in ${args[*]}"; rc=1; }
done
[ $rc = 0 ] && say "workflow packages: imports and determinism clean (${WORKFLOW_PACKAGES[*]})"
exit $rc
