#!/usr/bin/env bash
# One-time setup of a MATIH Temporal cluster: database schemas, the namespace and
# its custom search attributes. Safe to run again: what exists is kept, anything
# else that fails stops the script with its error.
#
# Needs temporal-sql-tool (go install go.temporal.io/server/cmd/tools/sql@v1.29.1),
# the temporal CLI, the TEMPORAL_DB_* variables the server uses (see
# temporal-secrets.example.env) and SCHEMA_DIR, the server release's
# schema/postgresql/v12 folder. The password reaches the SQL tool through its
# SQL_PASSWORD variable, never the command line, where `ps` would show it.
set -euo pipefail
: "${TEMPORAL_DB_HOST:?set TEMPORAL_DB_HOST}" "${TEMPORAL_DB_USER:?set TEMPORAL_DB_USER}" "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD}"
: "${SCHEMA_DIR:?set SCHEMA_DIR to the server release schema/postgresql/v12 folder}"
ADDRESS=${TEMPORAL_ADDRESS:-temporal-frontend:7233}
NAMESPACE=${NAMESPACE:-matih-pipelines}
RETENTION=${RETENTION:-30d}

export SQL_PASSWORD=$TEMPORAL_DB_PASSWORD
sqltool() { temporal-sql-tool --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p "${TEMPORAL_DB_PORT:-5432}" -u "$TEMPORAL_DB_USER" "$@"; }

# tolerate_exists runs a command and succeeds when it fails only because what it
# creates is already there; any other failure is printed and stops the script.
tolerate_exists() {
  local out
  if out=$("$@" 2>&1); then printf '%s\n' "$out"; return 0; fi
  if grep -qiE 'already exists|already registered|AlreadyExists' <<<"$out"; then
    echo "exists already: $*" | sed "s/$TEMPORAL_DB_PASSWORD/***/g"; return 0
  fi
  printf '%s\n' "$out" >&2
  return 1
}

tolerate_exists sqltool --db temporal create-database
tolerate_exists sqltool --db temporal setup-schema -v 0.0
sqltool --db temporal update-schema -d "$SCHEMA_DIR/temporal/versioned"

tolerate_exists temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
for sa in PipelineId=Keyword PipelinePhase=Keyword Progress=Double QualityScore=Double; do
  tolerate_exists temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" --name "${sa%=*}" --type "${sa#*=}"
done
echo "namespace $NAMESPACE ready at $ADDRESS"
