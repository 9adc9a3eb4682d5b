# Sourced by the test setup scripts (tests/browser/run.sh, tests/mcp/setup.sh): installs
# Debian packages when running as root with apt-get, updating the lists once per script.
# Set APT_LABEL first (e.g. "browser tests") so the lines it prints say who asked.
# Returns non-zero when it cannot install; the caller then fails saying what is missing.

APT_UPDATED=0
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    echo "${APT_LABEL:-tests}: apt-get update" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    APT_UPDATED=1
  fi
  echo "${APT_LABEL:-tests}: apt-get install -y $*" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}
