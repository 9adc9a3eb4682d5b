#!/usr/bin/env bash
# Runs the browser tests of the portal page (tests/browser/*.test.mjs: portal_session,
# portal_workspace and portal_resources in Chromium, portal_logic without a browser) against a
# built `portal` binary, one file at a time, installing what they need when it is missing:
#   - node and npm: Debian's `nodejs` and `npm` packages (as root, with apt-get);
#   - playwright-core and axe-core: `npm ci` in tests/browser when either is absent from
#     node_modules;
#   - Chromium: Debian's `chromium` package (as root, with apt-get) when /usr/bin/chromium
#     (or $CHROMIUM) is missing. playwright-core never downloads a browser.
# Whatever cannot be had is a failure with a message saying what is missing: never a skip.
# Builds nothing itself: PORTAL_BIN (default target/debug/portal) must exist.
#
#   PORTAL_BIN=target/debug/portal bash tests/browser/run.sh [extra node --test args]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

fail() {
  echo "browser tests: $*" >&2
  exit 1
}

APT_LABEL="browser tests"
# shellcheck source=../support/apt.sh
. "$REPO/tests/support/apt.sh"

# node (with the built-in test runner: 18 or newer) and npm.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm || true
fi
command -v node >/dev/null 2>&1 ||
  fail "node is not installed and could not be installed (need root and apt-get, or install Node.js 18+ yourself)"
command -v npm >/dev/null 2>&1 ||
  fail "npm is not installed and could not be installed (need root and apt-get, or install npm yourself)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 18 ] || fail "node $(node --version) is too old: the tests need Node.js 18 or newer"

# playwright-core and axe-core (the accessibility checks), exactly as package-lock.json pins them.
if [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -f "$HERE/node_modules/axe-core/axe.min.js" ]; then
  echo "browser tests: installing playwright-core and axe-core (npm ci in tests/browser)" >&2
  (cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2) ||
    fail "npm ci in tests/browser failed: playwright-core or axe-core is not installed (is the npm registry reachable?)"
fi

# Chromium: Debian's package, or whatever $CHROMIUM points at.
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$CHROMIUM" = /usr/bin/chromium ]; then
    apt_install chromium || true
  fi
  [ -x "$CHROMIUM" ] ||
    fail "Chromium is missing at $CHROMIUM and could not be installed (need root and apt-get for Debian's chromium package, or set CHROMIUM to a Chromium binary)"
fi
CHROMIUM_VERSION="$("$CHROMIUM" --version 2>/dev/null)" || fail "$CHROMIUM is there but does not run ('$CHROMIUM --version' failed)"

export PORTAL_BIN="${PORTAL_BIN:-target/debug/portal}"
[ -x "$PORTAL_BIN" ] || fail "no portal binary at $PORTAL_BIN: run 'cargo build -p portal' first, or set PORTAL_BIN"

# Each browser test file starts its own portal and Chromium: run the files one after another,
# where node can be told so (by default it runs several at once on more than two cores).
ONE_AT_A_TIME=()
if node --help | grep -q -- '--test-concurrency'; then
  ONE_AT_A_TIME=(--test-concurrency=1)
fi

echo "browser tests: node $(node --version), $CHROMIUM_VERSION, portal $PORTAL_BIN" >&2
# node --test on the directory runs every *.test.mjs in it. The spec reporter prints each test
# and the summary (tests, pass, fail, duration).
exec node --test --test-reporter=spec ${ONE_AT_A_TIME[@]+"${ONE_AT_A_TIME[@]}"} "$@" tests/browser/
