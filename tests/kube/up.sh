#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1 for the tests: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler and kwok (which
# simulates a node and the pods scheduled on it). Runs in the foreground until
# SIGTERM/SIGINT (or until a component dies), then stops everything it started.
#
#   tests/kube/up.sh [STATE_DIR]
#
# When ready it writes STATE_DIR/cluster.env (KUBE_API_URL, KUBE_CA_FILE,
# KUBECONFIG, KUBE_ADMIN_TOKEN, KUBECTL) and prints the same lines on stdout,
# then creates STATE_DIR/ready. Without STATE_DIR it uses a fresh temporary
# directory and deletes it on exit (KUBE_KEEP_STATE=1 keeps it for the logs);
# KUBE_REMOVE_STATE=1 deletes a given STATE_DIR on exit too (the benchmark's
# choice: nothing of it is left even when the caller is killed).
#
# The API server has generated PKI, static-token authentication (an admin in
# system:masters), Node,RBAC authorization, PodSecurity admission, the
# TokenRequest API, and Traefik's IngressRoute CRD; the node is kwok-node-0.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ready_timeout="${KUBE_READY_TIMEOUT:-120}"

log() { echo "up.sh: $*" >&2; }

bin="$("$here/build.sh")"
stages="$(dirname "$bin")/kwok-stages.yaml"

if [[ $# -ge 1 ]]; then
	state="$1"
	own_state="${KUBE_REMOVE_STATE:-0}"
	mkdir -p "$state"
else
	state="$(mktemp -d "${TMPDIR:-/tmp}/friend-portal-kube.XXXXXX")"
	own_state=1
fi
state="$(cd "$state" && pwd)"
rm -f "$state/ready" "$state/cluster.env"
mkdir -p "$state/logs" "$state/pki"
echo $$ >"$state/up.pid"

# ---- stopping ---------------------------------------------------------------

pids=()
names=()

stop_all() {
	local i pid deadline
	# Further TERMs are ignored while stopping, not fatal: a parent-death signal
	# comes once per thread of a multithreaded parent as it exits (the test
	# binary, the benchmark), and a second one would kill this mid-stop.
	trap - EXIT
	trap '' TERM INT
	# One at a time in reverse start order: the API server's clients are gone
	# before it drains, and etcd stops last.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid="${pids[i]}"
		kill -TERM "$pid" 2>/dev/null || true
		deadline=$((SECONDS + 10))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "$(date +%s%N) stopped ${names[i]}" >>"$state/logs/stop.log"
	done
	rm -f "$state/ready" "$state/up.pid"
	if [[ $own_state == 1 && "${KUBE_KEEP_STATE:-0}" != 1 ]]; then
		rm -rf "$state"
	fi
}
trap 'stop_all' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# Each component is killed outright if this script dies without stopping it
# (SIGKILL, a crash), so a harness that kills its child never leaves a control
# plane behind. (SIGTERM is not enough there: an API server whose etcd went
# away at the same moment takes longer than 20 s to drain.)
start() {
	local name="$1"
	shift
	setpriv --pdeathsig KILL -- "$@" >"$state/logs/$name.log" 2>&1 &
	pids+=($!)
	names+=("$name")
}

# A component that exited stops the start-up with its log's tail.
check_alive() {
	local i
	for i in "${!pids[@]}"; do
		if ! kill -0 "${pids[i]}" 2>/dev/null; then
			log "${names[i]} exited; last lines of $state/logs/${names[i]}.log:"
			tail -n 20 "$state/logs/${names[i]}.log" >&2 || true
			return 1
		fi
	done
}

# wait_for DESCRIPTION COMMAND...: retries COMMAND until it succeeds.
wait_for() {
	local what="$1" deadline=$((SECONDS + ready_timeout))
	shift
	until "$@" >/dev/null 2>&1; do
		check_alive || exit 1
		if ((SECONDS >= deadline)); then
			log "timed out after ${ready_timeout}s waiting for $what"
			exit 1
		fi
		sleep 0.2
	done
}

# ---- ports ------------------------------------------------------------------

# A random loopback port below the kernel's ephemeral range that nothing
# answers on and this run has not taken yet.
taken=" "
free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 12000))
		[[ "$taken" == *" $port "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			taken+="$port "
			echo "$port"
			return
		fi
	done
}
etcd_port="$(free_port)"
taken+="$etcd_port "
etcd_peer_port="$(free_port)"
taken+="$etcd_peer_port "
api_port="$(free_port)"
taken+="$api_port "
scheduler_port="$(free_port)"

# ---- credentials --------------------------------------------------------------

pki="$state/pki"
"$here/pki.sh" "$pki" >/dev/null

token() { openssl rand -hex 32; }
admin_token="$(token)"
controller_manager_token="$(token)"
scheduler_token="$(token)"
kwok_token="$(token)"
# kwok stands in for every kubelet, writing node and pod status on any node,
# so it is an administrator here; the portal's identity is never this one.
cat >"$pki/tokens.csv" <<EOF
$admin_token,admin,admin,"system:masters"
$controller_manager_token,system:kube-controller-manager,system:kube-controller-manager
$scheduler_token,system:kube-scheduler,system:kube-scheduler
$kwok_token,kwok-controller,kwok-controller,"system:masters"
EOF
chmod 600 "$pki/tokens.csv"

api_url="https://127.0.0.1:$api_port"

# kubeconfig NAME TOKEN: a kubeconfig for one identity.
kubeconfig() {
	local file="$state/$1.kubeconfig"
	cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: friend-portal-test
    cluster:
      server: $api_url
      certificate-authority: $pki/ca.crt
users:
  - name: $1
    user:
      token: $2
contexts:
  - name: $1
    context:
      cluster: friend-portal-test
      user: $1
current-context: $1
EOF
	chmod 600 "$file"
}
kubeconfig admin "$admin_token"
kubeconfig controller-manager "$controller_manager_token"
kubeconfig scheduler "$scheduler_token"
kubeconfig kwok "$kwok_token"

export KUBECONFIG="$state/admin.kubeconfig"
kubectl() { "$bin/kubectl" --request-timeout=10s "$@"; }

# ---- components ---------------------------------------------------------------

t0=$SECONDS
start etcd "$bin/etcd" \
	--name=default \
	--data-dir="$state/etcd" \
	--listen-client-urls="http://127.0.0.1:$etcd_port" \
	--advertise-client-urls="http://127.0.0.1:$etcd_port" \
	--listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
	--initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
	--initial-cluster="default=http://127.0.0.1:$etcd_peer_port" \
	--unsafe-no-fsync \
	--log-level=warn

# The API server retries etcd until it answers, so both start at once.
# allow-privileged lets PodSecurity, not the API server's own switch, be what
# refuses a privileged pod. The endpoint reconciler is off because the
# "kubernetes" Service's endpoints may not be a loopback address.
start kube-apiserver "$bin/kube-apiserver" \
	--bind-address=127.0.0.1 \
	--advertise-address=127.0.0.1 \
	--secure-port="$api_port" \
	--etcd-servers="http://127.0.0.1:$etcd_port" \
	--tls-cert-file="$pki/apiserver.crt" \
	--tls-private-key-file="$pki/apiserver.key" \
	--client-ca-file="$pki/ca.crt" \
	--token-auth-file="$pki/tokens.csv" \
	--authorization-mode=Node,RBAC \
	--enable-admission-plugins=PodSecurity \
	--allow-privileged=true \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$pki/service-account.pub" \
	--service-account-signing-key-file="$pki/service-account.key" \
	--service-cluster-ip-range=10.0.0.0/24 \
	--endpoint-reconciler-type=none \
	--profiling=false

wait_for "the API server's /readyz" kubectl get --raw=/readyz

start kube-controller-manager "$bin/kube-controller-manager" \
	--kubeconfig="$state/controller-manager.kubeconfig" \
	--secure-port=0 \
	--use-service-account-credentials=true \
	--service-account-private-key-file="$pki/service-account.key" \
	--root-ca-file="$pki/ca.crt" \
	--profiling=false

start kube-scheduler "$bin/kube-scheduler" \
	--kubeconfig="$state/scheduler.kubeconfig" \
	--bind-address=127.0.0.1 \
	--secure-port="$scheduler_port" \
	--profiling=false

# No --node-port/--server-address: kwok serves nothing, it only writes status.
# HOME is the state directory so that a ~/.kwok/kwok.yaml of the user's is not read.
start kwok env HOME="$state" "$bin/kwok" \
	--kubeconfig="$state/kwok.kubeconfig" \
	--config="$stages" \
	--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
	--node-lease-duration-seconds=40 \
	--cidr=10.0.1.0/24 \
	--node-ip=10.0.2.1

kubectl apply --server-side -f "$repo/deploy/crds/traefik.io_ingressroutes.yaml" >/dev/null
kubectl apply --server-side -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
status:
  allocatable:
    cpu: "32"
    memory: 256Gi
    pods: "110"
  capacity:
    cpu: "32"
    memory: 256Gi
    pods: "110"
EOF

wait_for "the IngressRoute CRD to be Established" \
	kubectl wait --for=condition=Established crd/ingressroutes.traefik.io --timeout=5s
wait_for "node kwok-node-0 to be Ready" \
	kubectl wait --for=condition=Ready node/kwok-node-0 --timeout=5s
# The controller manager and the scheduler each hold their leader lease once
# they run; the default ServiceAccount shows the controllers at work.
wait_for "the controller manager's lease" kubectl -n kube-system get lease kube-controller-manager
wait_for "the scheduler's lease" kubectl -n kube-system get lease kube-scheduler
wait_for "the default ServiceAccount" kubectl -n default get serviceaccount default

cat >"$state/cluster.env" <<EOF
KUBE_API_URL=$api_url
KUBE_CA_FILE=$pki/ca.crt
KUBECONFIG=$state/admin.kubeconfig
KUBE_ADMIN_TOKEN=$admin_token
KUBECTL=$bin/kubectl
EOF
chmod 600 "$state/cluster.env"
touch "$state/ready"
log "ready in $((SECONDS - t0))s; state in $state"
cat "$state/cluster.env"

# Stay up until told to stop; a component that dies takes the rest down.
while :; do
	wait -n || true
	check_alive || exit 1
done
