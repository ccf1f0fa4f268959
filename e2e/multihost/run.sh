#!/usr/bin/env bash
# A small data centre on this machine, from network namespaces (issue 20): hosts mq1..mq3 (a
# RabbitMQ cluster), mc1 mc2 (Memcached), db (the machine's PostgreSQL, database
# chat_multihost), api1 api2, ws1..ws3 and lb (nginx), each its own namespace and address on
# the bridge mh-br0, 10.77.0.0/24 (the drivers reach every host from 10.77.0.1). Needs root.
#
# Usage: e2e/multihost/run.sh up|down|status|check|browser [spec...]|faults [--short]
#   up       build the network, start everything, wait until every /readyz answers 200
#   down     stop every process started in the hosts' namespaces, remove namespaces and bridge
#   status   hosts, pids and readiness
#   check    the cluster check (e2e/cluster/flow.mjs and failover.mjs) through lb's nginx
#   browser  Playwright specs in Chromium through lb's nginx (default: those that need no
#            local-cluster internals; or the spec files given, relative to e2e/playwright)
#   faults   the fault runs (e2e/multihost/faults/*.mjs), each ending with every client
#            holding every committed message exactly once; --short: the three quick ones
#
# Environment: MH_STATE (default .local/multihost: logs/, run/, RabbitMQ data), MH_BIN (the
# api-server and ws-server binaries, default target/release), MH_DB_NAME (chat_multihost),
# MH_HEARTBEAT_MS (2000: the heartbeat clients are told; short so the faults run fast).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/e2e/multihost"
MH_STATE="${MH_STATE:-$ROOT/.local/multihost}"
MH_RUN="$MH_STATE/run"
MH_LOGS="$MH_STATE/logs"
MH_BIN="${MH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release}"

say() { printf '[multihost] %s\n' "$*"; }
die() { printf '[multihost] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
# shellcheck source=e2e/multihost/net.sh
source "$HERE/net.sh"
# shellcheck source=e2e/multihost/rabbit.sh
source "$HERE/rabbit.sh"
# shellcheck source=e2e/multihost/nodes.sh
source "$HERE/nodes.sh"

need_root() { [ "$(id -u)" = 0 ] || die "network namespaces need root"; }

cmd_up() {
  need_root
  apt_install multihost iproute2 socat memcached nginx-light iptables faketime gettext-base || exit 1
  mkdir -p "$MH_RUN" "$MH_LOGS" "$MH_STATE/media"
  net_up
  say "network: bridge $MH_BRIDGE $MH_NET.1/24, hosts ${MH_HOSTS[*]}"
  db_up
  local h
  for h in "${MH_MC_HOSTS[@]}"; do mc_start "$h"; done
  rabbit_up
  # The first api-server applies the migrations; the others start once it is ready.
  app_start api1
  wait_ready api1
  for h in api2 "${MH_WS_HOSTS[@]}"; do app_start "$h"; done
  wait_ready api2 "${MH_WS_HOSTS[@]}"
  nginx_up
  wait_ready lb
  say "up: http://$(ip_of lb)/ (nginx on lb); logs in $MH_LOGS"
}

cmd_down() {
  local h p
  # Edge first, then ws (1012 to clients), api, then the services; anything left is killed.
  for h in lb "${MH_WS_HOSTS[@]}" "${MH_API_HOSTS[@]}"; do stop_on "$h"; done
  # The broker nodes' data goes with them (rabbit_forget): no orderly stop needed.
  for h in "${MH_HOSTS[@]}"; do
    for p in $(ns_pids "$h"); do kill -KILL "$p" 2>/dev/null || true; done
  done
  sleep 0.2
  net_down
  rabbit_forget
  rm -f "$MH_RUN"/*.pid
  say "down: namespaces, bridge and processes gone (database $MH_DB_NAME kept)"
}

cmd_status() {
  local h pid code rc=0
  printf '%-6s %-12s %-8s %s\n' HOST ADDRESS PID READY
  for h in "${MH_HOSTS[@]}"; do
    case "$h" in mq*) pid="$(mq_pid "$h" || echo -)" ;; *) pid="$(pid_of "$h" || echo -)" ;; esac
    case "$h" in
      api* | ws* | lb) code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(app_url "$h")$(ready_path "$h")" || true)" ;;
      mq*) code="$(ctl "$h" -q await_startup --timeout 2 >/dev/null 2>&1 && echo up || echo down)" ;;
      *) code=- ;;
    esac
    [ "$pid" = - ] && rc=1
    printf '%-6s %-12s %-8s %s\n' "$h" "$(ip_of "$h")" "$pid" "$code"
  done
  return "$rc"
}

# Exported for the Node drivers: where things are and how to act on the hosts.
export_env() {
  export MH_STATE MH_RUN MH_LOGS MH_LB="http://$(ip_of lb)" MH_CTL="$HERE/run.sh"
  local h
  for h in "${MH_API_HOSTS[@]}" "${MH_WS_HOSTS[@]}"; do export "MH_URL_$h=$(app_url "$h")"; done
}

# The browser specs that need nothing of a local cluster's internals (its pid files, its
# database name, its mail sink or OIDC provider), in Chromium through lb's nginx.
BROWSER_SPECS=(specs/a-direct-chat.spec.ts specs/b-group-chat.spec.ts specs/d-history.spec.ts
  specs/e-reactions.spec.ts specs/g-search.spec.ts specs/r-resync.spec.ts specs/u-blocking.spec.ts)
cmd_browser() {
  local specs=("$@")
  [ "${#specs[@]}" -gt 0 ] || specs=("${BROWSER_SPECS[@]}")
  CHAT_URL="http://$(ip_of lb)" CHAT_EXTERNAL_CLUSTER=1 "$ROOT/e2e/run-browser-tests.sh" "${specs[@]}"
}

cmd_check() {
  export_env
  local h
  for h in "${MH_API_HOSTS[@]}" "${MH_WS_HOSTS[@]}"; do app_start "$h"; done # any a fault left stopped
  wait_ready "${MH_API_HOSTS[@]}" "${MH_WS_HOSTS[@]}"
  echo "== flow through lb's nginx: REST sends, WebSocket delivery"
  node --experimental-websocket --no-warnings "$ROOT/e2e/cluster/flow.mjs" "$MH_LB" 30
  echo "== failover: ws1 killed, the RabbitMQ cluster and the database door restarted, under a live client"
  E2E_BROKER_CONTROL="$HERE/run.sh ctl broker" E2E_DATABASE_CONTROL="$HERE/run.sh ctl database" \
    node --experimental-websocket --no-warnings "$ROOT/e2e/cluster/failover.mjs" "$MH_LB" \
    "ws://$(ip_of ws1):$WS_PORT" "ws://$(ip_of ws2):$WS_PORT" "$MH_STATE" "$(app_url api1),$(app_url api2)" "$MH_RUN/ws1.pid"
  app_start ws1 # the replica failover.mjs killed
  wait_ready ws1
}

cmd_faults() {
  export_env
  local short=0
  [ "${1:-}" = --short ] && short=1
  MH_SHORT=$short node --experimental-websocket --no-warnings "$HERE/faults/run.mjs"
}

# ctl WHAT ACTION...: the actions the drivers ask for (they run as root in the root namespace).
cmd_ctl() {
  local what=$1 action=$2 h
  shift 2
  case "$what:$action" in
    broker:stop_app) for h in mq3 mq2 mq1; do ctl "$h" -q stop_app >/dev/null; done ;;
    broker:start_app) for h in mq1 mq2 mq3; do ctl "$h" -q start_app >/dev/null; done ;;
    database:stop) db_stop ;;
    database:start) db_up ;;
    mq:kill) mq_kill "$1" ;;
    mq:start) mq_start "$1"; mq_wait "$1" ;;
    mq:alarm) ctl "$1" -q set_vm_memory_high_watermark 0.0001 >/dev/null ;;
    mq:unalarm) ctl "$1" -q set_vm_memory_high_watermark 0.4 >/dev/null ;;
    link:down) link_down "$1" ;;
    link:up) link_up "$1" ;;
    drop:on) drop_between "$1" "$2" ;;
    drop:off) undrop_between "$1" "$2" ;;
    slow:on) slow_on "$1" "$2" "$3" ;;
    slow:off) slow_off "$1" ;;
    mc:restart) mc_restart_empty "$1" ;;
    peer:hosts) peer_hosts "$1" "$2" ;;
    app:stop) stop_on "$1" "${2:-TERM}" ;;
    app:start) app_start "$1"; wait_ready "$1" ;;
    skew:start) export "MH_SKEW_$1=$2"; app_start "$1"; wait_ready "$1" ;;
    *) die "unknown ctl $what $action" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  check) cmd_check ;;
  browser) shift; cmd_browser "$@" ;;
  faults) shift; cmd_faults "$@" ;;
  ctl) shift; cmd_ctl "$@" ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
