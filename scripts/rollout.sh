#!/usr/bin/env bash
# Rolls workers to a new build one at a time, without dropping work: the new process
# starts beside the old one and must be polling (/readyz) before the old one gets
# SIGTERM and drains its running activities (--stop-timeout). If the new process does
# not become ready, it is stopped and the old one keeps running.
#
#   scripts/rollout.sh local [worker ...]   the scripts/dev.sh stack (default: all three)
#   scripts/rollout.sh k8s IMAGE            Kubernetes: set the image, wait for each
#                                           Deployment, undo the one that fails
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PIDS="$DATA/pids"
LOGS="$DATA/logs"
ALL=(worker-pipeline worker-infra worker-notify)
declare -A HTTP=([worker-pipeline]=9101 [worker-infra]=9102 [worker-notify]=9103)
declare -A PKG=([worker-pipeline]=./worker-pipeline/cmd/worker-pipeline [worker-infra]=./worker-infra/cmd/worker-infra [worker-notify]=./worker-notify/cmd/worker-notify)

usage() { usage_of "$0"; }

ready() { curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

current_port() { # the port the running instance listens on
  if [ -f "$PIDS/$1.http" ]; then cat "$PIDS/$1.http"; else echo "${HTTP[$1]}"; fi
}

roll_local_one() {
  local name=$1 old_pid old_port new_port new_pid
  [ -n "${PKG[$name]:-}" ] || die "unknown worker '$name' (expected one of ${ALL[*]})"
  [ -f "$PIDS/$name.pid" ] && kill -0 "$(cat "$PIDS/$name.pid")" 2>/dev/null || die "$name is not running; start the stack with scripts/dev.sh"
  old_pid=$(cat "$PIDS/$name.pid"); old_port=$(current_port "$name")
  # Alternate between the base port and base+100, so old and new never collide.
  if [ "$old_port" = "${HTTP[$name]}" ]; then new_port=$((old_port + 100)); else new_port=${HTTP[$name]}; fi
  say "$name: building"
  go build -o "$BIN/$name.next" "${PKG[$name]}"
  mv -f "$BIN/$name.next" "$BIN/$name"
  say "$name: starting the new process on :$new_port beside pid $old_pid"
  TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:${MATIH_DEV_PORT:-7233}}" TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-matih-pipelines}" \
    MATIH_HTTP_ADDR="127.0.0.1:$new_port" nohup "$BIN/$name" >>"$LOGS/$name.log" 2>&1 &
  new_pid=$!
  for _ in $(seq 1 60); do
    ready "$new_port" && break
    if ! kill -0 "$new_pid" 2>/dev/null; then die "$name: the new process exited before it was ready (log $LOGS/$name.log); pid $old_pid keeps running"; fi
    sleep 0.5
  done
  if ! ready "$new_port"; then
    kill -TERM "$new_pid" 2>/dev/null || true
    die "$name: the new process was not ready within 30s; stopped it, pid $old_pid keeps running"
  fi
  echo "$new_pid" >"$PIDS/$name.pid"; echo "$new_port" >"$PIDS/$name.http"
  say "$name: new pid $new_pid is polling; draining old pid $old_pid"
  kill -TERM "$old_pid" 2>/dev/null || true
  for _ in $(seq 1 90); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$old_pid" 2>/dev/null; then say "$name: old pid $old_pid did not drain in 45s; killing it"; kill -KILL "$old_pid"; fi
  say "$name: rolled (pid $new_pid, http :$new_port)"
}

roll_k8s() {
  local image=${1:?usage: scripts/rollout.sh k8s IMAGE} name
  command -v kubectl >/dev/null || die "kubectl not found"
  for name in "${ALL[@]}"; do
    say "$name: image $image"
    kubectl -n matih-workers set image "deployment/$name" "worker=$image"
    if ! kubectl -n matih-workers rollout status "deployment/$name" --timeout=10m; then
      say "$name: rollout failed; undoing"
      kubectl -n matih-workers rollout undo "deployment/$name"
      kubectl -n matih-workers rollout status "deployment/$name" --timeout=10m || true
      die "$name: rolled back; later workers were not touched"
    fi
  done
  say "all workers on $image"
}

case "${1:-}" in
  local)
    shift
    names=("$@"); [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
    for n in "${names[@]}"; do roll_local_one "$n"; done ;;
  k8s) shift; roll_k8s "$@" ;;
  -h|--help|help|"") usage ;;
  *) say "unknown target '$1'"; usage; exit 2 ;;
esac
