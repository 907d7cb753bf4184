# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck disable=SC2034 # the variables are for the scripts that source this file
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/bin"
DATA="${MATIH_DEV_DATA:-$ROOT/.data}"  # the local stack's state; MATIH_DEV_DATA runs a second, separate stack
TEMPORAL_CLI_VERSION="v1.5.1"   # Temporal CLI with Server 1.29.1
TEMPORAL="$BIN/temporal"
# The production server: 1.30.9, the patched release of the 1.30 line. 1.29.1 (the
# CLI's dev server) is reported with pgx CVE-2026-33815/33816 and grpc CVE-2026-33186,
# an authorization bypass. Its module declares go 1.26.10, so its tools build with the
# toolchain below; the project's own modules stay on the machine's Go.
TEMPORAL_SERVER_VERSION="v1.30.9"
TEMPORAL_SERVER_TOOLCHAIN="go1.27.3"
TEMPORAL_SERVER="$BIN/temporal-server"
TEMPORAL_SQL_TOOL="$BIN/temporal-sql-tool"
export PATH="/usr/local/go/bin:$PATH"

say()  { printf '%s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_temporal_cli installs the pinned Temporal CLI into ./bin when it is missing.
ensure_temporal_cli() { go_install_bin "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" "$TEMPORAL"; }

# usage_of prints a script's header comment (the lines after the shebang that start with #).
usage_of() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"; }

# go_install_bin PACKAGE@VERSION DEST [EXPECT [TOOLCHAIN]] installs one Go command as
# DEST, outside any module (go.work plays no part), when DEST is missing, or when
# EXPECT is given and `DEST --version` does not print it (an older pin). TOOLCHAIN
# is the Go toolchain to build with [local].
go_install_bin() {
  local pkg=$1 dest=$2 expect=${3:-} toolchain=${4:-local} tmp
  if [ -x "$dest" ]; then
    [ -z "$expect" ] && return 0
    "$dest" --version 2>/dev/null | grep -qF "$expect" && return 0
    say "$dest is not $expect: replacing it"
  fi
  command -v go >/dev/null 2>&1 || die "Go is not installed (expected go on PATH)"
  say "installing $pkg into $(dirname "$dest") (takes a few minutes the first time)"
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN="$toolchain" go install "$pkg" || { rm -rf "$tmp"; die "could not install $pkg with go install"; }
  mv "$tmp/$(basename "${pkg%@*}")" "$dest"; rm -rf "$tmp"
}

# ensure_temporal_server installs the pinned Temporal server into ./bin when missing.
ensure_temporal_server() {
  go_install_bin "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" "$TEMPORAL_SERVER" \
    "version ${TEMPORAL_SERVER_VERSION#v}" "$TEMPORAL_SERVER_TOOLCHAIN"
}

# ensure_temporal_sql_tool installs the server release's schema tool into ./bin when
# missing, pinned to the server's version so its schemas match the server.
ensure_temporal_sql_tool() {
  go_install_bin "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" "$TEMPORAL_SQL_TOOL" \
    "version ${TEMPORAL_SERVER_VERSION#v}" "$TEMPORAL_SERVER_TOOLCHAIN"
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

# record_in_docs FILE ANCHOR HEADING BODY_FILE puts HEADING and the contents of
# BODY_FILE into the docs page FILE, newest first: right after the line ANCHOR, or,
# with ANCHOR empty, before the page's first "## " heading.
record_in_docs() {
  local file=$1 anchor=$2 heading=$3 body=$4 tmp
  [ -f "$file" ] || die "record: $file is missing"
  tmp=$(mktemp)
  awk -v anchor="$anchor" -v heading="$heading" -v body="$body" '
    function put() { print heading; print ""; while ((getline l < body) > 0) print l; close(body); done = 1 }
    !done && anchor == "" && /^## / { put(); print "" }
    { print }
    !done && anchor != "" && $0 == anchor { print ""; put() }
  ' "$file" >"$tmp" && mv "$tmp" "$file"
  say "recorded in $file: $heading"
}
