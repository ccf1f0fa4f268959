#!/bin/sh
# Render nginx.conf.template into a complete nginx.conf.
#
# Usage: render.sh TEMPLATE OUTPUT
#
# Required environment: NGINX_HTTP_PORT NGINX_HTTPS_PORT TLS_CERT TLS_KEY WEB_ROOT API_UPSTREAM
# WS_UPSTREAMS RUN_DIR LOG_DIR. Optional: CSP_SCRIPT_HASHES (hash sources of the SPA's inline
# scripts); when unset it is read from WEB_ROOT/.csp-script-hashes (written by the web image
# build) or computed with csp_hashes.py when python3 is available.
#
# POSIX sh + envsubst, so it runs both on the host (local cluster) and in the nginx:alpine
# container (compose). Only the listed placeholders are substituted; nginx's own $variables
# are left alone. Creates RUN_DIR and LOG_DIR. Fails if a required value is empty or if a
# placeholder survives.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 TEMPLATE OUTPUT" >&2
  exit 2
fi
template=$1
output=$2
here=$(cd "$(dirname "$0")" && pwd)

command -v envsubst >/dev/null 2>&1 || {
  echo "render.sh: envsubst not found (Debian: apt-get install gettext-base)" >&2
  exit 1
}

required='NGINX_HTTP_PORT NGINX_HTTPS_PORT TLS_CERT TLS_KEY WEB_ROOT API_UPSTREAM WS_UPSTREAMS RUN_DIR LOG_DIR'
shell_format=''
for name in $required; do
  eval "value=\${$name-}"
  if [ -z "$value" ]; then
    echo "render.sh: $name is not set" >&2
    exit 1
  fi
  export "${name?}"
  shell_format="$shell_format \${$name}"
done

if [ -z "${CSP_SCRIPT_HASHES+set}" ]; then
  CSP_SCRIPT_HASHES=''
  if [ -f "$WEB_ROOT/.csp-script-hashes" ]; then
    CSP_SCRIPT_HASHES=$(cat "$WEB_ROOT/.csp-script-hashes")
  elif command -v python3 >/dev/null 2>&1 && [ -f "$here/csp_hashes.py" ]; then
    CSP_SCRIPT_HASHES=$(python3 "$here/csp_hashes.py" "$WEB_ROOT")
  fi
fi
export CSP_SCRIPT_HASHES
shell_format="$shell_format \${CSP_SCRIPT_HASHES}"

mkdir -p "$RUN_DIR" "$LOG_DIR" "$(dirname "$output")"
tmp="$output.tmp.$$"
envsubst "$shell_format" <"$template" >"$tmp"
# shellcheck disable=SC2016 # a literal ${NAME} is what is searched for
if grep -n '\${[A-Z][A-Z0-9_]*}' "$tmp" >&2; then
  echo "render.sh: placeholders left unsubstituted in $output (lines above)" >&2
  rm -f "$tmp"
  exit 1
fi
mv "$tmp" "$output"
echo "render.sh: wrote $output"
