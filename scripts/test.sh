#!/usr/bin/env bash
# The one command that runs the whole test suite on a fresh Debian machine (README.md names it,
# .ci/run calls it): installs the Debian packages the client and differential tests talk to when
# they are missing (as root, or through sudo), then `npm ci` and `npm test`. Run it with CI=true
# to make the suite fail, not skip, where one of those programs is still missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || need+=(python3-redis)
/usr/bin/python3 -c 'import faiss' >/dev/null 2>&1 || need+=(python3-faiss)
command -v nc >/dev/null 2>&1 || need+=(netcat-openbsd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "scripts/test.sh: missing Debian packages: ${need[*]}" >&2
    echo "install them as root:  apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "scripts/test.sh: installing ${need[*]}" >&2
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${need[@]}"
fi

npm ci
npm test
