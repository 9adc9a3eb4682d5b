#!/usr/bin/env bash
# Builds the CNCF distribution registry (`registry`) from the Go module pinned in
# this directory, once per machine, into a cache outside the clone. Prints the
# bin directory.
#
#   tests/registry/build.sh        # prints e.g. ~/.cache/friend-portal/registry/<key>/bin
#
# The cache key hashes every file that decides what gets built, so changing the
# pinned version builds a fresh directory; an unchanged key is a no-op.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/friend-portal/registry"

key_inputs=(go.mod go.sum tools.go build.sh)
key="$(cd "$here" && cat "${key_inputs[@]}" | sha256sum | cut -c1-16)"
out="$cache_root/$key"
bin="$out/bin"

if [[ -x "$bin/registry" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache_root"
# One builder per key: a second caller waits, then finds the binary.
exec 9>"$cache_root/$key.lock"
flock 9
if [[ -x "$bin/registry" ]]; then
	echo "$bin"
	exit 0
fi

staging="$(mktemp -d "$cache_root/$key.building.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging"
mkdir -p "$staging/bin"

# A static binary, no toolchain download, and the lowest CPU priority: other
# builds share this machine.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

# `registry --version` reports the pinned module's version, not the default.
version="$(cd "$here" && go list -m -f '{{.Version}}' github.com/distribution/distribution/v3)"

echo "building the distribution registry $version into $out (cold build: about 80 s)" >&2
(
	cd "$here"
	nice -n 19 go build -trimpath \
		-ldflags="-s -w -X github.com/distribution/distribution/v3/version.version=$version" \
		-o "$staging/bin/registry" github.com/distribution/distribution/v3/cmd/registry
)

rm -rf "$out"
mv "$staging" "$out"
trap - EXIT
echo "$bin"
