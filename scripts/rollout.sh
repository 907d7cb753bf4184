#!/usr/bin/env bash
# Rolls a worker to a new build under Worker Versioning, without breaking runs in
# flight: every workflow but the notification delivery is Pinned, so runs that
# started on the old build finish there while new runs go to the new one; the
# delivery is AutoUpgrade, and the replay gate checks its waiting runs replay. Every
# step can be re-run; a failed check exits non-zero and says what to do.
#
#   scripts/rollout.sh start WORKER [--build-id ID] [--ramp PCT] [--watch DURATION]
#       1. build the tree (or reuse bin/versions/WORKER-ID) and start it beside the old build
#       2. wait until it polls
#       3. replay gate: the committed fixtures, then RolloutGateWorkflow on the new
#          build's workers for the namespace's open runs (the Worker Controller's gate)
#       4. with --ramp, send PCT% of new runs to it for --watch (default 60s) and back
#          off if any of its workflow tasks fail
#       5. make it current
#   scripts/rollout.sh drain WORKER BUILD [--timeout DURATION]
#       wait until BUILD (no longer current) reports drained, then stop its processes
#   scripts/rollout.sh rollback WORKER [--to BUILD] [--force]
#       make the previously current build (or BUILD) current again, restarting it if stopped,
#       once it replays the open runs that would move to it (AutoUpgrade, unversioned);
#       --force skips that gate
#   scripts/rollout.sh status [WORKER ...]
#       current and ramping builds, each version's drainage, and the local processes
#   scripts/rollout.sh start|drain|rollback WORKER --k8s [--image IMAGE]
#       the same on Kubernetes (kubectl): one Deployment per build, see deploy/README.md
#
# While it changes routing it is the deployment's manager (ManagerIdentity, as
# MATIH_ROLLOUT_IDENTITY, default rollout.sh@HOST), released when it exits however it
# exits; it refuses a deployment another identity manages (the Worker Controller).
#
# WORKER is worker-pipeline, worker-infra or worker-notify. The Temporal server comes
# from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (default: the scripts/dev.sh stack).
# MATIH_ROLLOUT_SMOKE=FILE (a pipeline config on a demo-size canary table) makes the
# gate of worker-pipeline also run that pipeline end to end on the new build.
# Drainage is refreshed every few minutes by a production server; the dev stack's
# dynamic config shortens it to seconds (matching.wv.VersionDrainageStatusRefreshInterval).
set -euo pipefail
# A smoke pipeline for worker-pipeline's gate, read before the script changes directory.
SMOKE=${MATIH_ROLLOUT_SMOKE:+$(realpath -e "$MATIH_ROLLOUT_SMOKE")}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-workers.sh"
cd "$ROOT"

usage() { usage_of "$0"; }

duration_s() { # 90s, 5m, 2h -> seconds
  [[ $1 =~ ^([0-9]+)([smh]?)$ ]] || die "'$1': expected a duration like 90s, 5m or 2h"
  case ${BASH_REMATCH[2]} in m) echo $((BASH_REMATCH[1] * 60)) ;; h) echo $((BASH_REMATCH[1] * 3600)) ;; *) echo "${BASH_REMATCH[1]}" ;; esac
}

# replay_gate WORKER BUILD replays the committed fixtures against BUILD's binary,
# then runs RolloutGateWorkflow on BUILD's workers (the gate the Worker Controller
# runs too): it replays the namespace's open runs BUILD would continue.
replay_gate() {
  local w=$1 b=$2 fixtures=() f bin
  read -ra fixtures <<<"${WORKER_FIXTURES[$w]}"
  if [ ${#fixtures[@]} -eq 0 ]; then say "$w: no workflows, so no replay gate"; return 0; fi
  for f in "${fixtures[@]}"; do [ -d "$f" ] || die "$w: replay fixtures $f are missing"; done
  bin=$(worker_bin "$w" "$b")
  say "$w: replay gate for $b (fixtures: ${fixtures[*]}; then RolloutGateWorkflow on $b for the open runs)"
  "$bin" replay "${fixtures[@]}" || return 1
  local smoke=()
  if [ "$w" = worker-pipeline ] && [ -n "$SMOKE" ]; then smoke=(--smoke "$SMOKE"); fi
  "$bin" gate --build-id "$b" "${smoke[@]}" || return 1
}

# workflow_task_failures WORKER BUILD sums the build's failed workflow tasks.
workflow_task_failures() {
  curl -fsS "http://$(build_http "$1" "$2")/metrics" 2>/dev/null \
    | awk '/^temporal_workflow_task_execution_failed(_total)?[{ ]/ { s += $NF } END { print s + 0 }'
}

ramp() { # WORKER BUILD PCT WATCH_SECONDS
  local w=$1 b=$2 pct=$3 watch=$4 d before now
  d=$(deployment_of "$w")
  before=$(workflow_task_failures "$w" "$b")
  "$TEMPORAL" worker deployment set-ramping-version --deployment-name "$d" --build-id "$b" --percentage "$pct" --identity "$ROLLOUT_IDENTITY" -y >/dev/null \
    || die "$w: could not ramp $b to $pct%"
  say "$w: ramping $pct% of new runs to $b; watching its workflow tasks for ${watch}s"
  for _ in $(seq 1 "$watch"); do
    now=$(workflow_task_failures "$w" "$b")
    if [ "$now" -gt "$before" ]; then
      "$TEMPORAL" worker deployment set-ramping-version --deployment-name "$d" --delete --identity "$ROLLOUT_IDENTITY" -y >/dev/null || true
      die "$w: $((now - before)) workflow tasks failed on $b while ramping; ramp removed, $b is not current (log $DATA/logs/$w-$b.log)"
    fi
    sleep 1
  done
  say "$w: no workflow task failed on $b during the ramp"
}

start_local() { # WORKER BUILD RAMP WATCH
  local w=$1 b=$2 pct=$3 watch=$4 current
  current=$(current_build "$w")
  say "$w: current build: ${current:-none}; rolling out $b"
  build_worker "$w" "$b"
  start_build "$w" "$b"
  wait_polling "$w" "$b"
  if ! replay_gate "$w" "$b"; then
    [ "$current" = "$b" ] && die "$w: $b, the current build, no longer passes the replay gate (above); it keeps running"
    stop_build "$w" "$b"
    die "$w: $b failed the replay gate (above): it would break runs it would have to continue; stopped it, ${current:-nothing} stays current"
  fi
  claim_routing "$w"
  [ -n "$pct" ] && ramp "$w" "$b" "$pct" "$watch"
  if [ "$current" = "$b" ]; then say "$w: $b is already current"; else set_current "$w" "$b"; fi
  if [ -n "$current" ] && [ "$current" != "$b" ]; then
    say "$w: $current keeps running the runs pinned to it; when they are done: scripts/rollout.sh drain $w $current"
  fi
}

# drainage WORKER BUILD prints the version's drainage status (draining, drained, or
# empty while the server has not computed it yet).
drainage() {
  "$TEMPORAL" worker deployment describe-version --deployment-name "$(deployment_of "$1")" --build-id "$2" -o json 2>/dev/null \
    | jq -r '.drainageInfo.drainageStatus // empty' | tr '[:upper:]' '[:lower:]' | sed 's/^version_drainage_status_//' || true
}

drain_local() { # WORKER BUILD TIMEOUT_SECONDS
  local w=$1 b=$2 timeout=$3 status waited=0
  [ "$(current_build "$w")" != "$b" ] || die "$w: $b is current; roll out another build first (scripts/rollout.sh start $w)"
  [ "$(ramping_build "$w")" != "$b" ] || die "$w: $b is ramping; make another build current first"
  say "$w: waiting up to ${timeout}s for $b to drain (its pinned runs to finish)"
  while :; do
    status=$(drainage "$w" "$b")
    [ "$status" = drained ] && break
    [ $waited -ge "$timeout" ] && die "$w: $b is still ${status:-not yet reported as draining} after ${timeout}s; its pinned runs are not done. Re-run later, or look at them: bin/matih ls"
    [ $((waited % 10)) -eq 0 ] && say "$w: $b is ${status:-not yet reported as draining} (${waited}s)"
    sleep 1; waited=$((waited + 1))
  done
  say "$w: $b reports drained"
  local any=0
  for x in $(running_builds "$w"); do [ "$x" = "$b" ] && { stop_build "$w" "$b"; any=1; }; done
  [ $any = 1 ] || say "$w: no local process of $b was running"
}

# previous_build WORKER CURRENT prints the build to roll back to: the last one made
# current here before CURRENT, else the newest version the server knows that is
# older than CURRENT.
previous_build() {
  local prev
  prev=$(grep -vx "$2" "$(worker_dir "$1")/history" 2>/dev/null | tail -1 || true)
  [ -n "$prev" ] || prev=$(deployment_json "$1" | jq -r --arg cur "$2" '
    (.versionSummaries | map(select(.BuildID == $cur)) | .[0].createTime) as $t
    | [.versionSummaries[] | select(.BuildID != $cur and .createTime < $t)] | sort_by(.createTime) | last | .BuildID // empty')
  echo "$prev"
}

# rollback_gate WORKER BUILD CURRENT FORCE [CMD...] runs, with CMD (the build's
# binary, or a kubectl exec into its pod), RolloutGateWorkflow on BUILD: the
# namespace's open runs that would move to BUILD. Only live runs: the committed
# fixtures may be newer than BUILD.
rollback_gate() {
  local w=$1 b=$2 current=$3 force=$4; shift 4
  if [ "$force" = 1 ]; then say "$w: --force: no replay gate for $b"; return; fi
  say "$w: replay gate for $b (the open runs that would continue on it)"
  "$@" gate --build-id "$b" \
    || die "$w: $b cannot continue open runs that move to whichever build is current (above); $current stays current and $b takes no new runs. Roll forward with a fixed build, or pass --force to roll back anyway (those runs then fail their workflow tasks until a build that replays them is current)"
}

rollback() { # WORKER TO K8S FORCE
  local w=$1 prev=$2 k8s=$3 force=$4 current
  current=$(current_build "$w")
  [ -n "$current" ] || die "$w: no build is current; nothing to roll back"
  claim_routing "$w"
  [ -n "$prev" ] || prev=$(previous_build "$w" "$current")
  [ -n "$prev" ] || die "$w: no build was current before $current; name one with --to BUILD"
  [ "$prev" != "$current" ] || die "$w: $prev is already current"
  if [ "$k8s" = 1 ]; then
    kubectl -n "$K8S_NS" get "deployment/$w-$prev" >/dev/null \
      || die "$w: Deployment $w-$prev is gone; re-apply it with scripts/rollout.sh start $w --k8s --build-id $prev --image ITS_IMAGE"
    kubectl -n "$K8S_NS" rollout status "deployment/$w-$prev" --timeout=10m || die "$w: $w-$prev is not ready"
    rollback_gate "$w" "$prev" "$current" "$force" kubectl -n "$K8S_NS" exec "deployment/$w-$prev" -- "/usr/local/bin/$w"
    set_current "$w" "$prev"
    return
  fi
  [ -x "$(worker_bin "$w" "$prev")" ] || die "$w: the binary of $prev is gone ($(worker_bin "$w" "$prev")); check out that commit and run scripts/rollout.sh start $w --build-id $prev"
  say "$w: rolling back from $current to $prev"
  start_build "$w" "$prev"
  wait_polling "$w" "$prev"
  rollback_gate "$w" "$prev" "$current" "$force" "$(worker_bin "$w" "$prev")"
  set_current "$w" "$prev"
  say "$w: $current keeps the runs pinned to it; drain it with scripts/rollout.sh drain $w $current"
}

status_one() { # WORKER
  local w=$1 json b http state
  json=$(deployment_json "$w")
  printf '%s (deployment %s)\n' "$w" "$(deployment_of "$w")"
  if [ -z "$json" ]; then
    printf '  no version has polled yet\n'
  else
    jq -r '"  current  \(.routingConfig.currentVersionBuildID // "" | if . == "" then "none" else . end)",
      (if (.routingConfig.rampingVersionBuildID // "") != "" then "  ramping  \(.routingConfig.rampingVersionBuildID) at \(.routingConfig.rampingVersionPercentage)%" else empty end),
      (.versionSummaries[] | "  version  \(.BuildID)  drainage \(.drainageStatus)  created \(.createTime)")' <<<"$json"
  fi
  for b in $(running_builds "$w"); do
    http=$(build_http "$w" "$b"); state=starting
    curl -fsS "http://$http/readyz" >/dev/null 2>&1 && state=polling
    printf '  process  %s  pid %s  %s  http://%s\n' "$b" "$(cat "$(worker_dir "$w")/$b.pid")" "$state" "$http"
  done
}

# --- Kubernetes: one Deployment per build, rendered from deploy/kubernetes/workers/WORKER.
K8S_NS=${MATIH_K8S_NAMESPACE:-matih-workers}

# kustomize accepts only paths relative to the kustomization.
k8s_overlay() { # WORKER BUILD IMAGE -> prints the folder of a generated kustomization
  local dir; dir=$(mktemp -d)
  cat >"$dir/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [$(realpath --relative-to "$dir" "$ROOT/deploy/kubernetes/workers/$1")]
nameSuffix: -$2
labels: [{pairs: {matih.io/build-id: "$2"}, includeSelectors: true, includeTemplates: true}]
images: [{name: matih/ops, newName: "${3%:*}", newTag: "${3##*:}"}]
YAML
  echo "$dir"
}

start_k8s() { # WORKER BUILD IMAGE
  local w=$1 b=$2 image=$3 dir
  command -v kubectl >/dev/null || die "kubectl not found"
  [ -n "$image" ] || die "--k8s needs --image IMAGE:TAG"
  dir=$(k8s_overlay "$w" "$b" "$image")
  say "$w: applying Deployment $w-$b ($image)"
  kubectl apply -n "$K8S_NS" -k "$dir"
  kubectl -n "$K8S_NS" rollout status "deployment/$w-$b" --timeout=10m || die "$w: $w-$b did not become ready; nothing was made current"
  say "$w: replay gate inside a pod of $b"
  local fixtures=() f
  for f in ${WORKER_FIXTURES[$w]}; do fixtures+=("/usr/share/matih/replay/$f"); done
  kubectl -n "$K8S_NS" exec "deployment/$w-$b" -- "/usr/local/bin/$w" replay "${fixtures[@]}" \
    && kubectl -n "$K8S_NS" exec "deployment/$w-$b" -- "/usr/local/bin/$w" gate --build-id "$b" \
    || die "$w: $b failed the replay gate; it takes no traffic (delete it with: kubectl -n $K8S_NS delete -k $dir)"
  claim_routing "$w"
  set_current "$w" "$b"
}

drain_k8s() { # WORKER BUILD
  local w=$1 b=$2
  [ "$(current_build "$w")" != "$b" ] || die "$w: $b is current; roll out another build first"
  [ "$(drainage "$w" "$b")" = drained ] || die "$w: $b is not drained yet ($(drainage "$w" "$b")); re-run later"
  # The same overlay names every object of the build (Deployment, HPA, budget).
  kubectl -n "$K8S_NS" delete -k "$(k8s_overlay "$w" "$b" matih/ops:any)"
}

main() {
  local cmd=${1:-} w="" b="" pct="" watch=60 timeout=600 k8s=0 image="" to="" force=0 args=()
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ]; do
    case $1 in
      --build-id) b=${2:?--build-id needs a value}; shift ;;
      --ramp) pct=${2:?--ramp needs a percentage}; shift
        [[ $pct =~ ^[0-9]+$ ]] && [ "$pct" -ge 1 ] && [ "$pct" -le 99 ] || die "--ramp: expected a percentage from 1 to 99, got '$pct'" ;;
      --watch) watch=$(duration_s "${2:?--watch needs a duration}"); shift ;;
      --timeout) timeout=$(duration_s "${2:?--timeout needs a duration}"); shift ;;
      --to) to=${2:?--to needs a build ID}; shift ;;
      --k8s) k8s=1 ;;
      --force) force=1 ;;
      --image) image=${2:?--image needs IMAGE:TAG}; shift ;;
      -h|--help) usage; exit 0 ;;
      -*) die "unknown option '$1' (see scripts/rollout.sh --help)" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  ensure_temporal_cli; ensure_deb jq jq
  case $cmd in
    start)
      [ ${#args[@]} -eq 1 ] || die "usage: scripts/rollout.sh start WORKER [--build-id ID] [--ramp PCT]"
      w=${args[0]}; known_worker "$w"; b=${b:-$(default_build_id)}; check_build_id "$b"
      if [ $k8s = 1 ]; then start_k8s "$w" "$b" "$image"; else start_local "$w" "$b" "$pct" "$watch"; fi ;;
    drain)
      [ ${#args[@]} -eq 2 ] || die "usage: scripts/rollout.sh drain WORKER BUILD"
      w=${args[0]}; b=${args[1]}; known_worker "$w"; check_build_id "$b"
      if [ $k8s = 1 ]; then drain_k8s "$w" "$b"; else drain_local "$w" "$b" "$timeout"; fi ;;
    rollback)
      [ ${#args[@]} -eq 1 ] || die "usage: scripts/rollout.sh rollback WORKER [--to BUILD] [--force]"
      w=${args[0]}; known_worker "$w"; [ -z "$to" ] || check_build_id "$to"
      rollback "$w" "$to" "$k8s" "$force" ;;
    status)
      [ ${#args[@]} -gt 0 ] || args=("${WORKER_NAMES[@]}")
      for w in "${args[@]}"; do known_worker "$w"; status_one "$w"; done ;;
    -h|--help|help|"") usage ;;
    *) say "unknown command '$cmd'"; usage; exit 2 ;;
  esac
}

main "$@"
