#!/usr/bin/env bash
# Builds the web client (web/ -> web/.output/public, the site nginx serves) when it is missing or
# older than its sources; does nothing when it is up to date. Used by `make run`
# (deploy/local/cluster.sh up), e2e/run-browser-tests.sh and scripts/test.sh.
#
# Usage: deploy/local/web-build.sh          npm ci if needed, then npm run generate if needed
#        deploy/local/web-build.sh --deps   only npm ci if needed (for typecheck, lint, unit tests)
#
# Steps:
# 1. Node.js >= 20.19 and npm: when node is missing and the apt repositories offer a recent
#    enough nodejs (Debian 13, not Debian 12: its nodejs is 18), installs it with apt as root;
#    otherwise stops with exit status 3 and says how to install it (cluster.sh then serves
#    deploy/local/placeholder instead of the client);
# 2. `npm ci` in web/ when node_modules is missing or older than package-lock.json;
# 3. `npm run generate` when web/.output/public is missing or a file of web/ (outside
#    node_modules, .output, .nuxt, tests) is newer than the last build; its log is
#    .local/web-generate.log, its main steps are shown.
#
# Exit status: 0 built or up to date; 3 node/npm missing or too old; 1 anything else failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WEB="$ROOT/web"
LOG="$ROOT/.local/web-generate.log"
STAMP="$WEB/.output/.build-stamp" # mtime = when the last successful build started
NODE_MIN=20.19

# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"

say() { printf '[web] %s\n' "$*"; }
die() { printf '[web] ERROR: %s\n' "$*" >&2; exit 1; }

export NUXT_TELEMETRY_DISABLED=1

# --- 1. Node.js ----------------------------------------------------------------------------------
version_ok() { # VERSION (e.g. 20.19.2): at least NODE_MIN
  [ "$(printf '%s\n%s\n' "$NODE_MIN" "$1" | sort -V | head -n1)" = "$NODE_MIN" ]
}
node_version() { node --version 2>/dev/null | sed 's/^v//'; }
# The nodejs version apt would install (e.g. 20.19.2), or nothing.
apt_node_version() {
  command -v apt-cache >/dev/null 2>&1 || return 0
  apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }' | sed -E 's/^[0-9]+://; s/[~+-].*//; /none/d'
}
how_to_install() {
  cat >&2 <<EOF
[web] The web client needs Node.js >= $NODE_MIN with npm ($1).
[web] Debian 12 and Ubuntu 24.04 ship older versions; install a current one, e.g. from NodeSource:
[web]     curl -fsSL https://deb.nodesource.com/setup_22.x | sudo bash - && sudo apt-get install -y nodejs
[web] or with nvm (https://github.com/nvm-sh/nvm): nvm install 22
[web] then run this again (make run).
EOF
  exit 3
}
ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    local candidate
    candidate="$(apt_node_version)"
    if [ -n "$candidate" ] && version_ok "$candidate" && [ "$(id -u)" = 0 ]; then
      # NodeSource's nodejs brings npm; Debian's has it in a package of its own.
      apt_install web nodejs || how_to_install "installing nodejs with apt failed"
      command -v npm >/dev/null 2>&1 || apt_install web npm || how_to_install "installing npm with apt failed"
    else
      how_to_install "node not found${candidate:+; apt offers nodejs $candidate}"
    fi
  fi
  local v
  v="$(node_version)"
  version_ok "$v" || how_to_install "this node is $v"
  command -v npm >/dev/null 2>&1 || how_to_install "npm not found"
}

# --- 2. dependencies -----------------------------------------------------------------------------
ensure_deps() {
  local stamp="$WEB/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ ! "$WEB/package-lock.json" -nt "$stamp" ]; then
    return 0
  fi
  say "npm ci in web/ (dependencies changed or not installed; about a minute the first time)"
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in web/ failed"
}

# --- 3. the site ---------------------------------------------------------------------------------
# Prints why a build is needed (nothing when the build is up to date).
build_reason() {
  if [ ! -f "$WEB/.output/public/index.html" ] || [ ! -f "$STAMP" ]; then
    echo "web/.output/public is not built yet"
    return 0
  fi
  local newer
  newer="$(find "$WEB" \( -path "$WEB/node_modules" -o -path "$WEB/.output" -o -path "$WEB/.nuxt" \
    -o -path "$WEB/.data" -o -path "$WEB/tests" \) -prune -o -type f -newer "$STAMP" -print -quit)"
  [ -z "$newer" ] || echo "${newer#"$ROOT"/} changed since the last build"
}

generate() {
  local reason start
  reason="$(build_reason)"
  if [ -z "$reason" ]; then
    say "web/.output/public is up to date"
    return 0
  fi
  say "building the web client: $reason (npm run generate, log ${LOG#"$ROOT"/})"
  mkdir -p "$(dirname "$LOG")"
  start="$(mktemp)"
  # The main steps on the terminal, everything in the log.
  local status
  set +e
  (cd "$WEB" && npm run generate 2>&1) | tee "$LOG" |
    grep --line-buffered -E 'Building (client|server)|built in [0-9]|Prerendered|Generated public|ERROR|Error:' |
    sed -u 's/^/[web]   /'
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" != 0 ] || [ ! -f "$WEB/.output/public/index.html" ]; then
    rm -f "$start"
    tail -n 40 "$LOG" >&2
    die "the web build failed (log: ${LOG#"$ROOT"/})"
  fi
  touch -r "$start" "$STAMP"
  rm -f "$start"
  say "built web/.output/public"
}

ensure_node
ensure_deps
case "${1:-}" in
  --deps) ;;
  "") generate ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
