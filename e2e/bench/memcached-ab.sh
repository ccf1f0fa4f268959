#!/usr/bin/env bash
# Memcached client A/B on the direct-message benchmark (BENCHMARKS.md, "Memcached client").
#
# One isolated release cluster (own ports, database, exchange, node prefix, key prefix); the
# api-server and both ws-servers are restarted for each variant with its MEMCACHED_CLIENT and
# MEMCACHED_URL, then `loadgen dm --senders 32 --duration $DURATION` runs. Variants alternate
# (A B C D E, A B C D E, ...) so that the noise of this shared machine hits all of them alike.
# A second Memcached (port $SECOND_PORT) is started for the two-server variants and stopped at
# the end. CPU seconds per process come from /proc/<pid>/stat (utime + stime) around each run.
#
# Needs release binaries with the crate:
#   cargo build --release -p api-server -p ws-server -p loadgen --features shared/memcache-crate
# Usage: e2e/bench/memcached-ab.sh [ROUNDS]      (default 3; results in $STATE/results/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROUNDS="${1:-3}"
DURATION="${DURATION:-20}"
BASE="${BENCH_BASE_PORT:-18400}"
SECOND_PORT=$((BASE + 11))
export CHAT_STATE_DIR="${CHAT_STATE_DIR:-$ROOT/.local/bench-memcached}"
export CHAT_HTTP_PORT=$((BASE)) CHAT_HTTPS_PORT=$((BASE + 43)) CHAT_API_PORT=$((BASE + 80)) \
  CHAT_WS_BASE_PORT=$((BASE + 90)) CHAT_SMTP_PORT=$((BASE + 25)) CHAT_MAIL_HTTP_PORT=$((BASE + 26)) \
  CHAT_OIDC_PORT=$((BASE + 55)) OIDC_PROVIDERS=none \
  CHAT_NODE_PREFIX=bench-mc- CHAT_EXCHANGE=bench-mc.events MEMCACHED_PREFIX=bench-mc: \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/chat_bench_mc?sslmode=disable" \
  AUTH_RATE_LIMIT_PER_MIN=1000000 SEND_RATE_LIMIT_PER_MIN=1000000 FLOOD_REPEAT_MAX=1000000 \
  FLOOD_NEW_CHATS_PER_HOUR=1000000 RUST_LOG=warn CHAT_PROFILE=release CHAT_SKIP_BUILD=1
RUN="$CHAT_STATE_DIR/run"
OUT="$CHAT_STATE_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
ONE="memcache://127.0.0.1:11211"
TWO="memcache://127.0.0.1:11211,memcache://127.0.0.1:$SECOND_PORT"
# name client url
VARIANTS=(
  "own own $ONE"
  "crate-binary crate-binary $ONE"
  "crate-ascii crate-ascii $ONE"
  "own-2-servers own $TWO"
  "crate-binary-2-servers crate-binary $TWO"
)

say() { printf '[memcached-ab] %s\n' "$*" >&2; }

# A second Memcached of our own (stopped at exit, by its pid).
mkdir -p "$RUN"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(-u "${MEMCACHED_USER:-memcache}") # memcached refuses to run as root
memcached "${as_user[@]}" -l 127.0.0.1 -p "$SECOND_PORT" -m 64 -U 0 -d
sleep 0.5
MEMCACHED2_PID="$(pgrep -f "memcached .*-p $SECOND_PORT( |\$)")"
trap 'kill "$MEMCACHED2_PID" 2>/dev/null || true' EXIT

# ticks PID...: utime+stime of each live pid (clock ticks), one "pid ticks" line each
ticks() {
  local p
  for p in "$@"; do
    if [ -r "/proc/$p/stat" ]; then awk -v p="$p" '{ sub(/^.*\) /, ""); print p, $12 + $13 }' "/proc/$p/stat" || true; fi
  done
}
pids_of() { # ROLE -> its pids, one a line
  case "$1" in
    api) cat "$RUN/api-1.pid" ;;
    ws-1 | ws-2) cat "$RUN/$1.pid" ;;
    nginx) cat "$RUN/nginx.pid"; pgrep -P "$(cat "$RUN/nginx.pid")" || true ;;
    memcached) pgrep -f 'memcached .*-p 11211( |$)' || true ;;
    memcached2) echo "$MEMCACHED2_PID" ;;
    postgres) pgrep -x postgres || true ;;
    rabbitmq) pgrep -f beam.smp || true ;;
  esac
}
ROLES=(api ws-1 ws-2 nginx memcached memcached2 postgres rabbitmq)
snapshot() {
  local r pids
  for r in "${ROLES[@]}"; do
    mapfile -t pids < <(pids_of "$r" 2>/dev/null)
    ticks "${pids[@]}" | sed "s/^/$r /"
  done
}

restart_servers() { # client url
  local n p
  for n in api-1 ws-1 ws-2; do
    if p="$(cat "$RUN/$n.pid" 2>/dev/null)" && kill -0 "$p" 2>/dev/null; then kill -TERM "$p"; fi
  done
  for n in api-1 ws-1 ws-2; do
    p="$(cat "$RUN/$n.pid" 2>/dev/null || true)"
    while [ -n "$p" ] && kill -0 "$p" 2>/dev/null; do sleep 0.2; done
  done
  MEMCACHED_CLIENT=$1 MEMCACHED_URL=$2 "$ROOT/deploy/local/cluster.sh" up >"$OUT/cluster-up.log" 2>&1 \
    || { tail -n 30 "$OUT/cluster-up.log" >&2; exit 1; }
}

LOADGEN=("$ROOT/target/release/loadgen" --base "http://localhost:$CHAT_HTTP_PORT" \
  --ws "ws://127.0.0.1:$((CHAT_WS_BASE_PORT + 1))" --ws "ws://127.0.0.1:$((CHAT_WS_BASE_PORT + 2))" \
  --users-file "$CHAT_STATE_DIR/loadgen-users.json")

say "cluster up (first start creates the database chat_bench_mc and applies the migrations)"
CHAT_SKIP_SERVICES=0 restart_servers own "$ONE"
export CHAT_SKIP_SERVICES=1
say "warm-up run (not counted): users registered, caches and database warm"
"${LOADGEN[@]}" dm --senders 32 --duration 10 >"$OUT/warmup.txt" 2>&1 || { tail "$OUT/warmup.txt" >&2; exit 1; }

for round in $(seq 1 "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    read -r name client url <<<"$v"
    restart_servers "$client" "$url"
    say "round $round: $name ($client, $url)"
    snapshot >"$OUT/$name.$round.before"
    read -r _ _ _ _ idle0 _ < /proc/stat
    /usr/bin/time -f '%U %S' -o "$OUT/$name.$round.loadgen-cpu" \
      "${LOADGEN[@]}" dm --senders 32 --duration "$DURATION" --out "$OUT/$name.$round.json" >"$OUT/$name.$round.txt" 2>&1 \
      || { tail "$OUT/$name.$round.txt" >&2; exit 1; }
    read -r _ _ _ _ idle1 _ < /proc/stat
    snapshot >"$OUT/$name.$round.after"
    echo "$((idle1 - idle0))" >"$OUT/$name.$round.idle"
  done
done
say "results in $OUT"
python3 "$ROOT/e2e/bench/memcached_ab_report.py" "$OUT" "$DURATION"
