#!/usr/bin/env bash
# Native local cluster: one api-server, N ws-server replicas (default 2), nginx in front and a
# mail sink (node `mail`: e2e/smtp-sink, receives every mail the api-server sends),
# all as plain processes of this machine; PostgreSQL, RabbitMQ and Memcached come from
# deploy/local/services.sh. Everything this script starts lives under .local/:
#   .local/logs/<node>.log   stdout+stderr of each process (JSON lines), nginx.log (access, JSON)
#   .local/run/<node>.pid    pid files; .local/run/nginx.conf the rendered nginx config
#   .local/tls/              self-signed certificate (CN localhost), made once
#
# Usage: deploy/local/cluster.sh up|down|restart|status|logs [-f] [NODE]
#
# Environment (all optional; the defaults give a working local cluster):
#   DATABASE_URL     postgres://postgres@127.0.0.1:5432/chat?sslmode=disable (created if missing;
#                    no TLS over loopback: it cost ~10 % of PostgreSQL's CPU per send, see BENCHMARKS.md)
#   AMQP_URL         amqp://guest:guest@127.0.0.1:5672/%2f
#   MEMCACHED_URL    memcache://127.0.0.1:11211
#   ALLOWED_ORIGINS  http(s) origins of the nginx ports on localhost and 127.0.0.1
#   PUBLIC_URL       where browsers reach the web client (links in emails, OIDC redirects)
#   LOG_FORMAT=json  RUST_LOG=info  MEDIA_DIR=.local/media  (JWT_SECRET etc. pass through)
#   DEMO_DATA=true   a database without users gets the demo users alice, bob and carol (password
#                    password123) with a direct chat and a group; false: start empty
#   CHAT_HTTP_PORT=8000 CHAT_HTTPS_PORT=8443   nginx ports
#   CHAT_API_PORT=8080                         api-server port (node api-1)
#   CHAT_WS_REPLICAS=2 CHAT_WS_BASE_PORT=8090  ws-<i> listens on base+i: ws-1 8091, ws-2 8092 ...
#   CHAT_OIDC_PORT=8055                        the test OpenID provider (node `oidc`, e2e/oidc-provider):
#                                              started when OIDC_PROVIDERS names `local`, which is the
#                                              default ("Sign in with Local OIDC" approves everyone as
#                                              local.user: a development convenience, never expose it).
#                                              Set OIDC_PROVIDERS (e.g. google + its OIDC_GOOGLE_*) to
#                                              use real providers instead; OIDC_PROVIDERS=none for none
#                                              `up` remembers the count until `down` (scaling)
#   CHAT_SMTP_PORT=2525 CHAT_MAIL_HTTP_PORT=8025  mail sink: SMTP (the api's SMTP_URL) and HTTP
#                                              (GET /messages?to=<addr>, DELETE /messages)
#   CHAT_MAIL_SINK=0                           no mail sink: set SMTP_URL to a real server instead
#   CHAT_WAIT_SECONDS=60                       how long `up` waits for every /readyz
#   CHAT_PROFILE=release                       cargo profile of the binaries (tests use debug: the
#                                              test build already made them)
#   CHAT_SKIP_BUILD=1                          use the binaries in target/<profile> as they are
#   CHAT_SKIP_WEB_BUILD=1                      serve web/.output/public as it is (by default `up`
#                                              runs deploy/local/web-build.sh: npm ci + npm run
#                                              generate when the build is missing or older than web/)
#   CHAT_SKIP_SERVICES=1                       do not run services.sh nor create the database
#                                              (services and database already there)
#   CHAT_PROMETHEUS=1                          also run Prometheus on 127.0.0.1:9090
#   CARGO_TARGET_DIR                           where the binaries are (default ./target)
#   CHAT_STATE_DIR                             instead of .local/ (e.g. an isolated test cluster)
#   CHAT_NODE_PREFIX                           prefix of every NODE_ID: node ids (and so the queues
#                                              ws.<NODE_ID>) must be unique on the broker, so a second
#                                              cluster on the same RabbitMQ needs its own prefix
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${CHAT_STATE_DIR:-$ROOT/.local}"
RUN="$LOCAL/run"
LOGS="$LOCAL/logs"
TLS="$LOCAL/tls"

HTTP_PORT="${CHAT_HTTP_PORT:-8000}"
HTTPS_PORT="${CHAT_HTTPS_PORT:-8443}"
API_PORT="${CHAT_API_PORT:-8080}"
WS_REPLICAS="${CHAT_WS_REPLICAS:-$(cat "$RUN/ws-replicas" 2>/dev/null || echo 2)}"
[[ "$WS_REPLICAS" =~ ^[1-9][0-9]*$ ]] || { echo "CHAT_WS_REPLICAS must be a positive number" >&2; exit 2; }
WS_BASE_PORT="${CHAT_WS_BASE_PORT:-8090}"
WAIT_SECONDS="${CHAT_WAIT_SECONDS:-60}"
STOP_SECONDS="${CHAT_STOP_SECONDS:-20}"
PROMETHEUS_PORT="${CHAT_PROMETHEUS_PORT:-9090}"
SMTP_PORT="${CHAT_SMTP_PORT:-2525}"
MAIL_HTTP_PORT="${CHAT_MAIL_HTTP_PORT:-8025}"
MAIL_SINK="${CHAT_MAIL_SINK:-1}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
PROFILE="${CHAT_PROFILE:-release}"
case "$PROFILE" in release|debug) ;; *) echo "CHAT_PROFILE must be release or debug" >&2; exit 2 ;; esac
API_BIN="$TARGET_DIR/$PROFILE/api-server"
WS_BIN="$TARGET_DIR/$PROFILE/ws-server"
MAIL_BIN="$TARGET_DIR/$PROFILE/smtp-sink"
OIDC_BIN="$TARGET_DIR/$PROFILE/oidc-provider"
OIDC_PORT="${CHAT_OIDC_PORT:-8055}"
NGINX_BIN="${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/chat?sslmode=disable}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
export MEMCACHED_URL="${MEMCACHED_URL:-memcache://127.0.0.1:11211}"
export ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-http://localhost:$HTTP_PORT,https://localhost:$HTTPS_PORT,http://127.0.0.1:$HTTP_PORT,https://127.0.0.1:$HTTPS_PORT}"
export PUBLIC_URL="${PUBLIC_URL:-http://localhost:$HTTP_PORT}"
export SMTP_URL="${SMTP_URL:-smtp://127.0.0.1:$SMTP_PORT}"
export LOG_FORMAT="${LOG_FORMAT:-json}"
export RUST_LOG="${RUST_LOG:-info}"
export MEDIA_DIR="${MEDIA_DIR:-$LOCAL/media}"
# A new database gets the demo users alice, bob and carol and their chats (api-server, once).
export DEMO_DATA="${DEMO_DATA:-true}"
# Sign-in with OpenID Connect: the local test provider unless real providers are configured.
export OIDC_PROVIDERS="${OIDC_PROVIDERS:-local}"
[ "$OIDC_PROVIDERS" = none ] && OIDC_PROVIDERS=""
export OIDC_LOCAL_ISSUER="${OIDC_LOCAL_ISSUER:-http://127.0.0.1:$OIDC_PORT}"
export OIDC_LOCAL_CLIENT_ID="${OIDC_LOCAL_CLIENT_ID:-chat-local}"
export OIDC_LOCAL_CLIENT_SECRET="${OIDC_LOCAL_CLIENT_SECRET:-local-secret}"
export OIDC_LOCAL_LABEL="${OIDC_LOCAL_LABEL:-Local OIDC}"
oidc_wanted() { [[ ",${OIDC_PROVIDERS// /}," == *,local,* ]]; }

# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"

say() { printf '[cluster] %s\n' "$*"; }
rel() { echo "${1#"$ROOT"/}"; } # a path as shown to people: relative to the repository
warn() { printf '[cluster] WARNING: %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# --- nodes ------------------------------------------------------------------------------------
ws_port() { echo $((WS_BASE_PORT + $1)); }
ws_nodes() { local i; for ((i = 1; i <= WS_REPLICAS; i++)); do echo "ws-$i"; done; }
# ws nodes that have a pid file, whatever CHAT_WS_REPLICAS says now (for down/status)
known_ws_nodes() {
  local f
  for f in "$RUN"/ws-*.pid; do
    if [ -e "$f" ]; then basename "$f" .pid; fi
  done | sort -t- -k2 -n
}
node_port() {
  case "$1" in
    api-1) echo "$API_PORT" ;;
    ws-*) ws_port "${1#ws-}" ;;
    nginx) echo "$HTTP_PORT" ;;
    prometheus) echo "$PROMETHEUS_PORT" ;;
    mail) echo "$MAIL_HTTP_PORT" ;;
    oidc) echo "$OIDC_PORT" ;;
  esac
}
node_binary_name() {
  case "$1" in api-*) echo api-server ;; ws-*) echo ws-server ;; mail) echo smtp-sink ;; oidc) echo oidc-provider ;; *) echo "$1" ;; esac
}
ready_url() {
  case "$1" in
    oidc) echo "http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration" ;;
    nginx) echo "http://127.0.0.1:$HTTP_PORT/healthz" ;;
    prometheus) echo "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" ;;
    mail) echo "http://127.0.0.1:$MAIL_HTTP_PORT/messages" ;;
    *) echo "http://127.0.0.1:$(node_port "$1")/readyz" ;;
  esac
}
log_file() {
  case "$1" in nginx) echo "$LOGS/nginx-error.log" ;; *) echo "$LOGS/$1.log" ;; esac
}

# --- processes --------------------------------------------------------------------------------
pid_of() { # prints the pid if NODE runs (pid file + live process running the right binary)
  local f="$RUN/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || { rm -f "$f"; return 1; }
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$(node_binary_name "$1")"; then
    echo "$pid"
    return 0
  fi
  rm -f "$f" # stale: the process is gone or the pid was reused
  return 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true; }

start_node() { # NODE BINARY ADDR_VAR [ARG...] — in the background, own session, output to its log
  local node=$1 bin=$2 addr_var=$3 port pid
  shift 3
  port="$(node_port "$node")"
  if pid="$(pid_of "$node")"; then
    say "$node: already running (pid $pid, 127.0.0.1:$port)"
    return 0
  fi
  [ -x "$bin" ] || die "$bin not found: build it (cargo build -p $(node_binary_name "$node"), with --release for the release profile) or unset CHAT_SKIP_BUILD"
  port_busy "$port" && die "port $port (for $node) is already in use by a process this script did not start"
  printf '{"ts":"%s","level":"info","msg":"cluster.sh: starting %s","target":"cluster","service":"cluster","node_id":"%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$node" "$node" >>"$LOGS/$node.log"
  (
    cd "$ROOT"
    exec setsid env "$addr_var=127.0.0.1:$port" NODE_ID="${CHAT_NODE_PREFIX:-}$node" "$bin" "$@"
  ) >>"$LOGS/$node.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$RUN/$node.pid"
  say "$node: started (pid $pid, 127.0.0.1:$port, log $(rel "$LOGS/$node.log"))"
}

stop_nodes() { # NODE... — SIGTERM all, wait up to STOP_SECONDS, then SIGKILL the rest
  local node pid pids=() names=() i
  for node in "$@"; do
    if pid="$(pid_of "$node")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$node")
      say "$node: SIGTERM (pid $pid)"
    else
      rm -f "$RUN/$node.pid"
    fi
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  for ((i = 0; i < STOP_SECONDS * 10; i++)); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      warn "${names[$i]}: still running after ${STOP_SECONDS}s, SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    else
      say "${names[$i]}: stopped"
    fi
    rm -f "$RUN/${names[$i]}.pid"
  done
}

# --- up steps ---------------------------------------------------------------------------------
ensure_tools() {
  local missing=() cmd pkg
  for cmd in nginx openssl curl envsubst setsid; do
    case "$cmd" in
      nginx) [ -x "$NGINX_BIN" ] && continue; pkg=nginx-light ;;
      envsubst) pkg=gettext-base ;;
      setsid) pkg=util-linux ;;
      *) pkg=$cmd ;;
    esac
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install cluster "${missing[@]}" || exit 1
  NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"
  [ -x "$NGINX_BIN" ] || die "nginx still not found after installing nginx-light"
}

ensure_database() { # create the application database if it is missing
  command -v psql >/dev/null 2>&1 || { warn "psql not found: not checking that the database exists"; return 0; }
  local rest userinfo hostport host port user pass db admin_db
  rest="${DATABASE_URL#*://}"
  userinfo=""; [[ "$rest" == *@* ]] && userinfo="${rest%%@*}" && rest="${rest#*@}"
  hostport="${rest%%/*}"; db="${rest#*/}"; db="${db%%\?*}"
  host="${hostport%%:*}"; port=5432; [[ "$hostport" == *:* ]] && port="${hostport##*:}"
  user="${userinfo%%:*}"; user="${user:-postgres}"
  pass=""; [[ "$userinfo" == *:* ]] && pass="${userinfo#*:}"
  [[ "$db" =~ ^[A-Za-z0-9_]+$ ]] || die "unexpected database name '$db' in DATABASE_URL"
  for admin_db in postgres test template1; do
    if PGPASSWORD="$pass" psql -h "$host" -p "$port" -U "$user" -d "$admin_db" -tAc 'SELECT 1' >/dev/null 2>&1; then
      if [ "$(PGPASSWORD="$pass" psql -h "$host" -p "$port" -U "$user" -d "$admin_db" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" = 1 ]; then
        say "PostgreSQL: database $db exists"
      else
        PGPASSWORD="$pass" psql -h "$host" -p "$port" -U "$user" -d "$admin_db" -qc "CREATE DATABASE \"$db\"" >/dev/null \
          || die "could not create database $db on $host:$port as $user"
        say "PostgreSQL: created database $db"
      fi
      return 0
    fi
  done
  die "cannot connect to PostgreSQL at $host:$port as $user (tried databases postgres, test, template1)"
}

ensure_cert() {
  [ -s "$TLS/cert.pem" ] && [ -s "$TLS/key.pem" ] || say "TLS: generating a self-signed certificate for localhost in $(rel "$TLS")/"
  self_signed_cert "$TLS" localhost 127.0.0.1 || die "openssl could not create the certificate"
}

# The web client, built when missing or stale. Without a recent enough Node.js (exit status 3)
# nginx serves deploy/local/placeholder, which says how to install it; other failures stop `up`.
build_web() {
  local rc=0
  bash "$ROOT/deploy/local/web-build.sh" || rc=$?
  case "$rc" in
    0) ;;
    3) warn "the web client is not built (see above): nginx serves $(rel "$(web_root)")/" ;;
    *) die "deploy/local/web-build.sh failed" ;;
  esac
}

web_root() { web_root_of "$ROOT"; }

render_nginx() {
  local node ws=""
  for node in $(ws_nodes); do
    ws="${ws}server 127.0.0.1:$(node_port "$node") max_fails=1 fail_timeout=5s;
        "
  done
  NGINX_HTTP_PORT="$HTTP_PORT" NGINX_HTTPS_PORT="$HTTPS_PORT" \
    TLS_CERT="$TLS/cert.pem" TLS_KEY="$TLS/key.pem" WEB_ROOT="$(web_root)" \
    API_UPSTREAM="server 127.0.0.1:$API_PORT max_fails=3 fail_timeout=10s;" \
    WS_UPSTREAMS="$ws" RUN_DIR="$RUN/nginx" LOG_DIR="$LOGS" \
    sh "$ROOT/deploy/nginx/render.sh" "$ROOT/deploy/nginx/nginx.conf.template" "$RUN/nginx.conf" >/dev/null
  local out
  out="$("$NGINX_BIN" -t -q -c "$RUN/nginx.conf" -p "$RUN/nginx/" -e "$LOGS/nginx-error.log" 2>&1)" \
    || { printf '%s\n' "$out" >&2; die "nginx rejected $(rel "$RUN/nginx.conf")"; }
}

start_nginx() {
  local pid
  render_nginx
  if pid="$(pid_of nginx)"; then
    "$NGINX_BIN" -c "$RUN/nginx.conf" -p "$RUN/nginx/" -e "$LOGS/nginx-error.log" -s reload
    say "nginx: already running (pid $pid), configuration reloaded"
    return 0
  fi
  port_busy "$HTTP_PORT" && die "port $HTTP_PORT (nginx http) is already in use"
  port_busy "$HTTPS_PORT" && die "port $HTTPS_PORT (nginx https) is already in use"
  # Its errors go to .local/logs/nginx-error.log (-e and error_log); stray output to run/.
  (exec setsid "$NGINX_BIN" -c "$RUN/nginx.conf" -p "$RUN/nginx/" -e "$LOGS/nginx-error.log" -g 'daemon off;') \
    >>"$RUN/nginx/stdout.txt" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$RUN/nginx.pid"
  say "nginx: started (pid $pid, http :$HTTP_PORT, https :$HTTPS_PORT, web root $(web_root))"
}

start_prometheus() {
  command -v prometheus >/dev/null 2>&1 || { warn "CHAT_PROMETHEUS=1 but prometheus is not installed (apt-get install prometheus)"; return 0; }
  local pid targets="" node
  for node in $(ws_nodes); do targets="$targets\"127.0.0.1:$(node_port "$node")\", "; done
  mkdir -p "$RUN/prometheus" "$LOCAL/prometheus"
  cp "$ROOT/observability/prometheus/alerts.yml" "$RUN/prometheus/alerts.yml"
  sed -e "s|\"127.0.0.1:8080\"|\"127.0.0.1:$API_PORT\"|" \
    -e "s|\"127.0.0.1:8091\", \"127.0.0.1:8092\"|${targets%, }|" \
    -e "s|\"127.0.0.1:9090\"|\"127.0.0.1:$PROMETHEUS_PORT\"|" \
    "$ROOT/observability/prometheus/prometheus.local.yml" >"$RUN/prometheus/prometheus.yml"
  if pid="$(pid_of prometheus)"; then
    kill -HUP "$pid"
    say "prometheus: already running (pid $pid), configuration reloaded"
    return 0
  fi
  (exec setsid prometheus --config.file="$RUN/prometheus/prometheus.yml" --storage.tsdb.path="$LOCAL/prometheus" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --log.format=json) >>"$LOGS/prometheus.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$RUN/prometheus.pid"
  say "prometheus: started (pid $pid, http://127.0.0.1:$PROMETHEUS_PORT)"
}

wait_ready() { # NODE... — until every readiness URL answers 200, bounded by the deadline
  local pending=("$@") still node code now last_report=0
  while [ ${#pending[@]} -gt 0 ]; do
    still=()
    for node in "${pending[@]}"; do
      code="$(http_code "$(ready_url "$node")")"
      if [ "$code" = 200 ]; then
        say "$node: ready ($(ready_url "$node"))"
        continue
      fi
      if ! pid_of "$node" >/dev/null; then
        fail_node "$node" "exited during start-up"
      fi
      still+=("$node")
      LAST_CODE[$node]="$code"
    done
    pending=("${still[@]+"${still[@]}"}")
    [ ${#pending[@]} -eq 0 ] && break
    now=$SECONDS
    if [ "$now" -ge "$DEADLINE" ]; then
      for node in "${pending[@]}"; do
        fail_node "$node" "not ready after ${WAIT_SECONDS}s (last answer: ${LAST_CODE[$node]:-none})" nodie
      done
      die "cluster not ready; logs in $(rel "$LOGS")/, stop with: deploy/local/cluster.sh down"
    fi
    if [ $((now - last_report)) -ge 5 ]; then
      local msg="" n
      for n in "${pending[@]}"; do msg="$msg $n(${LAST_CODE[$n]:-000})"; done
      say "waiting for:$msg — $((DEADLINE - now))s left"
      last_report=$now
    fi
    sleep 0.5
  done
}

fail_node() { # NODE REASON [nodie]
  local f
  f="$(log_file "$1")"
  printf '[cluster] ERROR: %s %s. Last lines of %s:\n' "$1" "$2" "${f#"$ROOT"/}" >&2
  tail -n 30 "$f" 2>/dev/null | sed 's/^/    /' >&2 || true
  [ "${3:-}" = nodie ] || die "start-up failed; stop the rest with: deploy/local/cluster.sh down"
}

cmd_up() {
  mkdir -p "$RUN" "$LOGS" "$TLS" "$MEDIA_DIR"
  declare -gA LAST_CODE=()
  if [ "${CHAT_SKIP_SERVICES:-0}" != 1 ]; then
    say "services: deploy/local/services.sh"
    bash "$ROOT/deploy/local/services.sh" || die "deploy/local/services.sh failed (PostgreSQL, RabbitMQ, Memcached)"
  fi
  ensure_tools
  [ "${CHAT_SKIP_SERVICES:-0}" = 1 ] || ensure_database
  if [ "${CHAT_SKIP_BUILD:-0}" != 1 ]; then
    local flag=(--release)
    [ "$PROFILE" = debug ] && flag=()
    say "build: cargo build ${flag[*]} -p api-server -p ws-server -p smtp-sink -p oidc-provider"
    (cd "$ROOT" && cargo build "${flag[@]}" -p api-server -p ws-server -p smtp-sink -p oidc-provider) || die "cargo build failed"
  else
    # A test build does not make the helper nodes' binaries (they have no integration tests of
    # their own): a small build of the missing ones.
    local missing=()
    if [ "$MAIL_SINK" = 1 ] && [ ! -x "$MAIL_BIN" ]; then missing+=(-p smtp-sink); fi
    if oidc_wanted && [ ! -x "$OIDC_BIN" ]; then missing+=(-p oidc-provider); fi
    if [ ${#missing[@]} -gt 0 ]; then
      local flag=(--release)
      [ "$PROFILE" = debug ] && flag=()
      say "build: cargo build ${flag[*]} ${missing[*]} (their binaries are missing)"
      (cd "$ROOT" && cargo build "${flag[@]}" "${missing[@]}") || die "cargo build failed"
    fi
  fi
  [ "${CHAT_SKIP_WEB_BUILD:-0}" = 1 ] || build_web
  ensure_cert

  echo "$WS_REPLICAS" >"$RUN/ws-replicas"
  DEADLINE=$((SECONDS + WAIT_SECONDS))
  if [ "$MAIL_SINK" = 1 ]; then
    if ! pid_of mail >/dev/null; then
      port_busy "$SMTP_PORT" && die "port $SMTP_PORT (mail sink SMTP) is already in use by a process this script did not start"
    fi
    start_node mail "$MAIL_BIN" SMTP_SINK_HTTP --smtp "127.0.0.1:$SMTP_PORT" --http "127.0.0.1:$MAIL_HTTP_PORT"
  fi
  if oidc_wanted; then
    start_node oidc "$OIDC_BIN" OIDC_PROVIDER_ADDR --addr "127.0.0.1:$OIDC_PORT" --issuer "$OIDC_LOCAL_ISSUER" \
      --client-id "$OIDC_LOCAL_CLIENT_ID" --client-secret "$OIDC_LOCAL_CLIENT_SECRET"
  fi
  # The api-server applies the migrations at start: the ws replicas start once it is ready.
  # The admin overview shows each ws replica's health: the api-server asks them directly.
  if [ -z "${CLUSTER_NODES:-}" ]; then
    CLUSTER_NODES="$(for n in $(ws_nodes); do printf '%s=http://127.0.0.1:%s,' "$n" "$(node_port "$n")"; done)"
    export CLUSTER_NODES="${CLUSTER_NODES%,}"
  fi
  start_node api-1 "$API_BIN" API_ADDR
  wait_ready api-1
  local node
  for node in $(ws_nodes); do start_node "$node" "$WS_BIN" WS_ADDR; done
  start_nginx
  # Replicas beyond CHAT_WS_REPLICAS (scaled down): out of nginx first, then stopped.
  local extra=()
  for node in $(known_ws_nodes); do
    [ "${node#ws-}" -gt "$WS_REPLICAS" ] && extra+=("$node")
  done
  [ ${#extra[@]} -gt 0 ] && stop_nodes "${extra[@]}"
  [ "${CHAT_PROMETHEUS:-0}" = 1 ] && start_prometheus
  local all=()
  mapfile -t all < <(ws_nodes)
  all+=(nginx)
  [ "$MAIL_SINK" = 1 ] && all+=(mail)
  oidc_wanted && all+=(oidc)
  [ "${CHAT_PROMETHEUS:-0}" = 1 ] && command -v prometheus >/dev/null 2>&1 && all+=(prometheus)
  wait_ready "${all[@]}"

  say "cluster is up:"
  say "  web        http://localhost:$HTTP_PORT/   https://localhost:$HTTPS_PORT/ (self-signed)"
  say "  api        http://localhost:$HTTP_PORT/api/   openapi: http://localhost:$HTTP_PORT/api/openapi.json"
  say "  websocket  ws://localhost:$HTTP_PORT/ws   wss://localhost:$HTTPS_PORT/ws"
  say "  direct     api-1 http://127.0.0.1:$API_PORT$(for n in $(ws_nodes); do printf '   %s http://127.0.0.1:%s' "$n" "$(node_port "$n")"; done)"
  [ "${CHAT_PROMETHEUS:-0}" = 1 ] && say "  prometheus http://127.0.0.1:$PROMETHEUS_PORT/"
  [ "$MAIL_SINK" = 1 ] && say "  mail       smtp://127.0.0.1:$SMTP_PORT   read: http://127.0.0.1:$MAIL_HTTP_PORT/messages?to=<address>"
  oidc_wanted && say "  oidc       $OIDC_LOCAL_ISSUER (test provider: \"Sign in with $OIDC_LOCAL_LABEL\" signs in as local.user)"
  say "  logs       $(rel "$LOGS")/*.log   (deploy/local/cluster.sh logs -f)"
  case "$DEMO_DATA" in
    true | 1 | yes | on) say "  demo users alice, bob, carol - password password123 (made once, on a new database; DEMO_DATA=false: none)" ;;
  esac
}

cmd_down() {
  local ws=()
  mapfile -t ws < <(known_ws_nodes)
  # Edge first (no new connections), then ws replicas (they close sockets with 1012), then api.
  stop_nodes nginx prometheus
  [ ${#ws[@]} -gt 0 ] && stop_nodes "${ws[@]}"
  stop_nodes api-1
  stop_nodes mail oidc
  rm -f "$RUN/ws-replicas"
  say "cluster stopped (PostgreSQL, RabbitMQ and Memcached keep running)"
}

cmd_status() {
  local node pid state code nodes=(api-1) ws=() rc=0
  mapfile -t ws < <({ known_ws_nodes; ws_nodes; } | sort -u -t- -k2 -n)
  nodes+=("${ws[@]}" nginx)
  [ -f "$RUN/prometheus.pid" ] && nodes+=(prometheus)
  { [ "$MAIL_SINK" = 1 ] || [ -f "$RUN/mail.pid" ]; } && nodes+=(mail)
  { oidc_wanted || [ -f "$RUN/oidc.pid" ]; } && nodes+=(oidc)
  printf '%-11s %-8s %-8s %-5s %s\n' NODE PID STATE READY URL
  for node in "${nodes[@]}"; do
    if pid="$(pid_of "$node")"; then state=running; else pid=-; state=stopped; rc=1; fi
    code="$(http_code "$(ready_url "$node")")"
    [ "$code" = 200 ] || rc=1
    printf '%-11s %-8s %-8s %-5s %s\n' "$node" "$pid" "$state" "${code:-000}" "$(ready_url "$node")"
  done
  if [ -f "$RUN/nginx.pid" ]; then
    printf '%-11s %-8s %-8s %-5s %s\n' "nginx tls" - - "$(curl -ks -o /dev/null -w '%{http_code}' --max-time 2 "https://127.0.0.1:$HTTPS_PORT/healthz" || true)" "https://127.0.0.1:$HTTPS_PORT/healthz"
  fi
  return "$rc"
}

cmd_logs() {
  local follow=0 node=""
  while [ $# -gt 0 ]; do
    case "$1" in
      -f | --follow) follow=1 ;;
      *) node="$1" ;;
    esac
    shift
  done
  local files=()
  if [ -n "$node" ]; then
    [ -f "$LOGS/$node.log" ] || die "no log for '$node' (have: $(find "$LOGS" -maxdepth 1 -name '*.log' -printf '%f ' 2>/dev/null))"
    files=("$LOGS/$node.log")
  else
    mapfile -t files < <(find "$LOGS" -maxdepth 1 -name '*.log' 2>/dev/null | sort)
    [ ${#files[@]} -gt 0 ] || die "no logs yet in $(rel "$LOGS")/"
  fi
  if [ "$follow" = 1 ]; then
    exec tail -n 20 -F "${files[@]}"
  fi
  tail -n "$([ -n "$node" ] && echo 200 || echo 20)" "${files[@]}"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  restart) cmd_down; cmd_up ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
