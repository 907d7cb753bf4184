# Shared helpers for the scripts in this folder. Source it; do not run it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/bin"
DATA="$ROOT/.data"
TEMPORAL_CLI_VERSION="v1.5.1"   # Temporal CLI with Server 1.29.1
TEMPORAL="$BIN/temporal"
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
