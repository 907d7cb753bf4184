# shellcheck shell=bash
# Worker processes of the local stack, one set per build: scripts/dev.sh starts the
# first build of each worker, scripts/rollout.sh starts the next beside it. Source it
# after lib.sh; do not run it.
#
# State, per worker and build, under $DATA/workers/WORKER/BUILD.{pid,http}; binaries in
# $BIN/versions/WORKER-BUILD; the builds made current, oldest first, in
# $DATA/workers/WORKER/history.
# shellcheck disable=SC2034 # the variables are for the scripts that source this file

WORKER_NAMES=(worker-pipeline worker-infra worker-notify)
declare -A WORKER_PKG=([worker-pipeline]=./worker-pipeline/cmd/worker-pipeline [worker-infra]=./worker-infra/cmd/worker-infra [worker-notify]=./worker-notify/cmd/worker-notify)
declare -A WORKER_PORT=([worker-pipeline]=9101 [worker-infra]=9102 [worker-notify]=9103)
# Recorded histories each worker's replay gate replays.
declare -A WORKER_FIXTURES=(
  [worker-pipeline]="worker-pipeline/internal/pipeline/testdata worker-pipeline/internal/backfill/testdata"
  [worker-infra]="worker-infra/internal/migration/testdata worker-infra/internal/maintenance/testdata"
  [worker-notify]="worker-notify/internal/delivery/testdata"
)
TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:${MATIH_DEV_PORT:-7233}}"
TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-matih-pipelines}"
export TEMPORAL_ADDRESS TEMPORAL_NAMESPACE

known_worker() { [ -n "${WORKER_PKG[$1]:-}" ] || die "unknown worker '$1' (expected one of ${WORKER_NAMES[*]})"; }
deployment_of() { echo "matih-$1"; }
worker_dir() { echo "$DATA/workers/$1"; }
VERSIONS="${MATIH_VERSIONS_DIR:-$BIN/versions}" # one binary per worker and build
worker_bin() { echo "$VERSIONS/$1-$2"; }

# default_build_id names the tree being built: the commit, plus a hash of uncommitted
# changes and of GOFLAGS (build tags make a different binary) when there are any.
default_build_id() {
  local rev extra
  rev=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null) || rev=nogit
  extra=$( { git -C "$ROOT" diff HEAD 2>/dev/null; git -C "$ROOT" ls-files -o --exclude-standard 2>/dev/null; printf '%s' "${GOFLAGS:-}"; } | sha256sum | cut -c1-8)
  if [ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] && [ -z "${GOFLAGS:-}" ]; then echo "$rev"; else echo "$rev-$extra"; fi
}

check_build_id() {
  [[ $1 =~ ^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$ ]] \
    || die "build id '$1': expected 1 to 63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit"
}

# build_worker WORKER BUILD compiles the worker into its versioned binary, once.
build_worker() {
  local bin; bin=$(worker_bin "$1" "$2")
  if [ -x "$bin" ]; then say "$1: build $2 already built ($bin)"; return; fi
  mkdir -p "$VERSIONS"
  say "$1: building $2"
  (cd "$ROOT" && go build -o "$bin.tmp" "${WORKER_PKG[$1]}") || die "$1: go build failed"
  mv -f "$bin.tmp" "$bin"
}

build_alive() { # WORKER BUILD
  local f; f="$(worker_dir "$1")/$2.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# running_builds WORKER prints the builds with a live process.
running_builds() {
  local f b
  for f in "$(worker_dir "$1")"/*.pid; do
    [ -e "$f" ] || continue
    b=$(basename "$f" .pid)
    if build_alive "$1" "$b"; then echo "$b"; fi
  done
}

build_http() { cat "$(worker_dir "$1")/$2.http"; } # WORKER BUILD

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_build WORKER BUILD runs the build's binary on the first free port from the
# worker's base port, unless it runs already.
start_build() {
  local w=$1 b=$2 dir port log pid
  dir=$(worker_dir "$w"); mkdir -p "$dir" "$DATA/logs"
  if build_alive "$w" "$b"; then say "$w: build $b already running (pid $(cat "$dir/$b.pid"), http $(build_http "$w" "$b"))"; return; fi
  port=${WORKER_PORT[$w]}
  while ! port_free "$port"; do port=$((port + 100)); done
  log="$DATA/logs/$w-$b.log"
  local creds=()
  if [ -n "${MATIH_TEMPORAL_PKI:-}" ]; then
    # The secure server: the worker's own certificate and the worker token.
    creds=("TEMPORAL_TLS_CLIENT_CERT_PATH=$MATIH_TEMPORAL_PKI/$w.pem" "TEMPORAL_TLS_CLIENT_KEY_PATH=$MATIH_TEMPORAL_PKI/$w.key"
      "TEMPORAL_API_KEY=$(cat "$MATIH_TEMPORAL_CREDENTIALS/worker.token")")
  fi
  env "${creds[@]}" MATIH_HTTP_ADDR="127.0.0.1:$port" MATIH_DATA_DIR="$DATA" MATIH_BUILD_ID="$b" \
    nohup "$(worker_bin "$w" "$b")" >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/$b.pid"; echo "127.0.0.1:$port" >"$dir/$b.http"
  say "$w: started build $b (pid $pid, http 127.0.0.1:$port, log $log)"
}

# wait_polling WORKER BUILD waits until /readyz says the server lists it as a poller.
wait_polling() {
  local w=$1 b=$2 http; http=$(build_http "$w" "$b")
  for _ in $(seq 1 120); do
    curl -fsS "http://$http/readyz" >/dev/null 2>&1 && { say "$w: build $b is polling"; return 0; }
    build_alive "$w" "$b" || { tail -5 "$DATA/logs/$w-$b.log" >&2; die "$w: build $b exited before it polled; log $DATA/logs/$w-$b.log"; }
    sleep 0.5
  done
  die "$w: build $b did not poll within 60s; log $DATA/logs/$w-$b.log"
}

# stop_build WORKER BUILD sends SIGTERM (the worker finishes its running activities),
# then SIGKILL after 45 s.
stop_build() {
  local w=$1 b=$2 dir pid; dir=$(worker_dir "$w")
  if ! build_alive "$w" "$b"; then rm -f "$dir/$b.pid" "$dir/$b.http"; return; fi
  pid=$(cat "$dir/$b.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "$w: build $b did not stop in 45s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$dir/$b.pid" "$dir/$b.http"
  say "$w: stopped build $b (pid $pid)"
}

# ramping_build WORKER prints the ramping build ID (empty: none).
ramping_build() {
  deployment_json "$1" | jq -r '.routingConfig.rampingVersionBuildID // empty'
}

# deployment_json WORKER prints `temporal worker deployment describe -o json`, or
# nothing when the deployment does not exist yet.
# ROLLOUT_IDENTITY is who these scripts change a deployment's routing as. While
# rollout.sh changes it, the deployment's ManagerIdentity is this identity
# (claim_routing), so nobody else's change (another operator, the Worker
# Controller) lands in the middle, and nobody else's claim is overridden.
ROLLOUT_IDENTITY=${MATIH_ROLLOUT_IDENTITY:-rollout.sh@${HOSTNAME:-localhost}}
CLAIMED=""

# claim_routing WORKER makes this script the deployment's manager until it exits,
# however it exits; a deployment another identity manages is left alone.
claim_routing() {
  local w=$1 d mgr
  d=$(deployment_of "$w")
  mgr=$(deployment_json "$w" | jq -r '.managerIdentity // empty')
  if [ -n "$mgr" ] && [ "$mgr" != "$ROLLOUT_IDENTITY" ]; then
    die "$w: deployment $d is managed by '$mgr' (the Worker Controller, or another operator's rollout): nothing was changed. If that manager is gone for good: $TEMPORAL worker deployment manager-identity unset --deployment-name $d -y"
  fi
  [ "$CLAIMED" = "$d" ] && return 0
  "$TEMPORAL" worker deployment manager-identity set --deployment-name "$d" --self --identity "$ROLLOUT_IDENTITY" -y >/dev/null \
    || die "$w: could not claim deployment $d as $ROLLOUT_IDENTITY"
  CLAIMED=$d
  trap release_routing EXIT
  say "$w: $d is managed by $ROLLOUT_IDENTITY until this rollout ends"
}

# release_routing gives the claimed deployment back (on exit, success or not).
release_routing() {
  [ -n "$CLAIMED" ] || return 0
  "$TEMPORAL" worker deployment manager-identity unset --deployment-name "$CLAIMED" --identity "$ROLLOUT_IDENTITY" -y >/dev/null 2>&1 \
    || say "could not release deployment $CLAIMED: unset it with $TEMPORAL worker deployment manager-identity unset --deployment-name $CLAIMED -y"
  CLAIMED=""
}

deployment_json() {
  "$TEMPORAL" worker deployment describe --name "$(deployment_of "$1")" -o json 2>/dev/null || true
}

# current_build WORKER prints the deployment's current build ID (empty: none).
current_build() {
  deployment_json "$1" | jq -r '.routingConfig.currentVersionBuildID // empty'
}

# set_current WORKER BUILD makes BUILD current and records it in the history.
# The server registers a deployment and its versions shortly after their first poll,
# so "not found" right after a build starts polling is retried for up to 30 s.
set_current() {
  local w=$1 b=$2 out i
  for i in $(seq 1 60); do
    if out=$("$TEMPORAL" worker deployment set-current-version --deployment-name "$(deployment_of "$w")" --build-id "$b" \
      --identity "$ROLLOUT_IDENTITY" -y 2>&1); then
      break
    fi
    case "$out" in
      *"not found"*) [ "$i" -lt 60 ] || die "$w: could not make $b current after 30s: $out"; sleep 0.5 ;;
      *) die "$w: could not make $b current: $out" ;;
    esac
  done
  mkdir -p "$(worker_dir "$w")"
  echo "$b" >>"$(worker_dir "$w")/history"
  say "$w: build $b is current; new runs go to it"
}
