#!/usr/bin/env bash
# End-to-end check of the test control plane (tests/kube/up.sh):
#   - it becomes ready, and everything it listens on is 127.0.0.1;
#   - PodSecurity admission refuses a privileged pod in a namespace labelled
#     enforce=baseline, and admits an ordinary one;
#   - a Deployment's pod is scheduled onto the kwok node and reaches Running;
#   - a ServiceAccount token from the TokenRequest API authenticates, and RBAC
#     allows exactly what a Role grants and forbids the rest;
#   - deploy/ installs the portal under `restricted` (install-check.sh);
#   - on SIGTERM every process is gone and every port closed; when up.sh itself
#     is killed (SIGKILL, no trap runs) its components still stop.
#
#   tests/kube/smoke.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state="$(mktemp -d "${TMPDIR:-/tmp}/friend-portal-kube-smoke.XXXXXX")"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
pass() { echo "ok: $*"; }

up_pid=""
cleanup() {
	if [[ -n "$up_pid" ]] && kill -0 "$up_pid" 2>/dev/null; then
		kill -TERM "$up_pid"
		wait "$up_pid" || true
	fi
	if [[ "${KUBE_KEEP_STATE:-0}" != 1 ]]; then
		rm -rf "$state"
	fi
}
trap cleanup EXIT

# The control plane's processes: every one of them names its state directory.
component_pids() {
	ps -eo pid=,args= | grep -F -- "${1:-$state}/" | grep -v -e grep -e smoke.sh | awk '{print $1}' || true
}

# ---- start ---------------------------------------------------------------------

"$here/build.sh" >/dev/null
started_ns="$(date +%s%N)"
"$here/up.sh" "$state" >"$state.up.out" 2>"$state.up.err" &
up_pid=$!
until [[ -f "$state/ready" ]]; do
	kill -0 "$up_pid" 2>/dev/null || {
		cat "$state.up.err" >&2
		fail "up.sh exited before ready"
	}
	sleep 0.1
done
ready_ms=$((($(date +%s%N) - started_ns) / 1000000))
pass "control plane ready in ${ready_ms} ms"
rm -f "$state.up.out" "$state.up.err"

# shellcheck disable=SC1091
source "$state/cluster.env"
export KUBECONFIG
k() { "$KUBECTL" --request-timeout=20s "$@"; }

# ---- loopback only -----------------------------------------------------------

pids="$(component_pids)"
[[ $(echo "$pids" | wc -w) -ge 5 ]] || fail "expected 5 component processes, found: $pids"
listeners=""
for pid in $pids; do
	listeners+="$(ss -Hltnp | awk -v p="pid=$pid," 'index($0, p) {print $4}')"$'\n'
done
listeners="$(echo "$listeners" | sed '/^$/d')"
[[ -n "$listeners" ]] || fail "found no listening sockets"
if echo "$listeners" | grep -v '^127\.0\.0\.1:'; then
	fail "a component listens beyond 127.0.0.1"
fi
pass "all $(echo "$listeners" | wc -l) listening sockets are on 127.0.0.1: $(echo $listeners)"

# ---- PodSecurity admission ---------------------------------------------------------

k create namespace smoke >/dev/null
k label namespace smoke pod-security.kubernetes.io/enforce=baseline >/dev/null
privileged_pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"privileged","namespace":"smoke"},
"spec":{"containers":[{"name":"c","image":"nginx:alpine","securityContext":{"privileged":true}}]}}'
if out="$(echo "$privileged_pod" | k create -f - 2>&1)"; then
	fail "a privileged pod was admitted under baseline"
fi
echo "$out" | grep -q 'violates PodSecurity "baseline:latest"' ||
	fail "the privileged pod was refused, but not by PodSecurity: $out"
pass "privileged pod refused: $(echo "$out" | grep -o 'violates PodSecurity "[^"]*": [^)]*)' | head -1)"

# ---- a Deployment runs on the kwok node ----------------------------------------------

k -n smoke create deployment web --image=nginx:alpine >/dev/null
k -n smoke rollout status deployment/web --timeout=60s >/dev/null ||
	fail "deployment web did not become available"
phase_node="$(k -n smoke get pods -l app=web -o jsonpath='{.items[0].status.phase} {.items[0].spec.nodeName}')"
[[ "$phase_node" == "Running kwok-node-0" ]] || fail "pod is '$phase_node', not Running on kwok-node-0"
pass "deployment web's pod is Running on kwok-node-0"

# ---- TokenRequest and RBAC -----------------------------------------------------

k -n smoke create serviceaccount reader >/dev/null
k -n smoke create role pod-reader --verb=get,list --resource=pods >/dev/null
k -n smoke create rolebinding reader --role=pod-reader --serviceaccount=smoke:reader >/dev/null
sa_token="$(k -n smoke create token reader --duration=10m)"
as_reader() {
	"$KUBECTL" --request-timeout=20s --kubeconfig=/dev/null --server="$KUBE_API_URL" \
		--certificate-authority="$KUBE_CA_FILE" --token="$sa_token" "$@"
}
whoami="$(as_reader auth whoami -o jsonpath='{.status.userInfo.username}')"
[[ "$whoami" == "system:serviceaccount:smoke:reader" ]] || fail "token authenticated as '$whoami'"
as_reader -n smoke get pods >/dev/null || fail "the Role's grant (list pods) was refused"
if out="$(as_reader -n smoke get secrets 2>&1)"; then
	fail "the ServiceAccount listed secrets without a rule for it"
fi
echo "$out" | grep -q 'Forbidden' || fail "listing secrets failed, but not with Forbidden: $out"
if as_reader -n kube-system get pods >/dev/null 2>&1; then
	fail "the ServiceAccount listed pods outside its namespace"
fi
pass "TokenRequest token is $whoami; RBAC allows its Role (pods in smoke) and forbids secrets and other namespaces"

# ---- the install in deploy/ -----------------------------------------------------

"$here/install-check.sh" "$state"

# ---- stop ------------------------------------------------------------------------

api_port="${KUBE_API_URL##*:}"
kill -TERM "$up_pid"
wait "$up_pid" || true
up_pid=""
left="$(component_pids)"
[[ -z "$left" ]] || fail "processes left after stop: $left"
for listener in $listeners; do
	if ss -Hltn | awk '{print $4}' | grep -qxF "$listener"; then
		fail "$listener still listening after stop"
	fi
done
if ss -Hltn | awk '{print $4}' | grep -q ":$api_port\$"; then
	fail "the API server port $api_port is still open"
fi
pass "after SIGTERM no component process is left and no port is open"

# ---- up.sh killed outright -----------------------------------------------------------

crash_state="$state-killed"
"$here/up.sh" "$crash_state" >/dev/null 2>&1 &
up_pid=$!
until [[ -f "$crash_state/ready" ]]; do
	kill -0 "$up_pid" 2>/dev/null || fail "up.sh exited before ready (second start)"
	sleep 0.1
done
[[ -n "$(component_pids "$crash_state")" ]] || fail "no component found for the second start"
kill -KILL "$up_pid"
{ wait "$up_pid"; } 2>/dev/null || true
up_pid=""
deadline=$((SECONDS + 20))
while [[ -n "$(component_pids "$crash_state")" ]]; do
	((SECONDS < deadline)) || fail "components outlived a SIGKILLed up.sh: $(component_pids "$crash_state")"
	sleep 0.1
done
rm -rf "$crash_state"
pass "when up.sh is killed with SIGKILL, its components stop too"
