#!/usr/bin/env bash
# One-time setup of a MATIH Temporal cluster: database schemas, the namespace and
# its custom search attributes. Needs temporal-sql-tool (go install
# go.temporal.io/server/cmd/tools/sql@v1.29.1) and the temporal CLI, and the
# TEMPORAL_DB_* variables the server uses.
set -euo pipefail
: "${TEMPORAL_DB_HOST:?set TEMPORAL_DB_HOST}" "${TEMPORAL_DB_USER:?set TEMPORAL_DB_USER}" "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD}"
ADDRESS=${TEMPORAL_ADDRESS:-temporal-frontend:7233}
NAMESPACE=${NAMESPACE:-matih-pipelines}
SCHEMA_DIR=${SCHEMA_DIR:?set SCHEMA_DIR to the server release schema/postgresql/v12 folder}

sqltool() { temporal-sql-tool --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p 5432 -u "$TEMPORAL_DB_USER" --pw "$TEMPORAL_DB_PASSWORD" "$@"; }
sqltool --db temporal create-database || true
sqltool --db temporal setup-schema -v 0.0
sqltool --db temporal update-schema -d "$SCHEMA_DIR/temporal/versioned"

temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention 30d || true
for sa in PipelineId=Keyword PipelinePhase=Keyword Progress=Double QualityScore=Double; do
  temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" --name "${sa%=*}" --type "${sa#*=}" || true
done
echo "namespace $NAMESPACE ready at $ADDRESS"
