#!/usr/bin/env bash
# Makes PostgreSQL, RabbitMQ and Memcached reachable at the configured URLs.
# Order of preference for each service: already listening -> docker compose (when a Docker
# engine answers) -> Debian/Ubuntu packages installed with apt and started natively.
# Idempotent: running it twice changes nothing. Prints each step; exits non-zero with a clear
# message when a service cannot be made reachable.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/chat}"
AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
MEMCACHED_URL="${MEMCACHED_URL:-memcache://127.0.0.1:11211}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"

say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# host:port out of a URL such as scheme://user:pw@host:port/path?query
host_of() { local u="${1#*://}"; u="${u##*@}"; u="${u%%/*}"; u="${u%%\?*}"; echo "${u%%:*}"; }
port_of() { local u="${1#*://}"; u="${u##*@}"; u="${u%%/*}"; u="${u%%\?*}"; [[ "$u" == *:* ]] && echo "${u##*:}" || echo "$2"; }

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # name host port seconds
  local i
  for ((i = 0; i < $4 * 2; i++)); do listening "$2" "$3" && return 0; sleep 0.5; done
  return 1
}

docker_works() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }

ensure() { # name url default_port compose_service apt_packages start_command
  local name=$1 url=$2 host port
  host=$(host_of "$url"); port=$(port_of "$url" "$3")
  if listening "$host" "$port"; then say "$name: already reachable at $host:$port"; return 0; fi
  case "$host" in 127.*|localhost|::1) ;; *) die "$name is not reachable at $host:$port and is not local: start it there." ;; esac
  if docker_works; then
    say "$name: starting with docker compose ($4)"
    docker compose -f "$ROOT/docker-compose.yml" up -d "$4"
  else
    # shellcheck disable=SC2086 # a list of packages
    apt_install services $5 || exit 1
    say "$name: starting natively: $6"
    bash -c "$6"
  fi
  wait_for "$name" "$host" "$port" 60 || die "$name did not come up on $host:$port within 60 s."
  say "$name: reachable at $host:$port"
}

ensure PostgreSQL "$DATABASE_URL" 5432 postgres "postgresql postgresql-contrib" \
  'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -1) main start'
ensure RabbitMQ "$AMQP_URL" 5672 rabbitmq "rabbitmq-server" 'rabbitmq-server -detached'
ensure Memcached "$MEMCACHED_URL" 11211 memcached "memcached" \
  "memcached -u memcache -l $(host_of "$MEMCACHED_URL") -p $(port_of "$MEMCACHED_URL" 11211) -m 256 -c 4096 -d"

say "all services reachable"
