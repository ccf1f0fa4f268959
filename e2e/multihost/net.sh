# shellcheck shell=bash
# The network of the multihost data centre (sourced by run.sh): one bridge, and per host a
# network namespace `mh-<host>` joined to it by a veth pair (root side `mh-<host>`, host side
# eth0). The root namespace holds 10.77.0.1 on the bridge so the drivers reach every host; no
# namespace has a default route: nothing outside 10.77.0.0/24 is reachable from a host.
# Host names resolve through /etc/netns/mh-<host>/hosts, which `ip netns exec` mounts as /etc/hosts.

MH_BRIDGE=mh-br0
MH_NET=10.77.0
# host -> last octet
declare -A MH_IP=([lb]=10 [api1]=11 [api2]=12 [ws1]=21 [ws2]=22 [ws3]=23
  [mq1]=31 [mq2]=32 [mq3]=33 [mc1]=41 [mc2]=42 [db]=50)
MH_HOSTS=(db mq1 mq2 mq3 mc1 mc2 api1 api2 ws1 ws2 ws3 lb)

ip_of() { echo "$MH_NET.${MH_IP[$1]}"; }
ns_of() { echo "mh-$1"; }
# on HOST CMD... : runs a command on a host
on() { local host=$1; shift; ip netns exec "mh-$host" "$@"; }

net_up() {
  if ! ip link show "$MH_BRIDGE" >/dev/null 2>&1; then
    ip link add "$MH_BRIDGE" type bridge
    ip addr add "$MH_NET.1/24" dev "$MH_BRIDGE"
  fi
  ip link set "$MH_BRIDGE" up
  local host hosts_file
  for host in "${MH_HOSTS[@]}"; do
    mkdir -p "/etc/netns/mh-$host"
    hosts_file="/etc/netns/mh-$host/hosts"
    {
      echo "127.0.0.1 localhost"
      local h
      for h in "${MH_HOSTS[@]}"; do echo "$(ip_of "$h") $h"; done
    } >"$hosts_file"
    ip netns list | grep -qw "mh-$host" || ip netns add "mh-$host"
    if ! ip link show "mh-$host" >/dev/null 2>&1; then
      ip link add "mh-$host" type veth peer name eth0 netns "mh-$host"
      ip link set "mh-$host" master "$MH_BRIDGE"
      on "$host" ip addr add "$(ip_of "$host")/24" dev eth0
    fi
    ip link set "mh-$host" up
    on "$host" ip link set lo up
    on "$host" ip link set eth0 up
  done
}

# Every process still running in a host's namespace (what `down` stops).
ns_pids() { ip netns pids "mh-$1" 2>/dev/null || true; }

net_down() {
  local host
  for host in "${MH_HOSTS[@]}"; do
    ip link del "mh-$host" 2>/dev/null || true
    ip netns del "mh-$host" 2>/dev/null || true
    rm -rf "/etc/netns/mh-$host"
  done
  ip link del "$MH_BRIDGE" 2>/dev/null || true
}

# --- faults on links ----------------------------------------------------------------------------
link_down() { ip link set "mh-$1" down; }
link_up() { ip link set "mh-$1" up; }

# Half-open TCP: packets between HOST and PEER silently dropped, both ways, on HOST.
drop_between() {
  local peer_ip
  peer_ip="$(ip_of "$2")"
  on "$1" iptables -w -I INPUT -s "$peer_ip" -j DROP
  on "$1" iptables -w -I OUTPUT -d "$peer_ip" -j DROP
}
undrop_between() {
  local peer_ip
  peer_ip="$(ip_of "$2")"
  on "$1" iptables -w -D INPUT -s "$peer_ip" -j DROP 2>/dev/null || true
  on "$1" iptables -w -D OUTPUT -d "$peer_ip" -j DROP 2>/dev/null || true
}

# A slow, lossy link without sch_netem (this kernel has none, and no modules to load): on HOST,
# every packet in or out of its eth0 is dropped with probability LOSS (iptables `statistic`),
# and every other one held DELAY_MS by the kernel before it goes on (NFQUEUE, released by
# delay.py in HOST's namespace). Both directions, established connections included: DELAY_MS
# each way. Without delay.py running, --queue-bypass lets packets through undelayed.
# slow_on HOST DELAY_MS LOSS
slow_on() {
  local host=$1 delay=$2 loss=$3
  slow_off "$host"
  (exec ip netns exec "mh-$host" setsid python3 "$HERE/delay.py" 0 "$delay") >>"$MH_LOGS/$host-delay.log" 2>&1 </dev/null &
  echo $! >"$MH_RUN/$host-delay.pid"
  disown 2>/dev/null || true
  sleep 0.3
  kill -0 "$(cat "$MH_RUN/$host-delay.pid")" 2>/dev/null || { tail -5 "$MH_LOGS/$host-delay.log" >&2; return 1; }
  on "$host" iptables -w -N mh-slow
  on "$host" iptables -w -A mh-slow -m statistic --mode random --probability "$loss" -j DROP
  on "$host" iptables -w -A mh-slow -j NFQUEUE --queue-num 0 --queue-bypass
  on "$host" iptables -w -I INPUT -i eth0 -j mh-slow
  on "$host" iptables -w -I OUTPUT -o eth0 -j mh-slow
}
slow_off() {
  local host=$1 pid
  on "$host" iptables -w -D INPUT -i eth0 -j mh-slow 2>/dev/null || true
  on "$host" iptables -w -D OUTPUT -o eth0 -j mh-slow 2>/dev/null || true
  on "$host" iptables -w -F mh-slow 2>/dev/null || true
  on "$host" iptables -w -X mh-slow 2>/dev/null || true
  if [ -f "$MH_RUN/$host-delay.pid" ]; then
    pid="$(cat "$MH_RUN/$host-delay.pid")"
    kill "$pid" 2>/dev/null || true
    rm -f "$MH_RUN/$host-delay.pid"
  fi
}

# peer_hosts HOST PORT: the hosts HOST has established TCP connections to on PORT
peer_hosts() {
  local ip h
  for ip in $(on "$1" ss -Htn state established "( dport = :$2 )" | awk '{print $4}' | sed 's/:[0-9]*$//' | sort -u); do
    for h in "${MH_HOSTS[@]}"; do
      if [ "$(ip_of "$h")" = "$ip" ]; then echo "$h"; fi
    done
  done
}
