#!/usr/bin/env bash
# Applies the install in deploy/ to a running test control plane and checks it is
# admitted under the `restricted` Pod Security level:
#   - deploy/policies.yaml is what deploy/policies-configmap.sh makes of policies/,
#     and the Deployment mounts every namespace/ template;
#   - namespace, RBAC, policies and portal manifests apply without a PodSecurity
#     warning, and the Deployment's pod is admitted and Running (kwok);
#   - the namespace really enforces `restricted`: a root pod is refused there;
#   - a TokenRequest token for the portal's ServiceAccount authenticates, and
#     rbac.yaml's ClusterRole is bound to it.
#
#   tests/kube/install-check.sh STATE_DIR     # STATE_DIR of a ready tests/kube/up.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state="${1:?usage: install-check.sh STATE_DIR}"
# shellcheck disable=SC1091
source "$state/cluster.env"
export KUBECONFIG
k() { "$KUBECTL" --request-timeout=20s "$@"; }
ns=friendportal

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
pass() { echo "ok: $*"; }

# ---- the manifests agree with policies/ ---------------------------------------------

generated="$(mktemp)"
trap 'rm -f "$generated"' EXIT
KUBECTL="$KUBECTL" "$repo/deploy/policies-configmap.sh" "$generated"
diff -u "$repo/deploy/policies.yaml" "$generated" >&2 ||
	fail "deploy/policies.yaml is stale: run deploy/policies-configmap.sh"
for template in "$repo"/policies/namespace/*; do
	grep -qF "path: namespace/$(basename "$template")" "$repo/deploy/portal.yaml" ||
		fail "deploy/portal.yaml does not mount policies/namespace/$(basename "$template")"
done
pass "deploy/policies.yaml matches policies/, and the Deployment mounts every namespace template"

# ---- apply -------------------------------------------------------------------------

# The test cluster has no storage provisioner: a PersistentVolume of its own
# stands in, for the workspace claim (ReadWriteMany) to bind and the pods to be scheduled.
k apply --server-side -f - >/dev/null <<'EOF'
apiVersion: v1
kind: PersistentVolume
metadata:
  name: friend-portal-test-workspace
spec:
  capacity:
    storage: 5Gi
  accessModes: ["ReadWriteMany"]
  hostPath:
    path: /var/lib/friend-portal-test
EOF

warnings="$(
	{
		k apply --server-side -f "$repo/deploy/crds/"
		k apply -f "$repo/deploy/namespace.yaml"
		# README's install: the admin token every replica takes.
		k -n $ns create secret generic friend-portal-admin --from-literal=token="$(openssl rand -hex 32)" \
			--dry-run=client -o yaml | k apply -f -
		k apply -f "$repo/deploy/rbac.yaml"
		k apply -f "$repo/deploy/admission-policy.yaml"
		k apply -f "$repo/deploy/policies.yaml"
		k apply -f "$repo/deploy/portal.yaml"
	} 2>&1 >/dev/null
)" || fail "applying deploy/ failed: $warnings"
if echo "$warnings" | grep -i 'PodSecurity'; then
	fail "the Deployment's pod template would violate restricted"
fi
[[ "$(k get namespace $ns -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" == restricted ]] ||
	fail "namespace $ns does not enforce restricted"
pass "deploy/ applied cleanly to namespace $ns (enforce=restricted), with no PodSecurity warning"

k -n $ns rollout status deployment/friend-portal --timeout=90s >/dev/null ||
	fail "the portal's Deployment did not become available: $(k -n $ns get events -o custom-columns=R:.reason,M:.message --no-headers | tail -5)"
phases="$(k -n $ns get pods -l app.kubernetes.io/name=friend-portal -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | sort | uniq -c | xargs)"
[[ "$phases" == "3 Running" ]] || fail "the portal's pods are: $phases (want 3 Running)"
pass "the portal's 3 pods were admitted under restricted and are Running on the kwok node"

# A rolling restart keeps 3 available throughout (maxUnavailable 0); a PDB guards drains.
[[ "$(k -n $ns get pdb friend-portal -o jsonpath='{.spec.maxUnavailable}')" == 1 ]] ||
	fail "no PodDisruptionBudget of maxUnavailable 1 for the portal"
k -n $ns rollout restart deployment/friend-portal >/dev/null
least=3
started=$SECONDS
until k -n $ns rollout status deployment/friend-portal --timeout=1s >/dev/null 2>&1; do
	available="$(k -n $ns get deployment friend-portal -o jsonpath='{.status.availableReplicas}')"
	if ((${available:-0} < least)); then least=${available:-0}; fi
	((SECONDS - started < 300)) || fail "the rolling restart did not finish in 5 minutes"
	sleep 0.5
done
((least >= 3)) || fail "only $least replicas were available during the rolling restart"
pass "a rolling restart replaced the 3 replicas one at a time, 3 available throughout"

# ---- the level is really enforced ----------------------------------------------------

root_pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"root","namespace":"friendportal"},
"spec":{"containers":[{"name":"c","image":"busybox"}]}}'
if out="$(echo "$root_pod" | k create --dry-run=server -f - 2>&1)"; then
	fail "a pod without the restricted security context was admitted in $ns"
fi
echo "$out" | grep -q 'violates PodSecurity "restricted:latest"' || fail "refused, but not by PodSecurity: $out"
pass "a pod without the restricted security context is refused in $ns"

# ---- the portal's identity -------------------------------------------------------------

token="$(k -n $ns create token friend-portal --duration=10m)"
as_portal() {
	"$KUBECTL" --request-timeout=20s --kubeconfig=/dev/null --server="$KUBE_API_URL" \
		--certificate-authority="$KUBE_CA_FILE" --token="$token" "$@"
}
whoami="$(as_portal auth whoami -o jsonpath='{.status.userInfo.username}')"
[[ "$whoami" == "system:serviceaccount:$ns:friend-portal" ]] || fail "the portal's token is '$whoami'"
# rbac.yaml's binding reaches the ServiceAccount in its new namespace: the portal may
# create friends' namespaces, and nothing grants it the nodes.
[[ "$(as_portal auth can-i create namespaces --all-namespaces)" == yes ]] || fail "the portal may not create namespaces"
[[ "$(as_portal auth can-i delete nodes --all-namespaces || true)" == no ]] || fail "the portal may delete nodes"
pass "a TokenRequest token for the portal is $whoami, bound to its ClusterRole (namespaces yes, nodes no)"

# The store (PORTAL_STORE=kube): its kinds in the portal's own namespace, and nowhere else.
store_env="$(k -n $ns get deployment friend-portal -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="PORTAL_STORE")].value}')"
[[ "$store_env" == kube ]] || fail "deploy/portal.yaml runs the portal with PORTAL_STORE='$store_env', not kube"
for kind in portalfriends portalsessions portaljobs kventries; do
	[[ "$(as_portal auth can-i update "$kind.store.friendportal.io" -n $ns)" == yes ]] ||
		fail "the portal may not update $kind in $ns"
	[[ "$(as_portal auth can-i list "$kind.store.friendportal.io" -n default || true)" == no ]] ||
		fail "the portal may list $kind outside $ns"
done
pass "the portal keeps its state in the cluster (PORTAL_STORE=kube): the store's kinds in $ns only"
[[ "$(as_portal auth can-i update leases.coordination.k8s.io -n $ns)" == yes ]] ||
	fail "the portal may not renew its scheduler lease in $ns"
[[ "$(as_portal auth can-i update leases.coordination.k8s.io -n kube-system || true)" == no ]] ||
	fail "the portal may update leases outside $ns (kube-system's leader elections)"
pass "the portal's replicas elect their scheduler by a Lease in $ns, and touch no other namespace's"

# Secrets only where provisioning bound the tenant role: nowhere yet.
[[ "$(as_portal auth can-i get secrets -n kube-system || true)" == no ]] || fail "the portal may read kube-system's secrets"
[[ "$(as_portal auth can-i list secrets --all-namespaces || true)" == no ]] || fail "the portal may list secrets cluster-wide"
pass "the portal's identity reads no Secrets outside friends' namespaces"

# admission-policy.yaml: the portal's identity makes namespaces and RoleBindings only under friend-*.
if as_portal create namespace not-a-friend >/dev/null 2>&1; then
	fail "the portal created a namespace outside friend-*"
fi
# As provisioning makes it: the ownership labels, and Pod Security at cluster.toml's level.
level="$(sed -n 's/^pod_security = "\([a-z]*\)".*/\1/p' "$repo/policies/cluster.toml")"
probe="{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"friend-probe\",\"labels\":{
\"app.kubernetes.io/managed-by\":\"friend-portal\",\"friend-portal/friend\":\"probe\",
\"pod-security.kubernetes.io/enforce\":\"$level\",\"pod-security.kubernetes.io/warn\":\"$level\",
\"pod-security.kubernetes.io/audit\":\"$level\"}}}"
echo "$probe" | as_portal create -f - >/dev/null || fail "the portal could not create friend-probe"
if as_portal -n kube-system create rolebinding grab --clusterrole=friend-portal-tenant \
	--serviceaccount=$ns:friend-portal >/dev/null 2>&1; then
	fail "the portal bound the tenant role in kube-system"
fi
as_portal -n friend-probe create rolebinding friend-portal --clusterrole=friend-portal-tenant \
	--serviceaccount=$ns:friend-portal >/dev/null || fail "the portal could not bind its tenant role in friend-probe"
if as_portal -n friend-probe create rolebinding admin --clusterrole=admin \
	--serviceaccount=$ns:friend-portal >/dev/null 2>&1; then
	fail "the portal bound the admin role"
fi
k delete namespace friend-probe --wait=false >/dev/null
pass "the admission policy keeps the portal's namespaces and RoleBindings to friend-* (and Pod Security at $level)"
