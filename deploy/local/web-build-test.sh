#!/usr/bin/env bash
# Tests the decisions of deploy/local/web-build.sh (when to run npm ci, when to build, what a
# missing or old Node.js does) on a copy of the repository's web/ sources, with `node` and `npm`
# replaced by stand-ins that record their calls: the real build is what the Playwright step of
# `make test` runs. Prints one line per check; run by deploy/check-configs.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
REPO="$TMP/repo"
CALLS="$TMP/calls"
FAILED=0

ok() { printf 'ok   web-build: %s\n' "$1"; }
bad() { printf 'FAIL web-build: %s\n' "$1"; sed 's/^/       /' "$TMP/out"; FAILED=1; }

# A fresh clone: the script, its library and web/ without node_modules and without a build.
mkdir -p "$REPO/deploy/local" "$TMP/bin"
cp "$ROOT/deploy/local/web-build.sh" "$ROOT/deploy/local/lib.sh" "$REPO/deploy/local/"
tar -C "$ROOT" --exclude=web/node_modules --exclude=web/.output --exclude=web/.nuxt --exclude=web/.data -cf - web | tar -C "$REPO" -xf -
find "$REPO/web" -exec touch -d '-1 hour' {} +

cat >"$TMP/bin/npm" <<'EOF'
#!/bin/sh
echo "npm $1 $2" >>"$CALLS"
case "$1" in
  ci) mkdir -p node_modules && : >node_modules/.package-lock.json ;;
  run)
    [ -z "${FAIL_GENERATE:-}" ] || { echo "ERROR: build broke"; exit 1; }
    rm -rf .output && mkdir -p .output/public && echo '<!DOCTYPE html>' >.output/public/index.html
    echo "ℹ Building client..." ;;
esac
EOF
cat >"$TMP/bin/node" <<'EOF'
#!/bin/sh
echo "v${FAKE_NODE_VERSION:-22.12.0}"
EOF
chmod +x "$TMP/bin/npm" "$TMP/bin/node"
export CALLS PATH="$TMP/bin:$PATH"

# run [ARGS...]: the script's exit status in $rc, its output in $TMP/out, npm calls in $CALLS
run() {
  : >"$CALLS"
  rc=0
  bash "$REPO/deploy/local/web-build.sh" "$@" >"$TMP/out" 2>&1 || rc=$?
}
calls() { tr '\n' ';' <"$CALLS"; }

run
if [ "$rc" = 0 ] && [ "$(calls)" = "npm ci --no-audit;npm run generate;" ] && [ -f "$REPO/web/.output/public/index.html" ]; then
  ok "a fresh clone gets npm ci, then a build"
else bad "a fresh clone: rc=$rc calls=$(calls)"; fi

run
if [ "$rc" = 0 ] && [ "$(calls)" = "" ] && grep -q "up to date" "$TMP/out"; then
  ok "an up-to-date build is left alone"
else bad "up to date: rc=$rc calls=$(calls)"; fi

touch "$REPO/web/tests/unit/"*.test.ts
run
if [ "$rc" = 0 ] && [ "$(calls)" = "" ]; then
  ok "a changed unit test does not rebuild"
else bad "unit test changed: rc=$rc calls=$(calls)"; fi

touch "$REPO/web/app/app.vue"
run
if [ "$rc" = 0 ] && [ "$(calls)" = "npm run generate;" ] && grep -q "web/app/app.vue changed" "$TMP/out"; then
  ok "a changed source rebuilds, naming the file"
else bad "source changed: rc=$rc calls=$(calls)"; fi

touch "$REPO/web/package-lock.json"
run
if [ "$rc" = 0 ] && [ "$(calls)" = "npm ci --no-audit;npm run generate;" ]; then
  ok "a changed lockfile runs npm ci and rebuilds"
else bad "lockfile changed: rc=$rc calls=$(calls)"; fi

touch "$REPO/web/nuxt.config.ts"
FAIL_GENERATE=1 run
if [ "$rc" = 1 ] && grep -q "build broke" "$TMP/out"; then
  ok "a failed build fails with the end of its log"
else bad "failed build: rc=$rc"; fi
run
if [ "$rc" = 0 ] && [ "$(calls)" = "npm run generate;" ]; then
  ok "after a failed build the next run builds again"
else bad "after a failure: rc=$rc calls=$(calls)"; fi

touch "$REPO/web/app/app.vue"
run --deps
if [ "$rc" = 0 ] && [ "$(calls)" = "" ]; then
  ok "--deps installs dependencies only"
else bad "--deps: rc=$rc calls=$(calls)"; fi

FAKE_NODE_VERSION=18.20.4 run
if [ "$rc" = 3 ] && [ "$(calls)" = "" ] && grep -q "18.20.4" "$TMP/out" && grep -q "nodesource" "$TMP/out"; then
  ok "Node.js 18 (Debian 12's) stops with status 3 and says how to install a current one"
else bad "old node: rc=$rc calls=$(calls)"; fi

exit "$FAILED"
