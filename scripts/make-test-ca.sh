#!/usr/bin/env bash
# A throw-away certificate authority and a server certificate it signed, for the TLS tests
# (server/test/auth/tls.test.ts, exporter/tests/report/test_tls.py, tests/e2e/test_auth.py), made
# with the openssl command.
#   make-test-ca.sh <folder> [name]
# writes <folder>/<name>-ca.crt, <name>.crt and <name>.key (name defaults to "lens") for
# localhost and 127.0.0.1, valid for two days. The extensions satisfy strict verifiers
# (Python 3.13's VERIFY_X509_STRICT): a critical CA basic constraint, key usages, key ids.
set -euo pipefail
dir="$1"
name="${2:-lens}"
mkdir -p "$dir"
cd "$dir"
cat > "$name-ca.cnf" <<CNF
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=Primus Lens test CA $name" -config "$name-ca.cnf" -extensions ca \
  -keyout "$name-ca.key" -out "$name-ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -config "$name-ca.cnf" -keyout "$name.key" -out "$name.csr" 2>/dev/null
openssl x509 -req -in "$name.csr" -CA "$name-ca.crt" -CAkey "$name-ca.key" -CAcreateserial -days 2 \
  -extfile "$name-ca.cnf" -extensions leaf -out "$name.crt" 2>/dev/null
rm -f "$name.csr" "$name-ca.srl"
