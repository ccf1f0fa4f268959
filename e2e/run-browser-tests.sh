#!/usr/bin/env bash
# Browser end-to-end tests of the web client (Playwright + Debian's Chromium) against the
# native local cluster.
#
#   e2e/run-browser-tests.sh [playwright args...]     e.g. specs/a-direct-chat.spec.ts
#
# 1. installs Chromium with apt when /usr/bin/chromium is missing (never a Playwright browser
#    download: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1);
# 2. deploy/local/web-build.sh: the site nginx serves (web/.output/public), built when missing or
#    older than web/ (npm ci in web/ when needed, then npm run generate);
# 3. `npm ci` in e2e/playwright/ when node_modules is missing or older than the lockfile;
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
# --- 2. the site nginx serves (first: it also checks node and npm) ---------------------------
"$ROOT/deploy/local/web-build.sh" || die "the web client could not be built (above)"
# Built: the `cluster.sh up` below (and the failover spec's) need not look again.
export CHAT_SKIP_WEB_BUILD=1

# --- 3. the specs' npm packages --------------------------------------------------------------
stamp="e2e/playwright/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ e2e/playwright/package-lock.json -nt "$stamp" ]; then
  say "npm ci in e2e/playwright"
  (cd e2e/playwright && npm ci --no-audit --no-fund)
else
  say "e2e/playwright: node_modules up to date"
fi

# --- 4. the cluster --------------------------------------------------------------------------
# Stopped afterwards only if none of its processes ran before (a partly running cluster is
# completed by `up` and left running, like a fully running one). CHAT_EXTERNAL_CLUSTER=1: the
# specs go to a cluster this script does not manage (CHAT_URL; e.g. the multihost data centre,
# `e2e/multihost/run.sh browser`), so only specs that need no local-cluster internals apply.
started=0
if [ "${CHAT_EXTERNAL_CLUSTER:-0}" = 1 ]; then
  say "external cluster at $CHAT_URL: not started or stopped here"
elif "$ROOT/deploy/local/cluster.sh" status 2>/dev/null | awk '$3 == "running" { found = 1 } END { exit !found }'; then
  say "cluster (partly) running already: it stays up afterwards"
else
  started=1
  # A cluster of our own: login/register limits per IP would throttle the specs' sign-ups (the
  # counters live in the shared Memcached, so other suites' sign-ups count too).
  export AUTH_RATE_LIMIT_PER_MIN="${AUTH_RATE_LIMIT_PER_MIN:-1000}"
  # Some specs send numbered, otherwise identical texts ("during failover 1..12"), which flood
  # control would rightly pause.
  export FLOOD_REPEAT_MAX="${FLOOD_REPEAT_MAX:-1000000}" FLOOD_NEW_CHATS_PER_HOUR="${FLOOD_NEW_CHATS_PER_HOUR:-1000000}"
  # The long-history spec seeds a chat of 3,000 messages through the API within a minute.
  export SEND_RATE_LIMIT_PER_MIN="${SEND_RATE_LIMIT_PER_MIN:-1000000}"
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
[ "${CHAT_EXTERNAL_CLUSTER:-0}" = 1 ] || "$ROOT/deploy/local/cluster.sh" up

# --- 5. the specs ----------------------------------------------------------------------------
say "playwright against $CHAT_URL"
cd e2e/playwright
npx playwright test "$@"
