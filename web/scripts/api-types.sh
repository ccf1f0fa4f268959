#!/usr/bin/env bash
# The web client's API types, generated from the api-server's OpenAPI document. Both files are
# committed, so a change of a route or a DTO shows in review next to the web code it affects:
#   web/openapi.json           the document, as `api-server openapi` prints it (no server, no
#                              setting, no service needed: it is built from the code)
#   web/app/types/api.gen.ts   openapi-typescript's types of it; app/utils/types.ts names the
#                              schemas the code uses (UserDto = components['schemas']['UserDto'])
#
# Usage: web/scripts/api-types.sh           regenerate both (after changing a route, a DTO or an
#                                           event; e.g. after merging a branch that did)
#        web/scripts/api-types.sh --check   regenerate into a temporary directory and fail when the
#                                           committed files differ (make test runs this)
# API_SERVER_BIN=path  take the document from that binary instead of `cargo run -p api-server`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WEB="$ROOT/web"
DOC=openapi.json
TYPES=app/types/api.gen.ts

say() { printf '[api-types] %s\n' "$*"; }
die() { printf '[api-types] ERROR: %s\n' "$*" >&2; exit 1; }

# Writes the document and its types under DIR (DIR/openapi.json, DIR/app/types/api.gen.ts).
generate_into() {
  local dir=$1
  mkdir -p "$dir/$(dirname "$TYPES")"
  if [ -n "${API_SERVER_BIN:-}" ]; then
    "$API_SERVER_BIN" openapi >"$dir/$DOC" || die "$API_SERVER_BIN openapi failed"
  else
    (cd "$ROOT" && cargo run --quiet -p api-server -- openapi) >"$dir/$DOC" || die "cargo run -p api-server -- openapi failed"
  fi
  local log
  log="$(mktemp)"
  if ! "$WEB/node_modules/.bin/openapi-typescript" "$dir/$DOC" --output "$dir/$TYPES" >"$log" 2>&1; then
    cat "$log" >&2
    die "openapi-typescript failed"
  fi
  rm -f "$log"
}

mode="${1:-write}"
case "$mode" in write | --check) ;; *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac

"$ROOT/deploy/local/web-build.sh" --deps # node, npm and web/node_modules (openapi-typescript)

if [ "$mode" = write ]; then
  generate_into "$WEB"
  say "wrote web/$DOC and web/$TYPES"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
generate_into "$tmp"
stale=0
for f in "$DOC" "$TYPES"; do
  if ! diff -u --label "web/$f (committed)" --label "web/$f (from the code)" "$WEB/$f" "$tmp/$f" >"$tmp/diff" 2>&1; then
    head -n 40 "$tmp/diff" >&2
    stale=1
  fi
done
[ "$stale" = 0 ] || die "web/$DOC or web/$TYPES is stale: run web/scripts/api-types.sh and commit the result"
say "web/$DOC and web/$TYPES match the code"
