#!/usr/bin/env bash
# Functional test of deploy/nginx/nginx.conf.template, no cluster needed.
#
# Renders the template with throwaway values (a fresh self-signed cert, a fake SPA build,
# Python echo upstreams), runs `nginx -t`, then starts nginx on free loopback ports and checks
# the behaviour the cluster relies on: /healthz, SPA fallback, caching, gzip, security headers,
# /api proxying with request id and forwarded headers, retries only for idempotent requests,
# WebSocket upgrade headers over least_conn, body size limit, JSON access log without query
# strings.
#
# Usage: smoke-test.sh [--config-only]    (--config-only: render + `nginx -t` only)
# Prints one line per check; exits non-zero if any check fails.
# shellcheck disable=SC2317 # functions run through trap and check()
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NGINX_BIN="${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}"
CONFIG_ONLY=0
[ "${1:-}" = "--config-only" ] && CONFIG_ONLY=1

for tool in "$NGINX_BIN" openssl curl python3 envsubst; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FAIL nginx smoke test: $tool not found"; exit 1; }
done

TMP="$(mktemp -d)"
chmod 755 "$TMP" # nginx workers run as an unprivileged user when the master is root
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

FAILED=0
pass() { printf 'ok   nginx: %s\n' "$1"; }
fail() { printf 'FAIL nginx: %s\n' "$1"; FAILED=1; }
check() { # description command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

read -r HTTP_PORT HTTPS_PORT API_PORT DROP_PORT WS1_PORT WS2_PORT < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
)

# --- inputs ---------------------------------------------------------------------------------
mkdir -p "$TMP/tls" "$TMP/web/_nuxt" "$TMP/run" "$TMP/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" >/dev/null 2>&1
cat >"$TMP/web/index.html" <<'EOF'
<!DOCTYPE html><html><head><script>window.__NUXT__={config:{}}</script><script type="module" src="/_nuxt/app.js"></script></head><body><div id="__nuxt">SPA-INDEX</div></body></html>
EOF
python3 -c 'print("export const x = 1; // filler\n" * 400)' >"$TMP/web/_nuxt/app.js"
echo "not public" >"$TMP/web/.hidden"

export NGINX_HTTP_PORT="$HTTP_PORT" NGINX_HTTPS_PORT="$HTTPS_PORT"
export TLS_CERT="$TMP/tls/cert.pem" TLS_KEY="$TMP/tls/key.pem"
export WEB_ROOT="$TMP/web" RUN_DIR="$TMP/run" LOG_DIR="$TMP/logs"
# The first api peer takes each request and drops the connection without answering; failure
# accounting is off, so round robin keeps sending every other request to it. GETs must then be
# retried on the live peer, POSTs must not (the request may have been applied).
export API_UPSTREAM="server 127.0.0.1:$DROP_PORT max_fails=0; server 127.0.0.1:$API_PORT max_fails=0;"
export WS_UPSTREAMS="server 127.0.0.1:$WS1_PORT;
        server 127.0.0.1:$WS2_PORT;"
unset CSP_SCRIPT_HASHES

CONF="$TMP/nginx.conf"
if "$HERE/render.sh" "$HERE/nginx.conf.template" "$CONF" >/dev/null; then
  pass "template renders (all placeholders substituted)"
else
  fail "template renders"; exit 1
fi
if out=$("$NGINX_BIN" -t -q -c "$CONF" -p "$TMP/" -e "$TMP/logs/nginx-error.log" 2>&1); then
  pass "nginx -t accepts the rendered config"
else
  printf '%s\n' "$out"; fail "nginx -t accepts the rendered config"; exit 1
fi
[ "$CONFIG_ONLY" = 1 ] && exit "$FAILED"

# --- run ------------------------------------------------------------------------------------
python3 "$HERE/echo_upstream.py" "$API_PORT" api >/dev/null 2>&1 & PIDS+=($!)
python3 "$HERE/echo_upstream.py" "$DROP_PORT" drop >/dev/null 2>&1 & PIDS+=($!)
python3 "$HERE/echo_upstream.py" "$WS1_PORT" ws-1 >/dev/null 2>&1 & PIDS+=($!)
python3 "$HERE/echo_upstream.py" "$WS2_PORT" ws-2 >/dev/null 2>&1 & PIDS+=($!)
"$NGINX_BIN" -c "$CONF" -p "$TMP/" -e "$TMP/logs/nginx-error.log" -g 'daemon off;' & PIDS+=($!)

H="http://127.0.0.1:$HTTP_PORT"
S="https://127.0.0.1:$HTTPS_PORT"
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "$H/healthz" 2>/dev/null \
    && curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/" 2>/dev/null \
    && curl -fsS -o /dev/null "http://127.0.0.1:$WS2_PORT/" 2>/dev/null \
    && (exec 3<>"/dev/tcp/127.0.0.1/$DROP_PORT") 2>/dev/null && break
  sleep 0.1
done

# fetch URL [curl args...] -> $TMP/h (headers, lower-cased) $TMP/b (body), prints status
fetch() {
  local url=$1; shift
  curl -ksS -o "$TMP/b" -D "$TMP/h.raw" -w '%{http_code}' "$@" "$url" || true
  tr '[:upper:]' '[:lower:]' <"$TMP/h.raw" | tr -d '\r' >"$TMP/h"
}
has_header() { grep -q "^$1" "$TMP/h"; }
body_json() { python3 -c "import json,sys; d=json.load(open('$TMP/b')); sys.exit(0 if ($1) else 1)"; }

st=$(fetch "$H/healthz")
check "/healthz answered by nginx (200 ok)" test "$st" = 200 -a "$(cat "$TMP/b")" = ok
check "no HSTS on plain HTTP" test "$(grep -c '^strict-transport-security' "$TMP/h")" = 0

st=$(fetch "$S/healthz" --tlsv1.3)
check "TLS 1.3 on the https port" test "$st" = 200
check "HSTS on TLS" has_header 'strict-transport-security: max-age=31536000'
st=$(fetch "$S/healthz" --tlsv1.2 --tls-max 1.2)
check "TLS 1.2 on the https port" test "$st" = 200

st=$(fetch "$H/chats/42")
check "SPA fallback: unknown path serves index.html" grep -q SPA-INDEX "$TMP/b"
check "index.html is revalidated (Cache-Control: no-cache)" has_header 'cache-control: no-cache'
inline_hash=$(python3 "$HERE/csp_hashes.py" "$TMP/web")
check "CSP: self + hash of the inline script" grep -qF "script-src 'self' ${inline_hash,,}" "$TMP/h"
check "CSP: connect-src allows ws/wss to the same host" grep -q "connect-src 'self' ws://127.0.0.1:$HTTP_PORT wss://127.0.0.1:$HTTP_PORT" "$TMP/h"
check "X-Content-Type-Options nosniff" has_header 'x-content-type-options: nosniff'
check "X-Frame-Options DENY" has_header 'x-frame-options: deny'
check "Referrer-Policy" has_header 'referrer-policy: strict-origin-when-cross-origin'

st=$(fetch "$H/_nuxt/app.js" -H 'Accept-Encoding: gzip')
check "/_nuxt/ assets are immutable" has_header 'cache-control: public, max-age=31536000, immutable'
check "gzip for text assets" has_header 'content-encoding: gzip'
check "CSP kept on /_nuxt/ responses" has_header 'content-security-policy:'
st=$(fetch "$H/_nuxt/missing.js")
check "missing /_nuxt/ asset is 404, not index.html" test "$st" = 404
st=$(fetch "$H/.hidden")
check "hidden files are not served" test "$st" = 404

st=$(fetch "$H/api/echo?x=1" -H 'X-Forwarded-For: 203.0.113.9')
rid=$(sed -n 's/^x-request-id: //p' "$TMP/h")
check "/api/ proxied with the /api prefix kept" body_json "d['path'] == '/api/echo?x=1'"
check "X-Request-Id sent upstream and returned to the client" body_json "len('$rid') == 32 and d['headers'].get('x-request-id') == '$rid'"
check "X-Real-IP and X-Forwarded-For" body_json "d['headers'].get('x-real-ip') == '127.0.0.1' and d['headers'].get('x-forwarded-for') == '203.0.113.9, 127.0.0.1'"
check "X-Forwarded-Proto http" body_json "d['headers'].get('x-forwarded-proto') == 'http'"
check "no Cache-Control added to API responses" test "$(grep -c '^cache-control' "$TMP/h")" = 0
st=$(fetch "$S/api/echo")
check "X-Forwarded-Proto https" body_json "d['headers'].get('x-forwarded-proto') == 'https'"

gets=""; posts=""
for _ in 1 2 3 4; do gets="$gets $(fetch "$H/api/echo")"; done
for _ in 1 2 3 4; do posts="$posts $(fetch "$H/api/echo" -X POST -H 'Content-Type: application/json' -d '{}')"; done
check "idempotent GETs retried on the next api replica (all 200:$gets)" test "$gets" = " 200 200 200 200"
check "POSTs not retried after the request reached a replica (some 502:$posts)" grep -q 502 <<<"$posts"

seen=""
for _ in 1 2 3 4; do
  fetch "$H/ws?ticket=secret-ticket" -H 'Upgrade: websocket' -H 'Connection: Upgrade' -H 'Origin: http://localhost:8000' >/dev/null
  body_json "d['headers'].get('upgrade') == 'websocket' and d['headers'].get('connection') == 'upgrade' and d['headers'].get('origin') == 'http://localhost:8000'" || seen="$seen BAD"
  seen="$seen $(python3 -c "import json; print(json.load(open('$TMP/b'))['upstream'])")"
done
check "/ws passes Upgrade/Connection/Origin" test "${seen/BAD/}" = "$seen"
check "/ws spread over both ws replicas ($seen)" test "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c ws-)" = 2

# Large bodies only on the upload routes. (PUT, not the route's POST: PUT is idempotent, so the
# dropping peer's share is retried and every request gets the live echo upstream's answer.)
head -c $((26 * 1024 * 1024 + 1)) /dev/zero >"$TMP/big"
st=$(fetch "$H/api/media" -X PUT --data-binary @"$TMP/big" -H 'Content-Type: application/octet-stream')
check "uploads over 26m rejected (413)" test "$st" = 413
head -c $((25 * 1024 * 1024 + 8192)) /dev/zero >"$TMP/ok"
st=$(fetch "$H/api/media?kind=file" -X PUT --data-binary @"$TMP/ok" -H 'Content-Type: application/octet-stream')
check "a 25 MiB upload with its framing accepted on /api/media" test "$st" = 200
check "the upload route is proxied like the rest of /api (request id, prefix kept)" \
  body_json "d['path'] == '/api/media?kind=file' and len(d['headers'].get('x-request-id', '')) == 32"
head -c $((10 * 1024 * 1024 + 8192)) /dev/zero >"$TMP/avatar"
st=$(fetch "$H/api/avatars/groups/7" -X PUT --data-binary @"$TMP/avatar" -H 'Content-Type: application/octet-stream')
check "a 10 MiB avatar with its framing accepted on /api/avatars/" test "$st" = 200
head -c $((11 * 1024 * 1024 + 1)) /dev/zero >"$TMP/avatar"
st=$(fetch "$H/api/avatars/me" -X PUT --data-binary @"$TMP/avatar" -H 'Content-Type: application/octet-stream')
check "avatars over 11m rejected (413)" test "$st" = 413
head -c $((64 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$TMP/json"
st=$(fetch "$H/api/echo" -X PUT --data-binary @"$TMP/json" -H 'Content-Type: application/json')
check "bodies over 64k elsewhere rejected (413)" test "$st" = 413
check "the 413 is the API's JSON error (payload_too_large)" body_json "d['error']['code'] == 'payload_too_large'"
head -c $((64 * 1024)) /dev/zero | tr '\0' 'x' >"$TMP/json"
st=$(fetch "$H/api/echo" -X PUT --data-binary @"$TMP/json" -H 'Content-Type: application/json')
check "a 64 KiB body elsewhere accepted" test "$st" = 200

sleep 0.2
check "access log: JSON lines with ts, level, service, request_id" python3 - "$TMP/logs/nginx.log" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines, "empty access log"
for d in lines:
    assert d["service"] == "nginx" and d["level"] in ("info", "warn", "error"), d
    assert len(d["request_id"]) == 32 and d["ts"] and isinstance(d["status"], int), d
EOF
check "access log: query strings (ws tickets) never logged" test "$(grep -c secret-ticket "$TMP/logs/nginx.log")" = 0

exit "$FAILED"
