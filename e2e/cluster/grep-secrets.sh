#!/usr/bin/env bash
# Fails if the logs the e2e cluster wrote contain a secret: a JWT (access token or ws ticket),
# a bearer header, a refresh token or password value, a ticket or an email link token in a
# query string, a password the tests used, or the JWT signing secret. Run after the e2e flows,
# which log in, refresh, open sockets and send through every process.
#
# Usage: e2e/cluster/grep-secrets.sh LOG_DIR [PASSWORD ...]
set -euo pipefail
dir="$1"
shift
shopt -s nullglob
logs=("$dir"/*.log)
[ "${#logs[@]}" -gt 0 ] || { echo "grep-secrets: no logs in $dir" >&2; exit 1; }

patterns=(
  'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}'   # a JWT
  '[Bb]earer +[A-Za-z0-9._~+/-]{12,}'            # an Authorization header value
  # A secret-named field with a value, in plain or escaped (nested) JSON; the startup config
  # line may say only whether the secret is set.
  '\\?"(refresh_token|password|jwt_secret|ticket)\\?" *: *\\?"(?!(set|development default|\[redacted\])\\?")'
  '[?&]ticket=[A-Za-z0-9._-]{8,}'                 # a ws ticket in a logged URL
  '[?&]token=[A-Za-z0-9_-]{20,}'                  # an email link token (verify / reset) in a logged URL
  "${JWT_SECRET:-dev-only-insecure-jwt-secret-change-me-0000}"
)
for password in "$@"; do patterns+=("$password"); done

lines=$(cat "${logs[@]}" | wc -l)
found=0
for p in "${patterns[@]}"; do
  if hits=$(grep -PHn -m 3 -e "$p" "${logs[@]}"); then
    echo "grep-secrets: FAIL pattern '$p' found:" >&2
    echo "$hits" | cut -c1-300 >&2
    found=1
  fi
done
[ "$found" = 0 ] || exit 1
echo "ok   no tokens, tickets, passwords or secrets in ${#logs[@]} log files ($lines lines)"
