#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok) from the Go modules pinned in this directory,
# once per machine, into a cache outside the clone. Prints the bin directory;
# kwok's lifecycle stages are beside it (../kwok-stages.yaml).
#
#   tests/kube/build.sh            # prints e.g. ~/.cache/friend-portal/kube/<key>/bin
#
# The cache key hashes every file that decides what gets built, so changing a
# pinned version builds a fresh directory; an unchanged key is a no-op.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/friend-portal/kube"

key_inputs=(go.mod go.sum tools.go kwok/go.mod kwok/go.sum kwok/tools.go build.sh)
key="$(cd "$here" && cat "${key_inputs[@]}" | sha256sum | cut -c1-16)"
out="$cache_root/$key"
bin="$out/bin"

binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

complete() {
	local b
	for b in "${binaries[@]}"; do
		[[ -x "$bin/$b" ]] || return 1
	done
	[[ -f "$out/kwok-stages.yaml" ]]
}

if complete; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache_root"
# One builder per key: a second caller waits, then finds the binaries.
exec 9>"$cache_root/$key.lock"
flock 9
if complete; then
	echo "$bin"
	exit 0
fi

# The version stamped into the Kubernetes binaries is the pinned module's, so
# clients see v1.36.x and not v0.0.0-master.
k8s_version="$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
k8s_minor="$(echo "$k8s_version" | cut -d. -f2)"
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	version_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
	version_ldflags+=" -X $pkg.gitTreeState=clean"
done

staging="$(mktemp -d "$cache_root/$key.building.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging"
mkdir -p "$staging/bin"

# Static binaries (as upstream ships them), no toolchain download, and the
# lowest CPU priority: other builds share this machine.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

echo "building the control plane into $out (cold build: tens of minutes)" >&2
(
	cd "$here"
	nice -n 19 go build -trimpath -ldflags="-s -w$version_ldflags" -o "$staging/bin/" \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler \
		k8s.io/kubernetes/cmd/kubectl
)
(
	cd "$here"
	nice -n 19 go build -trimpath -ldflags="-s -w" -o "$staging/bin/etcd" go.etcd.io/etcd/server/v3
)
(
	cd "$here/kwok"
	nice -n 19 go build -trimpath -ldflags="-s -w" -o "$staging/bin/" sigs.k8s.io/kwok/cmd/kwok
)

# kwok's own "fast" node and pod lifecycle stages, from the pinned module: a
# node turns Ready and renews its lease, a pod turns Running and Ready, and a
# deleted pod goes away.
kwok_dir="$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
for stage in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
	pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
	echo "---"
	cat "$kwok_dir/kustomize/stage/$stage"
done >"$staging/kwok-stages.yaml"

rm -rf "$out"
mv "$staging" "$out"
trap - EXIT
echo "$bin"
