#!/usr/bin/env bash
# Generates the test control plane's PKI into DIR with openssl:
#   ca.crt/ca.key                  a CA that lives for this run only
#   apiserver.crt/apiserver.key    the API server's serving certificate, for
#                                  127.0.0.1, localhost and the in-cluster names
#   service-account.key/.pub       the ServiceAccount token signing key pair
#
#   tests/kube/pki.sh DIR
set -euo pipefail

dir="${1:?usage: pki.sh DIR}"
mkdir -p "$dir"
cd "$dir"
umask 077

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 15)"; }

new_key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=friend-portal-test-ca" -days 7 \
	-set_serial "$(serial)" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out ca.crt

new_key apiserver.key
openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr
cat >apiserver.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -set_serial "$(serial)" \
	-days 7 -extfile apiserver.ext -out apiserver.crt 2>/dev/null
rm -f apiserver.csr apiserver.ext

new_key service-account.key
openssl pkey -in service-account.key -pubout -out service-account.pub

# Certificates are public; the CA file is read by clients.
chmod 644 ca.crt apiserver.crt service-account.pub
echo "$dir"
