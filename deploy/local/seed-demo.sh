#!/usr/bin/env bash
# Demo data through the public REST API (optional; the cluster must be up):
#   users alice, bob, carol (password "password123"), a direct chat alice <-> bob with a few
#   messages, and a group "Demo group" (alice, bob, carol) with messages in its first channel.
#
# Usage: deploy/local/seed-demo.sh            (CHAT_URL=http://127.0.0.1:8000 by default;
#                                              https URLs are accepted, self-signed is fine)
#
# Re-running is safe: existing users log in instead (409 on register), and the direct-chat
# messages use fixed client_ids, so the API answers 200 instead of storing them twice. Each run
# adds one more demo group, unless CHAT_SEED_ONCE=1 (docker-compose.dev.yml's `seed`): then a
# run that finds alice already registered stops there. An endpoint the API does not have yet (404/405/501) is reported and
# the steps that need it are skipped; any other failure stops the script with the API's answer.
set -euo pipefail

CHAT_URL="${CHAT_URL:-http://127.0.0.1:${CHAT_HTTP_PORT:-8000}}"
CHAT_URL="${CHAT_URL%/}"
PASSWORD="password123"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

say() { printf '[seed] %s\n' "$*"; }
die() { printf '[seed] ERROR: %s\n' "$*" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (JSON handling)"

CURL_OPTS=(-sS --max-time 15)
[[ "$CHAT_URL" == https://* ]] && CURL_OPTS+=(-k)

STATUS=""   # of the last call
BODY=""     # of the last call
SKIPPED=0

# api METHOD PATH [TOKEN] [JSON]  -> sets STATUS and BODY, never fails by itself
api() {
  local method=$1 path=$2 token=${3:-} data=${4:-} args=()
  args=("${CURL_OPTS[@]}" -o "$TMP/body" -w '%{http_code}' -X "$method" -H 'Accept: application/json')
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  STATUS="$(curl "${args[@]}" "$CHAT_URL/api$path" 2>"$TMP/err" || true)"
  BODY="$(cat "$TMP/body" 2>/dev/null || true)"
  if [ "$STATUS" = 000 ] || [ -z "$STATUS" ]; then
    die "cannot reach $CHAT_URL ($(tr -d '\n' <"$TMP/err")). Is the cluster up? deploy/local/cluster.sh up"
  fi
}

missing_endpoint() { # true (and reports) when the last call hit an endpoint that does not exist
  case "$STATUS" in
    404 | 405 | 501)
      # a 404 with a domain error code (e.g. user_not_found) is a real answer, not a missing route
      if [ "$STATUS" = 404 ] && json_get '["error"]["code"]' >/dev/null 2>&1 \
        && [ "$(json_get '["error"]["code"]')" != not_found ]; then
        return 1
      fi
      say "SKIPPED: $1 is not available yet (HTTP $STATUS); steps that need it are skipped"
      SKIPPED=$((SKIPPED + 1))
      return 0
      ;;
  esac
  return 1
}

fail_call() { die "$1 answered HTTP $STATUS: ${BODY:0:400}"; }

# json_get PY_PATH [JSON] -> prints the value at PY_PATH (e.g. '["user"]["id"]') of BODY
json_get() {
  printf '%s' "${2:-$BODY}" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for key in __import__("re").findall(r"\[(\"[^\"]*\"|\d+)\]", sys.argv[1]):
    v = v[json.loads(key)] if key.startswith("\"") else v[int(key)]
print(v if not isinstance(v, (dict, list)) else json.dumps(v))
' "$1"
}

json_obj() { # json_obj key value ... -> a JSON object; values that look like JSON stay JSON
  python3 -c '
import json, sys
a = sys.argv[1:]
out = {}
for k, v in zip(a[::2], a[1::2]):
    try:
        out[k] = json.loads(v) if v[:1] in "[{0123456789" or v in ("true", "false", "null") else v
    except ValueError:
        out[k] = v
print(json.dumps(out))
' "$@"
}

# Deterministic client_id per (conversation, index): re-sending the same message is a no-op.
client_id() { python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, "chat-seed:" + sys.argv[1]))' "$1"; }

declare -A TOKEN=() USER_ID=()

login_or_register() { # USERNAME DISPLAY_NAME
  local user=$1 display=$2
  api POST /auth/register "" "$(json_obj username "$user" password "$PASSWORD" display_name "$display")"
  if missing_endpoint "POST /api/auth/register"; then return 1; fi
  case "$STATUS" in
    200 | 201) say "registered $user" ;;
    409)
      if [ "${CHAT_SEED_ONCE:-0}" = 1 ]; then say "demo data already there (CHAT_SEED_ONCE=1): nothing to do"; exit 0; fi
      api POST /auth/login "" "$(json_obj username "$user" password "$PASSWORD")"
      if missing_endpoint "POST /api/auth/login"; then return 1; fi
      [ "$STATUS" = 200 ] || fail_call "login of $user (already registered with another password?)"
      say "logged in $user (already registered)"
      ;;
    *) fail_call "register $user" ;;
  esac
  TOKEN[$user]="$(json_get '["access_token"]')"
  USER_ID[$user]="$(json_get '["user"]["id"]')"
}

send() { # USER CONVERSATION_ID KEY TEXT
  local user=$1 conv=$2 key=$3 text=$4
  api POST "/conversations/$conv/messages" "${TOKEN[$user]}" \
    "$(json_obj client_id "$(client_id "$key")" kind text body "$text")"
  if missing_endpoint "POST /api/conversations/{id}/messages"; then return 1; fi
  case "$STATUS" in
    201) say "  $user: $text" ;;
    200) say "  $user: $text (already there)" ;;
    *) fail_call "send into conversation $conv" ;;
  esac
}

say "seeding $CHAT_URL"
for spec in "alice:Alice Example" "bob:Bob Example" "carol:Carol Example"; do
  login_or_register "${spec%%:*}" "${spec#*:}" || { say "no users, nothing else to do"; exit 0; }
done

# Direct chat alice <-> bob
api POST /conversations/direct "${TOKEN[alice]}" "$(json_obj user_id "${USER_ID[bob]}")"
if ! missing_endpoint "POST /api/conversations/direct"; then
  [[ "$STATUS" == 20[01] ]] || fail_call "direct chat alice -> bob"
  direct="$(json_get '["id"]')"
  say "direct chat alice <-> bob: conversation $direct"
  while IFS='|' read -r user key text; do
    send "$user" "$direct" "$key" "$text" || break
  done <<'EOF'
alice|direct:alice-bob:1|Hi Bob! Welcome to the chat cluster.
bob|direct:alice-bob:2|Hey Alice, messages arrive in real time here.
alice|direct:alice-bob:3|Try killing a ws-server replica: nothing gets lost.
EOF
fi

# Group with alice, bob, carol
api POST /groups "${TOKEN[alice]}" \
  "$(json_obj name "Demo group" member_ids "[${USER_ID[bob]}, ${USER_ID[carol]}]")"
if ! missing_endpoint "POST /api/groups"; then
  [[ "$STATUS" == 20[01] ]] || fail_call "create group"
  group="$(json_get '["id"]')"
  channel="$(printf '%s' "$BODY" | python3 -c '
import json, sys
chs = json.load(sys.stdin).get("channels") or []
general = [c for c in chs if c.get("name") == "general"]
print((general or chs or [{"id": ""}])[0]["id"])')"
  if [ -z "$channel" ]; then
    say "group $group has no channel in the answer: skipping group messages"
  else
    say "group \"Demo group\" $group, channel $channel"
    while IFS='|' read -r user key text; do
      send "$user" "$channel" "$key" "$text" || break
    done <<EOF
alice|group:$group:1|Hello everyone, this is the demo group.
carol|group:$group:2|Hi all! Carol here.
bob|group:$group:3|Group messages fan out through the group.$group routing key.
EOF
  fi
fi

if [ "$SKIPPED" -gt 0 ]; then
  say "done, with $SKIPPED step(s) skipped for endpoints that are not there yet"
else
  say "done. Log in at $CHAT_URL as alice, bob or carol with password $PASSWORD"
fi
