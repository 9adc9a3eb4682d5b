#!/usr/bin/env bash
# Installs the two MCP clients tests/mcp drives against the portal's /mcp, when missing:
#   - the official MCP Python SDK (`mcp` on PyPI, pinned below) in target/mcp-venv, with
#     python3 and its venv module (Debian's python3-venv, as root with apt-get);
#   - the MCP Inspector's CLI (@modelcontextprotocol/inspector-cli, pinned by
#     package-lock.json) with `npm ci` here, with node and npm (Debian's nodejs and npm).
# Whatever cannot be had is a failure saying what is missing: never a skip.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
MCP_VERSION=2.3.0
VENV="$REPO/target/mcp-venv"

fail() {
  echo "mcp tests: $*" >&2
  exit 1
}

APT_LABEL="mcp tests"
# shellcheck source=../support/apt.sh
. "$REPO/tests/support/apt.sh"

# python3 with venv, and the SDK pinned in its own venv.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install python3 python3-venv || true
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
    fail "python3 with the venv module is missing and could not be installed (need root and apt-get, or install python3-venv)"
fi
if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null || true)" != "$MCP_VERSION" ]; then
  echo "mcp tests: installing mcp $MCP_VERSION (the MCP Python SDK) in $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "mcp==$MCP_VERSION" >&2 ||
    fail "pip could not install mcp==$MCP_VERSION (is PyPI reachable?)"
fi

# node and npm, and the Inspector's CLI as package-lock.json pins it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm || true
fi
command -v node >/dev/null 2>&1 || fail "node is not installed and could not be installed (need root and apt-get, or install Node.js 18+)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed and could not be installed"
if [ ! -f "$HERE/node_modules/@modelcontextprotocol/inspector-cli/build/cli.js" ]; then
  echo "mcp tests: installing @modelcontextprotocol/inspector-cli (npm ci in tests/mcp)" >&2
  (cd "$HERE" && npm ci --no-audit --no-fund >&2) ||
    fail "npm ci in tests/mcp failed: the MCP Inspector's CLI is not installed (is the npm registry reachable?)"
fi
echo "mcp tests: python $VENV/bin/python, inspector $HERE/node_modules/.bin/mcp-inspector-cli"
