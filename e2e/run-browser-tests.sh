#!/usr/bin/env bash
# Browser end-to-end tests of the web client (Playwright + Debian's Chromium) against the
# native local cluster.
#
#   e2e/run-browser-tests.sh [playwright args...]     e.g. specs/a-direct-chat.spec.ts
#
# 1. installs Chromium with apt when /usr/bin/chromium is missing (never a Playwright browser
#    download: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1);
# 2. `npm ci` in web/ and e2e/playwright/ when node_modules is missing or older than the lockfile;
# 3. `npm run generate` in web/ (the site nginx serves: web/.output/public);
# 4. `deploy/local/cluster.sh up` (idempotent; it also re-renders nginx for the new build, whose
#    inline-script CSP hash changes with every build);
# 5. runs the specs against CHAT_URL (default http://localhost:$CHAT_HTTP_PORT);
# 6. leaves the cluster as it found it: if this script started it, it stops it (trap).
#
# Environment: everything deploy/local/cluster.sh reads passes through (CHAT_PROFILE=debug and
# CHAT_SKIP_BUILD=1 reuse the test build's binaries; CHAT_HTTP_PORT, CHAT_WS_REPLICAS, ...).
# CHAT_URL overrides the base URL; CHAT_MAIL_URL the mail sink's HTTP address (default from
# CHAT_MAIL_HTTP_PORT). The failover spec SIGKILLs a ws replica and restarts it with
# `cluster.sh up` using the same environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 NUXT_TELEMETRY_DISABLED=1
export CHAT_URL="${CHAT_URL:-http://localhost:${CHAT_HTTP_PORT:-8000}}"
# The cluster's mail sink: specs read the mails the api-server sent from GET $CHAT_MAIL_URL/messages?to=
export CHAT_MAIL_URL="${CHAT_MAIL_URL:-http://127.0.0.1:${CHAT_MAIL_HTTP_PORT:-8025}}"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
export CHROMIUM_PATH="$CHROMIUM"

say() { printf '[browser-tests] %s\n' "$*"; }
die() { printf '[browser-tests] error: %s\n' "$*" >&2; exit 1; }

# --- 1. Chromium -----------------------------------------------------------------------------
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium with apt"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    die "$CHROMIUM not found; install Debian's chromium (sudo apt-get install -y chromium)"
  fi
fi
command -v node >/dev/null 2>&1 || die "node not found (Node.js 20.19+ is needed)"

# --- 2. npm ci where needed ------------------------------------------------------------------
npm_ci_if_needed() { # DIR
  local dir="$1" stamp="$1/node_modules/.package-lock.json"
  if [ ! -d "$dir/node_modules" ] || [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    say "npm ci in ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund)
  else
    say "${dir#"$ROOT"/}: node_modules up to date"
  fi
}
npm_ci_if_needed "$ROOT/web"
npm_ci_if_needed "$ROOT/e2e/playwright"

# --- 3. build the site -----------------------------------------------------------------------
say "npm run generate in web/"
mkdir -p "$ROOT/.local"
(cd web && npm run generate >"$ROOT/.local/web-generate.log" 2>&1) || {
  tail -40 "$ROOT/.local/web-generate.log" >&2
  die "web build failed (log: .local/web-generate.log)"
}
test -f web/.output/public/index.html || die "web/.output/public/index.html missing after the build"

# --- 4. the cluster --------------------------------------------------------------------------
# Stopped afterwards only if none of its processes ran before (a partly running cluster is
# completed by `up` and left running, like a fully running one).
started=0
if "$ROOT/deploy/local/cluster.sh" status 2>/dev/null | awk '$3 == "running" { found = 1 } END { exit !found }'; then
  say "cluster (partly) running already: it stays up afterwards"
else
  started=1
  # A cluster of our own: login/register limits per IP would throttle the specs' sign-ups (the
  # counters live in the shared Memcached, so other suites' sign-ups count too).
  export AUTH_RATE_LIMIT_PER_MIN="${AUTH_RATE_LIMIT_PER_MIN:-1000}"
  # Some specs send numbered, otherwise identical texts ("during failover 1..12"), which flood
  # control would rightly pause.
  export FLOOD_REPEAT_MAX="${FLOOD_REPEAT_MAX:-1000000}" FLOOD_NEW_CHATS_PER_HOUR="${FLOOD_NEW_CHATS_PER_HOUR:-1000000}"
fi
cleanup() {
  local rc=$?
  if [ "$started" = 1 ]; then
    say "stopping the cluster this script started"
    "$ROOT/deploy/local/cluster.sh" down >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$ROOT/deploy/local/cluster.sh" up

# --- 5. the specs ----------------------------------------------------------------------------
say "playwright against $CHAT_URL"
cd e2e/playwright
npx playwright test "$@"
