# shellcheck shell=bash
# The 3-node RabbitMQ cluster of the multihost data centre (sourced by run.sh). Each node
# `mh-mqN@mqN` runs in host mqN's namespace with its own epmd (epmd is per network namespace:
# the machine's epmd on 127.0.0.1:4369 is never seen), its own data and logs under
# $MH_STATE/mqN, and the cluster's cookie in $MH_STATE/rabbit-home. It is started from
# /usr/lib/rabbitmq/bin directly (the /usr/sbin wrapper would switch to the rabbitmq user and
# its cookie) with RABBITMQ_CONF_ENV_FILE pointing at our own file, so /etc/rabbitmq (the
# machine's node) is never read. The nodes form the cluster themselves (classic peer
# discovery: every node lists the three).

MQ_NODES=(mq1 mq2 mq3)
RABBIT_BIN=/usr/lib/rabbitmq/bin

mq_node_name() { echo "mh-$1@$1"; }

mq_env() { # HOST: the environment of a node (and of rabbitmqctl aimed at it)
  local d="$MH_STATE/$1"
  echo HOME="$MH_STATE/rabbit-home" \
    RABBITMQ_CONF_ENV_FILE="$MH_STATE/rabbit-env.conf" \
    RABBITMQ_NODENAME="$(mq_node_name "$1")" \
    RABBITMQ_CONFIG_FILE="$MH_STATE/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$MH_STATE/rabbit-plugins" \
    RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" \
    RABBITMQ_PID_FILE="$d/rabbit.pid"
}

# ctl HOST ARGS... : rabbitmqctl on HOST's node
ctl() {
  local host=$1
  shift
  # shellcheck disable=SC2046 # the environment words
  on "$host" env $(mq_env "$host") "$RABBIT_BIN/rabbitmqctl" -n "$(mq_node_name "$host")" "$@"
}

rabbit_config() {
  mkdir -p "$MH_STATE/rabbit-home"
  local cookie="$MH_STATE/rabbit-home/.erlang.cookie"
  if [ ! -s "$cookie" ]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$cookie"
    chmod 400 "$cookie"
  fi
  : >"$MH_STATE/rabbit-env.conf"
  echo "[]." >"$MH_STATE/rabbit-plugins"
  cat >"$MH_STATE/rabbitmq.conf" <<EOF
listeners.tcp.default = 5672
loopback_users = none
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = $(mq_node_name mq1)
cluster_formation.classic_config.nodes.2 = $(mq_node_name mq2)
cluster_formation.classic_config.nodes.3 = $(mq_node_name mq3)
# A killed node's peers keep serving (3 nodes; the brief's faults are a node, not a partition).
cluster_partition_handling = autoheal
EOF
}

mq_pid() { # the beam's pid of a running node
  local f="$MH_STATE/$1/rabbit.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

mq_start() { # HOST
  local host=$1
  if mq_pid "$host" >/dev/null; then return 0; fi
  mkdir -p "$MH_STATE/$host/log"
  # shellcheck disable=SC2046
  (exec ip netns exec "mh-$host" env $(mq_env "$host") setsid "$RABBIT_BIN/rabbitmq-server") \
    >>"$MH_LOGS/$host.log" 2>&1 </dev/null &
  disown $! 2>/dev/null || true
  say "$host: RabbitMQ node $(mq_node_name "$host") starting"
}

mq_wait() { # HOST: until the node's app runs
  local host=$1 i
  for ((i = 0; i < 120; i++)); do
    ctl "$host" -q await_startup --timeout 5 >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "$host: RabbitMQ did not start (log $MH_LOGS/$host.log, $MH_STATE/$host/log)"
}

rabbit_up() {
  rabbit_config
  local host
  # mq1 first: started together, fresh nodes wait for each other's tables for a while.
  mq_start mq1
  mq_wait mq1
  for host in mq2 mq3; do mq_start "$host"; done
  for host in mq2 mq3; do mq_wait "$host"; done
  local running
  running="$(ctl mq1 -q cluster_status --formatter json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["running_nodes"]))')"
  [ "$running" = 3 ] || die "the RabbitMQ cluster has $running running node(s), not 3"
  say "RabbitMQ: cluster of 3 running ($(mq_node_name mq1), $(mq_node_name mq2), $(mq_node_name mq3))"
}

# The cluster is made fresh by every `up` (a stopped cluster would have to restart in the
# order it stopped): `down` removes the nodes' data.
rabbit_forget() { local host; for host in "${MQ_NODES[@]}"; do rm -rf "${MH_STATE:?}/$host"; done; }

# mq_kill HOST : the node's VM killed (SIGKILL), as a crash would
mq_kill() {
  local pid
  pid="$(mq_pid "$1")" || return 0
  kill -KILL "$pid"
}

rabbit_amqp_urls() { # FIRST: the comma-separated AMQP_URL, starting with FIRST's node
  local first=$1 host urls="" q="heartbeat=5&connection_timeout=3000"
  urls="amqp://guest:guest@$first:5672/%2f?$q"
  for host in "${MQ_NODES[@]}"; do
    [ "$host" = "$first" ] || urls="$urls,amqp://guest:guest@$host:5672/%2f?$q"
  done
  echo "$urls"
}
