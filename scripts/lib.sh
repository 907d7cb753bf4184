# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck disable=SC2034 # the variables are for the scripts that source this file
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/bin"
DATA="${MATIH_DEV_DATA:-$ROOT/.data}"  # the local stack's state; MATIH_DEV_DATA runs a second, separate stack
TEMPORAL_CLI_VERSION="v1.5.1"   # Temporal CLI with Server 1.29.1
TEMPORAL="$BIN/temporal"
TEMPORAL_SERVER_VERSION="v1.29.1"  # the server the CLI's dev server embeds, for production-like checks
TEMPORAL_SERVER="$BIN/temporal-server"
export PATH="/usr/local/go/bin:$PATH"

say()  { printf '%s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_temporal_cli installs the pinned Temporal CLI into ./bin when it is missing.
ensure_temporal_cli() {
  if [ -x "$TEMPORAL" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || die "Go is not installed (expected go on PATH)"
  say "installing Temporal CLI $TEMPORAL_CLI_VERSION into $BIN (takes a few minutes the first time)"
  mkdir -p "$BIN"
  GOBIN="$BIN" GOWORK=off GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" \
    || die "could not install the Temporal CLI with go install"
}

# usage_of prints a script's header comment (the lines after the shebang that start with #).
usage_of() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"; }

# ensure_temporal_server installs the pinned Temporal server into ./bin when missing.
ensure_temporal_server() {
  if [ -x "$TEMPORAL_SERVER" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || die "Go is not installed (expected go on PATH)"
  say "installing Temporal server $TEMPORAL_SERVER_VERSION into $BIN (takes a few minutes the first time)"
  mkdir -p "$BIN"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" GOWORK=off GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
    || { rm -rf "$tmp"; die "could not install the Temporal server with go install"; }
  mv "$tmp/server" "$TEMPORAL_SERVER"; rm -rf "$tmp"
}

# ensure_shellcheck installs shellcheck from Debian's packages when it is missing.
ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 && return 0
  say "installing shellcheck (Debian package)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y -q shellcheck >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q shellcheck >/dev/null 2>&1; } \
    || die "could not install shellcheck (apt-get install shellcheck)"
}

# ensure_deb CMD PACKAGE installs a Debian package when CMD is missing.
ensure_deb() {
  command -v "$1" >/dev/null 2>&1 && return 0
  say "installing $2 (Debian package)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y -q "$2" >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "$2" >/dev/null 2>&1; } \
    || die "could not install $2 (apt-get install $2)"
}
