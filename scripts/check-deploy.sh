#!/usr/bin/env bash
# Checks that the deploy files run, with the real tools: the Temporal server renders
# deploy/temporal/production.yaml from the environment its pods get and validates the
# dynamic config; the scripts and setup.sh pass shellcheck. The server binary is
# installed into ./bin the first time (about 2 minutes), shellcheck from Debian's
# packages.
#
#   scripts/check-deploy.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

case "${1:-}" in -h|--help) usage_of "$0"; exit 0;; esac

ensure_temporal_server

say "render deploy/temporal/production.yaml with temporal-secrets.example.env"
out=$(env -i PATH="$PATH" bash -c 'set -a; source deploy/temporal/temporal-secrets.example.env; set +a;
  exec "$0" --root "$1" --config deploy/temporal --env production render-config' "$TEMPORAL_SERVER" "$ROOT" 2>&1) \
  || die "the server cannot load deploy/temporal/production.yaml: $out"
for want in 'temporal-db.internal:5432' 'temporal-es.internal:9200' 'temporal_visibility_v1_matih' '10.0.0.10'; do
  grep -q "$want" <<<"$out" || die "rendered config lacks $want: the template did not read the environment"
done
# The server masks passwords when it prints its config: that it loaded is what shows.

say "validate deploy/temporal/dynamicconfig.yaml"
"$TEMPORAL_SERVER" validate-dynamic-config deploy/temporal/dynamicconfig.yaml >&2 \
  || die "deploy/temporal/dynamicconfig.yaml has unknown keys or bad values"

ensure_shellcheck
say "shellcheck on the scripts"
shellcheck -S warning -x scripts/*.sh deploy/temporal/setup.sh >&2 || die "shellcheck found problems (above)"
say "deploy files: ok"
