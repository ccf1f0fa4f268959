#!/usr/bin/env bash
# Search benchmark: an api-server on its own database and port, N seeded messages, client-side
# latency of GET /api/search (see search_bench.py). Not part of `make test`. The database is
# dropped at the end (SEARCH_BENCH_KEEP=1 keeps it).
#
# Usage: e2e/bench/search.sh [MESSAGES] [extra search_bench.py flags]
#   e.g. e2e/bench/search.sh 1000000 --requests 700 --time-migration migrations/2026-12-06-000200_search_word_forms
# SEARCH_BENCH_DB / SEARCH_BENCH_PORT: another database / port (two benches side by side).
# SEARCH_BENCH_PROFILE: release (default) or debug (the api-server build to run);
# SEARCH_BENCH_SKIP_BUILD=1 runs target/<profile>/api-server as it is (a before/after pair).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
MESSAGES="${1:-1000000}"
shift || true
DB_NAME="${SEARCH_BENCH_DB:-chat_bench_search}" PORT="${SEARCH_BENCH_PORT:-19280}"
PROFILE="${SEARCH_BENCH_PROFILE:-release}"
ADMIN_URL="${SEARCH_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB_URL="postgres://postgres@127.0.0.1:5432/$DB_NAME?sslmode=disable"
STATE="$ROOT/.local/search-bench-$DB_NAME"
mkdir -p "$STATE"

if [[ "${SEARCH_BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  if [[ "$PROFILE" == release ]]; then cargo build --release -q -p api-server; else cargo build -q -p api-server; fi
fi
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME" -c "CREATE DATABASE $DB_NAME"
DATABASE_URL="$DB_URL" API_ADDR="127.0.0.1:$PORT" CHAT_EXCHANGE="$DB_NAME.events" MEMCACHED_PREFIX="$DB_NAME:" \
  NODE_ID="$DB_NAME" AUTH_RATE_LIMIT_PER_MIN=100000 SEARCH_RATE_LIMIT_PER_MIN=1000000 RUST_LOG=warn LOG_FORMAT=json \
  "target/$PROFILE/api-server" >"$STATE/api.log" 2>&1 &
API_PID=$!
cleanup() {
  kill "$API_PID" 2>/dev/null || true
  wait "$API_PID" 2>/dev/null || true
  if [[ "${SEARCH_BENCH_KEEP:-0}" != 1 ]]; then psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" || true; fi
}
trap cleanup EXIT
for _ in $(seq 150); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
python3 e2e/bench/search_bench.py --api "http://127.0.0.1:$PORT" --db "$DB_URL" --messages "$MESSAGES" "$@"
