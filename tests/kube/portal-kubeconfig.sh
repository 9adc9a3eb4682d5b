#!/usr/bin/env bash
# Gives a running test control plane the portal's identity, as a cluster operator
# would: applies deploy/'s namespace, RBAC and admission policy and the store's CRDs, asks the
# TokenRequest API for a token of the portal's ServiceAccount, and writes a
# kubeconfig holding only that token and the CA. Prints the kubeconfig's path.
#
#   tests/kube/portal-kubeconfig.sh STATE_DIR   # STATE_DIR of a ready tests/kube/up.sh
#
# The real-cluster tests and the benchmark's kube mode both start the portal
# with KUBECONFIG set to what this prints (STATE_DIR/portal.kubeconfig).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state="${1:?usage: portal-kubeconfig.sh STATE_DIR}"
# shellcheck disable=SC1091
source "$state/cluster.env"
export KUBECONFIG
k() { "$KUBECTL" --request-timeout=30s "$@"; }

for file in namespace.yaml rbac.yaml admission-policy.yaml; do
	k apply -f "$repo/deploy/$file" >/dev/null
done
# The store's custom resources (`--store kube`), usable once Established.
store_crds="$repo/deploy/crds/store.friendportal.io.yaml"
k apply --server-side -f "$store_crds" >/dev/null
k wait --for=condition=Established --timeout=60s -f "$store_crds" >/dev/null
# The names deploy/rbac.yaml gives the portal's identity.
token="$(k create token friend-portal -n friendportal --duration=1h)"

out="$state/portal.kubeconfig"
umask 077
cat >"$out" <<CONFIG
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: $KUBE_API_URL
      certificate-authority: $KUBE_CA_FILE
users:
  - name: friend-portal
    user:
      token: $token
contexts:
  - name: friend-portal
    context:
      cluster: test
      user: friend-portal
current-context: friend-portal
CONFIG
echo "$out"
