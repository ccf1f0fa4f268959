#!/usr/bin/env bash
# The short multihost run (in `make test`: scripts/test.sh): the data centre up (debug binaries,
# which the test build made), the cluster check through lb's nginx, the quick faults (a
# RabbitMQ node killed, a ws host cut off, Memcached restarted empty, a ws-server SIGTERM with
# frames queued), and down: always, whatever fails (trap). Without root or network namespaces
# (a container without NET_ADMIN) it says SKIPPED and why, and fails only when E2E_NO_SKIP=1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="$ROOT/e2e/multihost/run.sh"
export MH_BIN="${MH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug}"

skip() {
  echo "multihost: SKIPPED: $*"
  [[ ${E2E_NO_SKIP:-0} == 1 ]] && exit 1
  exit 0
}
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
ip netns add mh-probe 2>/dev/null || skip "cannot create network namespaces here (no CAP_NET_ADMIN?)"
ip netns del mh-probe

trap '"$RUN" down >/dev/null 2>&1 || true' EXIT
"$RUN" down >/dev/null 2>&1 || true # leftovers of an interrupted run
started=$SECONDS
"$RUN" up
"$RUN" check
"$RUN" faults --short
echo "multihost: up, cluster check and the short faults passed in $((SECONDS - started)) s"
