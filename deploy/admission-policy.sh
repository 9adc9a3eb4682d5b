#!/usr/bin/env bash
# Writes into deploy/admission-policy.yaml the values it takes from policies/cluster.toml:
# the portal's identity (portal_namespace, portal_service_account) and the Pod Security
# level friends' namespaces hold (pod_security). Run it after changing those.
#
#   deploy/admission-policy.sh [OUTPUT]   # OUTPUT defaults to deploy/admission-policy.yaml
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
policy="$repo/deploy/admission-policy.yaml"
output="${1:-$policy}"
toml="$repo/policies/cluster.toml"

# A top-level `key = "value"` of cluster.toml (the three are plain strings).
setting() {
	local value
	value="$(sed -n "s/^$1[[:space:]]*=[[:space:]]*\"\([a-z0-9.-]*\)\"[[:space:]]*\(#.*\)\{0,1\}$/\1/p" "$toml")"
	[[ -n "$value" ]] || {
		echo "admission-policy.sh: $toml: no plain $1 = \"...\" line" >&2
		exit 1
	}
	echo "$value"
}
namespace="$(setting portal_namespace)"
account="$(setting portal_service_account)"
level="$(setting pod_security)"

rendered="$(sed \
	-e "s|'system:serviceaccount:[a-z0-9.-]*:[a-z0-9.-]*'\" # cluster.toml|'system:serviceaccount:$namespace:$account'\" # cluster.toml|" \
	-e "s|{name: podSecurity, expression: \"'[a-z]*'\"} # cluster.toml|{name: podSecurity, expression: \"'$level'\"} # cluster.toml|" \
	"$policy")"
[[ "$(grep -c '# cluster.toml$' <<<"$rendered")" == 2 ]] || {
	echo "admission-policy.sh: $policy lost a line marked '# cluster.toml'" >&2
	exit 1
}
printf '%s\n' "$rendered" >"$output"
