#!/usr/bin/env bash
# Checks that the deploy files run, with the real tools: the Temporal server renders
# deploy/temporal/production.yaml from the environment its pods get and validates the
# dynamic config; promtool checks the Prometheus rules and parses every dashboard
# expression; kustomize (its Go API, as kubectl uses it) renders every kustomization
# and each worker's per-build overlay, decoded strictly into the Kubernetes API
# types, with the workers' hardening (restricted pods, secrets as files, network
# policies) checked on the result; the Helm values agree with the server files;
# systemd-analyze rates the sandbox of deploy/systemd/matih-worker@.service no worse
# than the exposure level deploy/README.md records; the scripts, setup.sh and
# es-index.sh pass shellcheck. Tools are installed the first time: the server into
# ./bin (about 2 minutes), promtool into ./bin from Debian's prometheus package, and
# jq, shellcheck and systemd-analyze (package systemd) from Debian's packages.
#
#   scripts/check-deploy.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

case "${1:-}" in -h|--help) usage_of "$0"; exit 0;; esac

PROMTOOL="$BIN/promtool"

# ensure_promtool puts promtool into ./bin from Debian's prometheus package. Only the
# binary: installing the package would add a system user and a Prometheus service
# (which starts where there is an init system), and pull a dozen web UI packages.
# apt-get download fetches the .deb alone; dpkg-deb unpacks it in a scratch folder.
ensure_promtool() {
  [ -x "$PROMTOOL" ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "promtool comes from Debian's prometheus package, and apt-get is missing"
  say "installing promtool into $BIN (from Debian's prometheus package; the binary only)"
  local sudo="" tmp
  [ "$(id -u)" = 0 ] || sudo="sudo"
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $tmp now
  trap "rm -rf '$tmp'" RETURN
  (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1) \
    || { $sudo apt-get update -q >/dev/null 2>&1 && (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1); } \
    || die "could not download Debian's prometheus package (apt-get download prometheus)"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root" || die "could not unpack the prometheus package"
  [ -x "$tmp/root/usr/bin/promtool" ] || die "the prometheus package has no usr/bin/promtool"
  mkdir -p "$BIN"
  install -m 0755 "$tmp/root/usr/bin/promtool" "$PROMTOOL"
}

ensure_temporal_server

say "render deploy/temporal/production.yaml with temporal-secrets.example.env"
out=$(env -i PATH="$PATH" bash -c 'set -a; source deploy/temporal/temporal-secrets.example.env; set +a;
  exec "$0" --root "$1" --config deploy/temporal --env production render-config' "$TEMPORAL_SERVER" "$ROOT" 2>&1) \
  || die "the server cannot load deploy/temporal/production.yaml: $out"
for want in 'temporal-db.internal:5432' 'temporal-es.internal:9200' 'temporal_visibility_v1_matih' '10.0.0.10' \
  'auth.matih.internal/.well-known/jwks.json' '/etc/temporal/tls/frontend.pem' 'requireClientAuth: true'; do
  grep -q "$want" <<<"$out" || die "rendered config lacks $want: the template did not read the environment"
done
# The server masks passwords when it prints its config: that it loaded is what shows.

say "validate deploy/temporal/dynamicconfig.yaml and dynamicconfig-dev.yaml"
# The validator exits 0 even on unknown keys or bad values; its warnings are the verdict.
for f in deploy/temporal/dynamicconfig.yaml deploy/temporal/dynamicconfig-dev.yaml; do
  out=$("$TEMPORAL_SERVER" validate-dynamic-config "$f" 2>&1) || die "$f: $out"
  if grep -q warning <<<"$out"; then die "$f has unknown keys or bad values: $out"; fi
done

ensure_promtool
say "promtool $("$PROMTOOL" --version 2>&1 | awk 'NR == 1 { print $3 }'): check deploy/prometheus/rules.yaml"
"$PROMTOOL" check rules deploy/prometheus/rules.yaml >&2 || die "promtool rejects deploy/prometheus/rules.yaml (above)"

ensure_deb jq jq
say "promtool: parse every expression of deploy/grafana/matih-workers.json"
dash=$(mktemp -d)
trap 'rm -rf "$dash"' EXIT
# Each panel expression becomes a recording rule, so promtool's PromQL parser reads
# it. Grafana's interval variables stand in for a duration.
jq '{groups: [{name: "dashboard", rules: ([.. | objects | select(has("expr")) | .expr | strings
      | gsub("\\$__(rate_)?interval"; "5m")] | to_entries
      | map({record: "dashboard:expr_\(.key)", expr: .value}))}]}' \
  deploy/grafana/matih-workers.json >"$dash/dashboard-rules.yaml" \
  || die "deploy/grafana/matih-workers.json is not valid JSON"
n=$(jq '.groups[0].rules | length' "$dash/dashboard-rules.yaml")
[ "$n" -gt 0 ] || die "deploy/grafana/matih-workers.json has no panel expressions"
"$PROMTOOL" check rules "$dash/dashboard-rules.yaml" >&2 \
  || die "promtool rejects an expression of deploy/grafana/matih-workers.json (above; expr_N is the Nth)"

say "kustomize: every kustomization and each worker's per-build overlay, decoded strictly and checked for the hardening; Helm values; es-index.sh"
# The deploy/check tests that need no server (-short skips the one that starts the
# workers: go test work runs it).
go test -short -count=1 github.com/matih/ops/deploy/check >&2 \
  || die "deploy/check found problems in the deploy files (above)"

ensure_deb systemd-analyze systemd
# The exposure level deploy/README.md records is the most a unit may score (0 is
# fully sandboxed, 10 not at all): a change that loosens a sandbox fails here until
# the README says so.
max=$(sed -n 's/.*exposure level \*\*\([0-9][0-9]*\.[0-9]\)\*\*.*/\1/p' deploy/README.md | head -n 1)
[ -n "$max" ] || die "deploy/README.md records no exposure level (a line with 'exposure level **N.N**')"
for UNIT in deploy/systemd/*.service; do
  say "systemd-analyze security: $UNIT"
  out=$(systemd-analyze security --offline=yes --no-pager "$UNIT" 2>&1) \
    || die "systemd-analyze security cannot read $UNIT: $out"
  score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$out")
  [ -n "$score" ] || die "systemd-analyze security printed no overall exposure level for $UNIT: $out"
  if ! awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }'; then
    grep '✗' <<<"$out" >&2 || true
    die "$UNIT: exposure level $score, above the $max deploy/README.md records (the open settings above)"
  fi
  say "$UNIT: exposure level $score (at most $max)"
done

ensure_shellcheck
say "shellcheck on the scripts"
shellcheck -S warning -x scripts/*.sh deploy/temporal/*.sh >&2 || die "shellcheck found problems (above)"
say "deploy files: ok"
