#!/usr/bin/env bash
# One-time setup of a MATIH Temporal cluster: database schemas, the namespace and
# its custom search attributes. Safe to run again: what exists is kept, anything
# else that fails stops the script with its error.
#
#   setup.sh [all]       schemas, then namespace and search attributes
#   setup.sh schema      only the schemas (before the server's first start)
#   setup.sh namespace   only the namespace and search attributes (the server answers)
#
# Needs temporal-sql-tool (go install go.temporal.io/server/cmd/tools/sql@v1.29.1),
# the temporal CLI, the TEMPORAL_DB_* variables the server uses (see
# temporal-secrets.example.env) and SCHEMA_DIR, the server release's
# schema/postgresql/v12 folder. The password reaches the SQL tool through its
# SQL_PASSWORD variable, never the command line, where `ps` would show it.
#
# The variables production.yaml reads with defaults are read here the same way:
# TEMPORAL_DB_PORT (5432), TEMPORAL_DB_NAME (temporal), TEMPORAL_DB_TLS (true: the
# tool connects with TLS and verifies the host, as the server does) and
# TEMPORAL_VISIBILITY_STORE: with `postgres`, the visibility database
# TEMPORAL_VISIBILITY_DB_NAME (temporal_visibility) gets its schema too. With
# Elasticsearch (the default), es-index.sh beside this script puts the visibility
# index template and creates the index (TEMPORAL_ES_* variables, see its header).
set -euo pipefail
PHASE=${1:-all}
case $PHASE in all|schema|namespace) ;; *) echo "unknown phase '$PHASE' (expected all, schema or namespace)" >&2; exit 2;; esac
ADDRESS=${TEMPORAL_ADDRESS:-temporal-frontend:7233}
NAMESPACE=${NAMESPACE:-matih-pipelines}
RETENTION=${RETENTION:-30d}

# tolerate_exists runs a command and succeeds when it fails only because what it
# creates is already there; any other failure is printed and stops the script.
tolerate_exists() {
  local out
  if out=$("$@" 2>&1); then printf '%s\n' "$out"; return 0; fi
  if grep -qiE 'already exists|already registered|AlreadyExists' <<<"$out"; then
    echo "exists already: $*"; return 0
  fi
  printf '%s\n' "$out" >&2
  return 1
}

sqltool() { temporal-sql-tool --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p "${TEMPORAL_DB_PORT:-5432}" -u "$TEMPORAL_DB_USER" "$@"; }

# schema DB FOLDER: the database, its versioning tables, then every versioned step
# not applied yet (setup-schema keeps a version already past 0.0).
schema() {
  tolerate_exists sqltool --db "$1" create-database
  tolerate_exists sqltool --db "$1" setup-schema -v 0.0
  sqltool --db "$1" update-schema -d "$SCHEMA_DIR/$2/versioned"
}

setup_schemas() {
  : "${TEMPORAL_DB_HOST:?set TEMPORAL_DB_HOST}" "${TEMPORAL_DB_USER:?set TEMPORAL_DB_USER}" "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD}"
  : "${SCHEMA_DIR:?set SCHEMA_DIR to the server release schema/postgresql/v12 folder}"
  export SQL_PASSWORD=$TEMPORAL_DB_PASSWORD
  # The SQL tool reads its TLS switch from SQL_TLS, like the password from the environment.
  if [ "${TEMPORAL_DB_TLS:-true}" = true ]; then export SQL_TLS=true; else unset SQL_TLS; fi
  schema "${TEMPORAL_DB_NAME:-temporal}" temporal
  case ${TEMPORAL_VISIBILITY_STORE:-elasticsearch} in
    postgres) schema "${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}" visibility ;;
    elasticsearch) "$(dirname "${BASH_SOURCE[0]}")/es-index.sh" ;;
    *) echo "TEMPORAL_VISIBILITY_STORE is '$TEMPORAL_VISIBILITY_STORE': expected elasticsearch or postgres" >&2; return 1 ;;
  esac
}

setup_namespace() {
  tolerate_exists temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
  local sa
  for sa in PipelineId=Keyword PipelinePhase=Keyword Progress=Double QualityScore=Double; do
    tolerate_exists temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" --name "${sa%=*}" --type "${sa#*=}"
  done
  echo "namespace $NAMESPACE ready at $ADDRESS"
}

case $PHASE in schema|all) setup_schemas ;; esac
case $PHASE in namespace|all) setup_namespace ;; esac
