#!/usr/bin/env bash
# Writes the secret files that an overlay's secretGenerator reads, into
# deploy/k8s/overlays/OVERLAY/secrets/ (git-ignored: deploy/k8s/.gitignore). A file that exists
# is kept, only a trailing newline is removed (kustomize would keep it in the value).
#
# Usage: deploy/k8s/secrets.sh production     jwt-secret (random); database-url from the
#                                             environment's DATABASE_URL (the managed database:
#                                             postgres://user:password@host:5432/chat?sslmode=require,
#                                             the password percent-encoded)
#        deploy/k8s/secrets.sh dev            jwt-secret, postgres-password (random),
#                                             database-url (the overlay's postgres), tls.crt and
#                                             tls.key (self-signed for chat.localhost)
# Needs openssl. Prints what it wrote; never prints a secret.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
overlay=${1:-}
case "$overlay" in
  production | dev) ;;
  *)
    echo "usage: $0 production|dev" >&2
    exit 2
    ;;
esac
dir="$HERE/overlays/$overlay/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

# put NAME COMMAND... : writes the command's output (without trailing newline) to NAME once.
put() {
  local name=$1 value
  shift
  if [ -s "$dir/$name" ]; then
    value=$(cat "$dir/$name") # $(...) drops trailing newlines
    printf '%s' "$value" >"$dir/$name"
    echo "secrets: $overlay/secrets/$name kept"
    return
  fi
  value=$("$@")
  [ -n "$value" ] || { echo "secrets: no value for $name" >&2; exit 1; }
  printf '%s' "$value" >"$dir/$name"
  echo "secrets: $overlay/secrets/$name written"
}
random_hex() { openssl rand -hex 32; }
database_url_from_env() {
  if [ -z "${DATABASE_URL:-}" ]; then
    echo "secrets: set DATABASE_URL (postgres://user:password@host:5432/chat?sslmode=require) for database-url" >&2
    exit 1
  fi
  printf '%s' "$DATABASE_URL"
}
dev_database_url() { printf 'postgres://postgres:%s@postgres:5432/chat?sslmode=disable' "$(cat "$dir/postgres-password")"; }

put jwt-secret random_hex
case "$overlay" in
  production)
    put database-url database_url_from_env
    case "$(cat "$dir/database-url")" in
      *sslmode=require* | *sslmode=verify-ca* | *sslmode=verify-full*) ;;
      *) echo "secrets: warning: database-url has no sslmode=require (or verify-ca/verify-full): the connection may be unencrypted" >&2 ;;
    esac
    ;;
  dev)
    put postgres-password random_hex
    put database-url dev_database_url
    if [ ! -s "$dir/tls.crt" ] || [ ! -s "$dir/tls.key" ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj /CN=chat.localhost \
        -addext "subjectAltName=DNS:chat.localhost" \
        -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1
      echo "secrets: $overlay/secrets/tls.crt and tls.key written (self-signed, chat.localhost)"
    else
      echo "secrets: $overlay/secrets/tls.crt and tls.key kept"
    fi
    ;;
esac
