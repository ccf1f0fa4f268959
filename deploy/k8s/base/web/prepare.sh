#!/bin/sh
# Init container of the web pod (image chat/web from deploy/docker/web.Dockerfile, whose /dist
# holds the built site and .csp-script-hashes): copies the site into the volume nginx serves and
# writes the CSP hash sources of its inline scripts as an nginx include (nginx.conf uses
# $chat_script_hashes in its Content-Security-Policy).
#
# Paths can be moved for the offline test of deploy/k8s/check.sh:
#   SITE_SRC (/dist)  SITE_DEST (/srv/web)  CSP_CONF (/run/chat-web/csp.conf)
set -eu
src=${SITE_SRC:-/dist}
dest=${SITE_DEST:-/srv/web}
conf=${CSP_CONF:-/run/chat-web/csp.conf}

if [ ! -f "$src/index.html" ]; then
  echo "prepare: $src/index.html missing (is this the chat/web image?)" >&2
  exit 1
fi
hashes=''
if [ -f "$src/.csp-script-hashes" ]; then
  hashes=$(cat "$src/.csp-script-hashes")
fi
# Only hash sources may reach the header (nothing that could end the nginx string).
if [ -n "$hashes" ] && ! printf '%s\n' "$hashes" | grep -Eq "^('sha256-[A-Za-z0-9+/=]+'( |\$))*\$"; then
  echo "prepare: $src/.csp-script-hashes is not a list of 'sha256-...' sources: $hashes" >&2
  exit 1
fi

find "$dest" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
cp -R "$src/." "$dest/"
# shellcheck disable=SC2016 # nginx variables, written as they are
printf 'map $host $chat_script_hashes {\n    default "%s";\n}\n' "$hashes" >"$conf"
echo "prepare: $(find "$dest" -type f | wc -l) files in $dest; script hashes: ${hashes:-none}"
