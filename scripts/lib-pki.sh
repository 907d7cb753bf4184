# shellcheck shell=bash
# The secure Temporal server's credentials on one machine, made once per server
# state folder and kept: a throwaway CA and the certificates it signs (openssl,
# ECDSA P-256), the token signing key, and one token per role (`matih auth`).
# Source it after lib.sh; the caller sets PKI, AUTH_DIR, CREDS and MATIH_AUTH_BIN.
#
#   $PKI/ca.pem                  the CA every side trusts (its key ca.key never leaves)
#   $PKI/frontend.{pem,key}      the frontend, named temporal-frontend, localhost, 127.0.0.1
#   $PKI/internode.{pem,key}     the services to each other, named temporal-internode
#   $PKI/CLIENT.{pem,key}        one per client: each worker, console, serve, operator
#   $AUTH_DIR/signing-*.pem      the token signing key (see shared/clusterauth)
#   $CREDS/ROLE.token            a token per role: worker, reader, writer, admin
# shellcheck disable=SC2034 # the lists are for the scripts that source this file

PKI_CLIENTS=(worker-pipeline worker-infra worker-notify console serve operator)
TOKEN_TTL=${MATIH_TEMPORAL_TOKEN_TTL:-720h}

# pki_cert NAME SAN USAGE: a key and a certificate signed by the CA, valid a year.
pki_cert() {
  local name=$1 san=$2 usage=$3
  [ -s "$PKI/$name.pem" ] && return 0
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=MATIH/CN=$name" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null || die "openssl: could not make the key of $name"
  chmod 600 "$PKI/$name.key"
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\nkeyUsage=digitalSignature\nbasicConstraints=CA:FALSE\n' "$san" "$usage" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.pem" 2>/dev/null || die "openssl: could not sign the certificate of $name"
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# ensure_pki makes the CA and every certificate that is missing.
ensure_pki() {
  command -v openssl >/dev/null 2>&1 || ensure_deb openssl openssl
  mkdir -p "$PKI"; chmod 700 "$PKI"
  if [ ! -s "$PKI/ca.pem" ]; then
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -sha256 \
      -subj "/O=MATIH/CN=matih-temporal-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$PKI/ca.key" -out "$PKI/ca.pem" 2>/dev/null || die "openssl: could not make the CA"
    chmod 600 "$PKI/ca.key"
  fi
  pki_cert frontend "DNS:temporal-frontend,DNS:localhost,IP:127.0.0.1" serverAuth
  pki_cert internode "DNS:temporal-internode,IP:127.0.0.1" "serverAuth,clientAuth"
  local c
  for c in "${PKI_CLIENTS[@]}"; do pki_cert "$c" "DNS:$c" clientAuth; done
}

# ensure_auth_bin builds matih (its `auth` commands) when MATIH_AUTH_BIN is missing.
ensure_auth_bin() {
  [ -x "$MATIH_AUTH_BIN" ] && return 0
  say "building matih for its auth commands into $MATIH_AUTH_BIN"
  (cd "$ROOT" && go build -o "$MATIH_AUTH_BIN" ./tui/cmd/matih) || die "could not build ./tui/cmd/matih"
}

# ensure_tokens makes the signing key once and issues a fresh token per role.
ensure_tokens() {
  ensure_auth_bin
  mkdir -p "$CREDS"; chmod 700 "$CREDS"
  compgen -G "$AUTH_DIR/signing-*.pem" >/dev/null || "$MATIH_AUTH_BIN" auth new-key --dir "$AUTH_DIR" >/dev/null
  local role
  for role in worker reader writer admin; do
    ( umask 077; "$MATIH_AUTH_BIN" auth token --dir "$AUTH_DIR" --role "$role" --sub "dev-$role" --ttl "$TOKEN_TTL" >"$CREDS/$role.token" ) \
      || die "could not issue the $role token"
  done
}

# client_env ROLE CERT prints the TEMPORAL_* lines with which a client reaches the
# secure server as ROLE, presenting the certificate CERT.
client_env() {
  printf 'TEMPORAL_TLS=true\n'
  printf 'TEMPORAL_TLS_SERVER_CA_CERT_PATH=%q\n' "$PKI/ca.pem"
  printf 'TEMPORAL_TLS_SERVER_NAME=temporal-frontend\n'
  printf 'TEMPORAL_TLS_CLIENT_CERT_PATH=%q\n' "$PKI/$2.pem"
  printf 'TEMPORAL_TLS_CLIENT_KEY_PATH=%q\n' "$PKI/$2.key"
  printf 'TEMPORAL_API_KEY=%q\n' "$(cat "$CREDS/$1.token")"
}
