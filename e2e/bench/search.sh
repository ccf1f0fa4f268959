#!/usr/bin/env bash
# Search benchmark: a release api-server on its own database and port, N seeded messages,
# client-side latency of GET /api/search (see search_bench.py). Not part of `make test`.
#
# Usage: e2e/bench/search.sh [MESSAGES] [extra search_bench.py flags]
# SEARCH_BENCH_DB / SEARCH_BENCH_PORT: another database / port (two benches side by side).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
MESSAGES="${1:-1000000}"
shift || true
DB_NAME="${SEARCH_BENCH_DB:-chat_search_bench}" PORT="${SEARCH_BENCH_PORT:-19280}"
ADMIN_URL="${SEARCH_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB_URL="postgres://postgres@127.0.0.1:5432/$DB_NAME?sslmode=disable"
STATE="$ROOT/.local/search-bench-$DB_NAME"
mkdir -p "$STATE"

cargo build --release -q -p api-server
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME" -c "CREATE DATABASE $DB_NAME"
DATABASE_URL="$DB_URL" API_ADDR="127.0.0.1:$PORT" CHAT_EXCHANGE="$DB_NAME.events" MEMCACHED_PREFIX="$DB_NAME:" \
  NODE_ID="$DB_NAME" AUTH_RATE_LIMIT_PER_MIN=100000 SEARCH_RATE_LIMIT_PER_MIN=1000000 RUST_LOG=warn LOG_FORMAT=json \
  target/release/api-server >"$STATE/api.log" 2>&1 &
API_PID=$!
trap 'kill $API_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
python3 e2e/bench/search_bench.py --api "http://127.0.0.1:$PORT" --db "$DB_URL" --messages "$MESSAGES" "$@"
