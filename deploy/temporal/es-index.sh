#!/usr/bin/env bash
# Sets up Elasticsearch for production.yaml's visibility store, the way Temporal
# Server 1.29 documents it: wait for the cluster, put the visibility index template
# (the server release's schema/elasticsearch/visibility/index_template_v7.json,
# which serves Elasticsearch 7 and 8), then create the index. Run it before the
# server's first start; setup.sh runs it in its schema phase when visibility is
# Elasticsearch. Safe to run again: the template is put again with the same
# content, an existing index is kept with its documents.
#
#   deploy/temporal/es-index.sh
#
# Reads the variables the server's pods get (temporal-secrets.example.env):
# TEMPORAL_ES_HOST, TEMPORAL_ES_USER, TEMPORAL_ES_PASSWORD; TEMPORAL_ES_URL
# (default https://TEMPORAL_ES_HOST:9200), TEMPORAL_ES_INDEX (default
# temporal_visibility_v1_matih, production.yaml's), and ES_SCHEMA_DIR, the
# release's schema/elasticsearch/visibility folder (default: beside SCHEMA_DIR,
# the schema/postgresql/v12 folder setup.sh takes). The password reaches curl on
# its standard input, never the command line, where `ps` would show it.
set -euo pipefail
: "${TEMPORAL_ES_USER:?set TEMPORAL_ES_USER}" "${TEMPORAL_ES_PASSWORD:?set TEMPORAL_ES_PASSWORD}"
if [ -z "${TEMPORAL_ES_URL:-}" ]; then
  : "${TEMPORAL_ES_HOST:?set TEMPORAL_ES_HOST (or TEMPORAL_ES_URL)}"
  TEMPORAL_ES_URL="https://$TEMPORAL_ES_HOST:9200"
fi
URL=${TEMPORAL_ES_URL%/}
INDEX=${TEMPORAL_ES_INDEX:-temporal_visibility_v1_matih}
if [ -z "${ES_SCHEMA_DIR:-}" ]; then
  : "${SCHEMA_DIR:?set ES_SCHEMA_DIR to the server release schema/elasticsearch/visibility folder (or SCHEMA_DIR)}"
  ES_SCHEMA_DIR="$SCHEMA_DIR/../../elasticsearch/visibility"
fi
TEMPLATE="$ES_SCHEMA_DIR/index_template_v7.json"
[ -f "$TEMPLATE" ] || { echo "no index template at $TEMPLATE (ES_SCHEMA_DIR)" >&2; exit 1; }

body=$(mktemp)
trap 'rm -f "$body"' EXIT

# es METHOD PATH [curl args]: prints the HTTP status; the response body is in $body.
es() {
  local method=(-X "$1") path=$2 user=$TEMPORAL_ES_USER:$TEMPORAL_ES_PASSWORD
  [ "$1" = HEAD ] && method=(-I) # a HEAD answer has no body to wait for
  shift 2
  user=${user//\\/\\\\}; user=${user//\"/\\\"}
  printf 'user = "%s"\n' "$user" \
    | curl -sS -K - -o "$body" -w '%{http_code}' "${method[@]}" "$URL$path" "$@" || true
}

fail() { # MESSAGE: prints it with the last response, and stops
  echo "$1" >&2
  [ -s "$body" ] && cat "$body" >&2 && echo >&2
  exit 1
}

echo "waiting for Elasticsearch at $URL"
for attempt in $(seq 1 30); do
  status=$(es GET "/_cluster/health?wait_for_status=yellow&timeout=5s")
  case $status in
    200) break ;;
    401|403) fail "Elasticsearch refused user $TEMPORAL_ES_USER ($status)" ;;
  esac
  [ "$attempt" -lt 30 ] || fail "Elasticsearch at $URL is not up (last status $status)"
  sleep 2
done

status=$(es PUT /_template/temporal_visibility_v1_template -H 'Content-Type: application/json' --data-binary "@$TEMPLATE")
[ "$status" = 200 ] || fail "putting the index template failed ($status)"
echo "index template temporal_visibility_v1_template put"

status=$(es HEAD "/$INDEX")
case $status in
  200) echo "index $INDEX exists already: kept" ;;
  404)
    status=$(es PUT "/$INDEX")
    if [ "$status" = 200 ]; then
      echo "index $INDEX created"
    elif [ "$status" = 400 ] && grep -q resource_already_exists_exception "$body"; then
      echo "index $INDEX exists already: kept"
    else
      fail "creating index $INDEX failed ($status)"
    fi ;;
  *) fail "checking index $INDEX failed ($status)" ;;
esac
