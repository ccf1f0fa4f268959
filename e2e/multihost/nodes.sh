# shellcheck shell=bash
# The processes of the multihost data centre other than RabbitMQ (sourced by run.sh): the
# database door on `db`, Memcached on mc1/mc2, api1/api2, ws1..ws3 and nginx on `lb`. Each runs
# in its host's namespace, logs to $MH_LOGS/<host>.log, and has its pid in $MH_RUN/<host>.pid.

MH_DB_NAME="${MH_DB_NAME:-chat_multihost}"
MH_API_HOSTS=(api1 api2)
MH_WS_HOSTS=(ws1 ws2 ws3)
MH_MC_HOSTS=(mc1 mc2)
API_PORT=8080
WS_PORT=8090
PG_SOCKET_DIR="${MH_PG_SOCKET_DIR:-/var/run/postgresql}"

pid_of() { # HOST: the pid of its main process if it runs
  local f="$MH_RUN/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# start_on HOST CMD... : in the background, in HOST's namespace, own session, pid file
start_on() {
  local host=$1 pid
  shift
  if pid="$(pid_of "$host")"; then return 0; fi
  (exec ip netns exec "mh-$host" setsid "$@") >>"$MH_LOGS/$host.log" 2>&1 </dev/null &
  pid=$!
  disown "$pid" 2>/dev/null || true # its death is no job of this shell's to report
  echo "$pid" >"$MH_RUN/$host.pid"
  say "$host: started $(basename "$1") (pid $pid)"
}

stop_on() { # HOST [SIGNAL]: the main process, waited for (20 s, then SIGKILL)
  local pid i
  pid="$(pid_of "$1")" || return 0
  kill -"${2:-TERM}" "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$MH_RUN/$1.pid"
}

# --- db: PostgreSQL of this machine, reached through its Unix socket ---------------------------
# A Unix socket is a file, not part of a network namespace: socat on `db` listens on db:5432
# and forwards each connection to the machine's PostgreSQL socket. Faults on db's link (or
# between api and db) hit exactly this hop.
db_up() {
  start_on db socat "TCP-LISTEN:5432,bind=$(ip_of db),fork,reuseaddr" "UNIX-CONNECT:$PG_SOCKET_DIR/.s.PGSQL.5432"
  if [ "$(psql -h "$PG_SOCKET_DIR" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$MH_DB_NAME'")" != 1 ]; then
    psql -q -h "$PG_SOCKET_DIR" -U postgres -d postgres -c "CREATE DATABASE \"$MH_DB_NAME\""
    say "db: created database $MH_DB_NAME"
  fi
}
# Every connection through the door ends (the forked children too): a database outage.
db_stop() { local p; for p in $(ns_pids db); do kill -KILL "$p" 2>/dev/null || true; done; rm -f "$MH_RUN/db.pid"; }

# --- Memcached ----------------------------------------------------------------------------------
mc_start() { start_on "$1" memcached -u memcache -l "$(ip_of "$1")" -p 11211 -m 64 -c 4096; }
mc_restart_empty() { stop_on "$1" KILL; mc_start "$1"; }
memcached_urls() { echo "memcache://mc1:11211,memcache://mc2:11211"; }

# --- api and ws ---------------------------------------------------------------------------------
app_env() { # HOST: the environment every api/ws process gets, one per line (its broker node first)
  local first
  case "$1" in api1 | ws1) first=mq1 ;; api2 | ws2) first=mq2 ;; *) first=mq3 ;; esac
  printf '%s\n' "DATABASE_URL=postgres://postgres@db:5432/$MH_DB_NAME?sslmode=disable" \
    "AMQP_URL=$(rabbit_amqp_urls "$first")" \
    "MEMCACHED_URL=$(memcached_urls)" \
    "NODE_ID=mh-$1" \
    "ALLOWED_ORIGINS=http://$(ip_of lb),https://$(ip_of lb),http://lb,https://lb" \
    "PUBLIC_URL=http://$(ip_of lb)" \
    LOG_FORMAT=json "RUST_LOG=${RUST_LOG:-info}" "MEDIA_DIR=$MH_STATE/media" DEMO_DATA=false \
    OIDC_PROVIDERS= SMTP_URL=smtp://127.0.0.1:1 \
    "HEARTBEAT_MS=${MH_HEARTBEAT_MS:-2000}" \
    AUTH_RATE_LIMIT_PER_MIN=100000 FLOOD_REPEAT_MAX=1000000 FLOOD_NEW_CHATS_PER_HOUR=1000000 \
    WS_MAX_SOCKETS_PER_USER=100000 WS_TICKETS_PER_MIN=100000 SEND_RATE_LIMIT_PER_MIN=100000
}

# Clock skew for one process (faults): MH_SKEW_<host>="+5s" runs it under libfaketime.
skew_env() {
  local var="MH_SKEW_$1"
  [ -n "${!var:-}" ] || return 0
  printf '%s\n' LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 "FAKETIME=${!var}" FAKETIME_DONT_FAKE_MONOTONIC=1
}

app_start() { # HOST
  local host=$1 bin addr
  case "$host" in
    api*) bin="$MH_BIN/api-server" addr="API_ADDR=$(ip_of "$host"):$API_PORT" ;;
    ws*) bin="$MH_BIN/ws-server" addr="WS_ADDR=$(ip_of "$host"):$WS_PORT" ;;
  esac
  [ -x "$bin" ] || die "$bin not found: cargo build --release -p api-server -p ws-server"
  local envs=()
  mapfile -t envs < <(app_env "$host"; skew_env "$host")
  start_on "$host" env "${envs[@]}" "$addr" "$bin"
}

ready_path() { [ "$1" = lb ] && echo /healthz || echo /readyz; }
app_url() { case "$1" in api*) echo "http://$(ip_of "$1"):$API_PORT" ;; ws*) echo "http://$(ip_of "$1"):$WS_PORT" ;; lb) echo "http://$(ip_of lb)" ;; esac; }

wait_ready() { # HOST...: every /readyz 200 within 60 s
  local host i code
  for host in "$@"; do
    for ((i = 0; i < 240; i++)); do
      code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(app_url "$host")$(ready_path "$host")" || true)"
      [ "$code" = 200 ] && break
      pid_of "$host" >/dev/null || { tail -20 "$MH_LOGS/$host.log" >&2; die "$host exited during start-up"; }
      sleep 0.25
    done
    [ "$code" = 200 ] || { tail -20 "$MH_LOGS/$host.log" >&2; die "$host not ready after 60 s (last answer $code)"; }
  done
}

# --- lb: nginx ------------------------------------------------------------------------------------
nginx_up() {
  local api="" ws="" h
  for h in "${MH_API_HOSTS[@]}"; do api="${api}server $h:$API_PORT max_fails=1 fail_timeout=5s;
        "; done
  for h in "${MH_WS_HOSTS[@]}"; do ws="${ws}server $h:$WS_PORT max_fails=1 fail_timeout=5s;
        "; done
  self_signed_cert "$MH_STATE/tls" lb "$(ip_of lb)" || die "openssl could not make the certificate"
  # nginx resolves the upstream names when it loads: through lb's /etc/hosts (ip netns exec).
  NGINX_HTTP_PORT=80 NGINX_HTTPS_PORT=443 TLS_CERT="$MH_STATE/tls/cert.pem" TLS_KEY="$MH_STATE/tls/key.pem" \
    WEB_ROOT="$(web_root_of "$ROOT")" API_UPSTREAM="$api" WS_UPSTREAMS="$ws" RUN_DIR="$MH_RUN/nginx" LOG_DIR="$MH_LOGS" \
    sh "$ROOT/deploy/nginx/render.sh" "$ROOT/deploy/nginx/nginx.conf.template" "$MH_RUN/nginx.conf" >/dev/null
  on lb nginx -t -q -c "$MH_RUN/nginx.conf" -p "$MH_RUN/nginx/" -e "$MH_LOGS/nginx-error.log" || die "nginx rejected $MH_RUN/nginx.conf"
  start_on lb nginx -c "$MH_RUN/nginx.conf" -p "$MH_RUN/nginx/" -e "$MH_LOGS/nginx-error.log" -g 'daemon off;'
}
