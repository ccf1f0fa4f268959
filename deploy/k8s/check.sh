#!/usr/bin/env bash
# Offline checks of the Kubernetes manifests; deploy/check-configs.sh (so `make test`) runs it.
# No cluster and no network but PyPI (once, for the validator).
#
#  1. every overlay renders with `kubectl kustomize`, from a copy of deploy/k8s whose secret
#     files are throwaway ones made by secrets.sh (the real, git-ignored files are never read);
#  2. the rendered objects validate against the Kubernetes schemas of KUBE_VERSIONS with
#     kubernetes-validate --strict (unknown fields are errors), kept in a venv (.local/k8s-venv);
#  3. deploy/check_k8s.py: its semantic checks on every overlay and on the sources, and its
#     self-test (each check catches a copy broken its way);
#  4. the web pod: prepare.sh and nginx.conf serve a fake site on a loopback port (nginx -t,
#     health, SPA fallback, caching, security headers, the CSP hash, hidden files).
#
# Prints one line per check ("ok   k8s ..." / "FAIL k8s ..."); exits 1 if any failed.
# shellcheck disable=SC2317 # cleanup runs through trap
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${CHAT_K8S_VENV:-$ROOT/.local/k8s-venv}"
VALIDATOR_VERSION=1.37.0
# The oldest minor version still common on managed clusters and the newest the validator has.
KUBE_VERSIONS="1.30.0 1.37.0"
NGINX_BIN="${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}"

TMP="$(mktemp -d)"
chmod 755 "$TMP" # nginx workers run as an unprivileged user when the master is root
NGINX_PID=''
cleanup() {
  if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

FAILED=0
ok() { printf 'ok   k8s %s\n' "$1"; }
bad() { printf 'FAIL k8s %s\n' "$1"; FAILED=1; }
not() { ! "$@"; }
check() { # DESCRIPTION COMMAND... : one line; the command's output only when it fails
  local what=$1; shift
  if "$@" >"$TMP/out" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/       /' "$TMP/out" | tail -n 30; fi
}

# --- 1. render ----------------------------------------------------------------------------------
if ! command -v kubectl >/dev/null 2>&1; then
  bad "kubectl not installed (it renders the overlays: kubectl kustomize)"
  exit 1
fi
mkdir "$TMP/k8s"
tar -C "$HERE" --exclude='./overlays/*/secrets' -cf - . | tar -C "$TMP/k8s" -xf -
mapfile -t OVERLAYS < <(find "$HERE/overlays" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
RENDERED=()
render() { kubectl kustomize "$TMP/k8s/overlays/$1" >"$TMP/$1.yaml"; }
for o in "${OVERLAYS[@]}"; do
  if ! DATABASE_URL='postgres://chat:throwaway@db.example.internal:5432/chat?sslmode=require' \
    "$TMP/k8s/secrets.sh" "$o" >"$TMP/out" 2>&1; then
    bad "secrets.sh $o (throwaway secret files)"; sed 's/^/       /' "$TMP/out"; continue
  fi
  check "overlays/$o renders (kubectl kustomize)" render "$o"
  [ -s "$TMP/$o.yaml" ] && RENDERED+=("$o")
done

# --- 2. schemas ---------------------------------------------------------------------------------
ensure_validator() {
  if "$VENV/bin/kubernetes-validate" --version 2>/dev/null | grep -qx "$VALIDATOR_VERSION"; then
    return 0
  fi
  python3 -m venv "$VENV" &&
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VALIDATOR_VERSION"
}
if ensure_validator >"$TMP/out" 2>&1; then
  for o in "${RENDERED[@]}"; do
    for v in $KUBE_VERSIONS; do
      # Custom resources (RabbitmqCluster) have no bundled schema: a warning, checked by check_k8s.py.
      check "overlays/$o validates against the Kubernetes $v schemas (strict)" \
        "$VENV/bin/kubernetes-validate" --strict --quiet --no-warn -k "$v" "$TMP/$o.yaml"
    done
  done
else
  bad "kubernetes-validate $VALIDATOR_VERSION could not be installed into $VENV (python3 -m venv, pip from PyPI)"
  sed 's/^/       /' "$TMP/out" | tail -n 10
fi

# --- 3. semantics -------------------------------------------------------------------------------
run_py() {
  local rc=0
  python3 "$ROOT/deploy/check_k8s.py" --root "$ROOT" "$@" || rc=$?
  [ "$rc" = 0 ] || FAILED=1
}
args=()
for o in "${RENDERED[@]}"; do args+=("$o=$TMP/$o.yaml"); done
[ ${#args[@]} -gt 0 ] && run_py render "${args[@]}"
run_py sources
[ -s "$TMP/production.yaml" ] && run_py self-test "$TMP/production.yaml"

# --- 4. the web pod's nginx ---------------------------------------------------------------------
web_test() {
  local web="$HERE/base/web" dist="$TMP/web/dist" port conf="$TMP/web/nginx.conf"
  mkdir -p "$dist/_nuxt" "$TMP/web/site" "$TMP/web/tmp"
  cat >"$dist/index.html" <<'EOF'
<!DOCTYPE html><html><head><script>window.__NUXT__={config:{}}</script><script type="module" src="/_nuxt/app.js"></script></head><body>SPA-INDEX</body></html>
EOF
  python3 -c 'print("export const x = 1; // filler\n" * 400)' >"$dist/_nuxt/app.js"
  python3 "$ROOT/deploy/nginx/csp_hashes.py" "$dist" >"$dist/.csp-script-hashes"
  local hash
  hash=$(cat "$dist/.csp-script-hashes")

  mkdir -p "$TMP/web/bad" && cp "$dist/index.html" "$TMP/web/bad/"
  printf '%s' "'sha256-x'; add_header X y" >"$TMP/web/bad/.csp-script-hashes"
  check "web: prepare.sh refuses a hashes file that is not 'sha256-...' sources" \
    not env SITE_SRC="$TMP/web/bad" SITE_DEST="$TMP/web/site" CSP_CONF="$TMP/web/csp.conf" sh "$web/prepare.sh"
  check "web: prepare.sh copies the site and writes the CSP include" \
    env SITE_SRC="$dist" SITE_DEST="$TMP/web/site" CSP_CONF="$TMP/web/csp.conf" sh "$web/prepare.sh"

  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # /tmp/ first: the later replacements insert paths under /tmp themselves.
  sed -e "s|/tmp/|$TMP/web/tmp/|g" -e "s|listen 8080 default_server|listen 127.0.0.1:$port default_server|" \
    -e "s|/run/chat-web/csp.conf|$TMP/web/csp.conf|" -e "s|root /srv/web|root $TMP/web/site|" \
    -e "s|/dev/stdout|$TMP/web/access.log|" -e "s|/dev/stderr|$TMP/web/error.log|" \
    "$web/nginx.conf" >"$conf"
  chmod -R a+rX "$TMP/web"
  check "web: nginx -t (nginx.conf with the paths moved to a temporary folder)" \
    "$NGINX_BIN" -t -q -c "$conf" -e "$TMP/web/error.log"
  "$NGINX_BIN" -c "$conf" -e "$TMP/web/error.log" -g 'daemon off;' >/dev/null 2>&1 &
  NGINX_PID=$!
  WEB_URL="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -fsS -o /dev/null "$WEB_URL/healthz" 2>/dev/null && break; sleep 0.1; done
  WEB_HASH=$hash
  check "web: /healthz answers ok, not cached" web_healthz
  check "web: / is the SPA with the CSP (hash of its inline script), nosniff, DENY" web_index
  check "web: an unknown path gets index.html (client router)" web_spa_fallback
  check "web: /_nuxt/ assets are immutable and gzipped; a missing one is 404" web_assets
  check "web: hidden files are not served" get /.csp-script-hashes 404
  check "web: access log lines are JSON with the ingress request id" web_access_log
}
# get PATH STATUS : fetches into $TMP/web/{headers,body}; true if the status matches.
get() {
  curl -sS -D "$TMP/web/headers" -o "$TMP/web/body" -H 'Accept-Encoding: gzip' "$WEB_URL$1" &&
    head -n1 "$TMP/web/headers" | grep -q " $2"
}
header() { grep -qiF "$1: " "$TMP/web/headers" && grep -i "^$1: " "$TMP/web/headers" | grep -qF -- "$2"; }
body_has() { grep -q "$1" "$TMP/web/body"; }
web_healthz() { get /healthz 200 && body_has '^ok$' && header cache-control no-store; }
web_index() {
  get / 200 && body_has SPA-INDEX && header content-security-policy "script-src 'self' $WEB_HASH;" &&
    header x-content-type-options nosniff && header x-frame-options DENY && header cache-control no-cache
}
web_spa_fallback() { get /c/42 200 && body_has SPA-INDEX; }
web_assets() {
  get /_nuxt/app.js 200 && header cache-control immutable && header content-encoding gzip && get /_nuxt/nope.js 404
}
web_access_log() {
  curl -sS -o /dev/null -H 'X-Request-ID: 0123abcd' "$WEB_URL/" && sleep 0.2 &&
    grep 0123abcd "$TMP/web/access.log" | tail -n1 |
    python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); assert d["service"] == "web" and d["status"] == 200, d'
}
if command -v curl >/dev/null 2>&1 && [ -x "$NGINX_BIN" ]; then
  web_test
else
  bad "web: nginx or curl not installed (deploy/local/test-tools.sh installs them)"
fi

exit "$FAILED"
