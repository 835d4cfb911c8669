# shellcheck shell=bash
# A cluster of separate hosts on one machine, for scripts/hosts.sh and the tests that use it.
# Each host (PostgreSQL, the gateway, every silo) is a network namespace with one private
# address on a shared bridge; the bridge lives in a namespace of its own (the "switch"), and
# the machine itself joins it as the operator, so that it can reach every host as a client
# would. Needs root (ip netns). Source after common.sh.
#
# Layout for JOBGRAINS_HOSTS_SUBNET=10.77.0 (the defaults; docs/deploy.md uses the same):
#   10.77.0.1   this machine (operator: curl, psql, the tests)
#   10.77.0.2   PostgreSQL            port 5432
#   10.77.0.3   gateway               port 5080 (HTTP, SignalR)
#   10.77.0.1N  silo-N (N = 1..9)     ports 11111 (silos), 11211 (clients), 11311 (metrics)
# Namespaces: <prefix>-sw (switch), <prefix>-pg, <prefix>-gw, <prefix>-s1 ...; the machine's
# end of its link is the interface <prefix>-op.

[[ -n "${_JG_HOSTS_LOADED:-}" ]] && return 0
_JG_HOSTS_LOADED=1

# Settings: call once.
hosts_env_init() {
  HOSTS_PREFIX="${JOBGRAINS_HOSTS_PREFIX:-jgh}"
  HOSTS_SUBNET="${JOBGRAINS_HOSTS_SUBNET:-10.77.0}"
  HOSTS_SILOS="${JOBGRAINS_HOSTS_SILOS:-3}"
  HOSTS_READY_TIMEOUT="${JOBGRAINS_READY_TIMEOUT:-120}"
  # The data dir of this cluster: pid files, logs, the PostgreSQL cluster, the secrets.
  JOBGRAINS_DATA="$(abs_path "${JOBGRAINS_HOSTS_DATA:-.data/hosts}")"
  export JOBGRAINS_DATA
  [[ $HOSTS_PREFIX =~ ^jg[a-z0-9]{1,6}$ ]] ||
    die "JOBGRAINS_HOSTS_PREFIX must be 'jg' and 1 to 6 more letters or digits, not '$HOSTS_PREFIX'"
  [[ $HOSTS_SUBNET =~ ^10\.[0-9]{1,3}\.[0-9]{1,3}$ ]] ||
    die "JOBGRAINS_HOSTS_SUBNET must be the first three parts of a 10.x.y.0/24 network, not '$HOSTS_SUBNET'"
  { is_uint "$HOSTS_SILOS" && ((HOSTS_SILOS >= 1 && HOSTS_SILOS <= 9)); } ||
    die "JOBGRAINS_HOSTS_SILOS must be from 1 to 9, not '$HOSTS_SILOS'"
  ((EUID == 0)) || die "network namespaces need root"
  command -v ip >/dev/null || die "the 'ip' command (iproute2) is missing"
}

HOSTS_PG_PORT=5432
HOSTS_HTTP_PORT=5080
HOSTS_SILO_PORT=11111
HOSTS_GATEWAY_PORT=11211
HOSTS_METRICS_PORT=11311

# Host names as the commands take them: pg, gateway, silo-N, and operator (this machine).
host_address() { # HOST
  case $1 in
    operator) printf '%s.1\n' "$HOSTS_SUBNET" ;;
    pg) printf '%s.2\n' "$HOSTS_SUBNET" ;;
    gateway) printf '%s.3\n' "$HOSTS_SUBNET" ;;
    silo-[1-9]) printf '%s.1%s\n' "$HOSTS_SUBNET" "${1#silo-}" ;;
    *) return 1 ;;
  esac
}

host_netns() { # HOST
  case $1 in
    pg) printf '%s-pg\n' "$HOSTS_PREFIX" ;;
    gateway) printf '%s-gw\n' "$HOSTS_PREFIX" ;;
    silo-[1-9]) printf '%s-s%s\n' "$HOSTS_PREFIX" "${1#silo-}" ;;
    *) return 1 ;;
  esac
}

# The switch's end of HOST's link (inside the switch namespace).
host_port_dev() { # HOST
  case $1 in
    operator) printf 'p-op\n' ;;
    pg) printf 'p-pg\n' ;;
    gateway) printf 'p-gw\n' ;;
    silo-[1-9]) printf 'p-s%s\n' "${1#silo-}" ;;
    *) return 1 ;;
  esac
}

hosts_switch() { printf '%s-sw\n' "$HOSTS_PREFIX"; }
hosts_operator_dev() { printf '%s-op\n' "$HOSTS_PREFIX"; }

hosts_silos() { silo_names_upto "$HOSTS_SILOS"; }

hosts_all() {
  printf 'pg\ngateway\n'
  hosts_silos
}

host_valid() { host_address "$1" >/dev/null && [[ $1 != silo-* || ${1#silo-} -le $HOSTS_SILOS ]]; }

# The connection string every host uses; the password comes from the pgpass file. With
# JOBGRAINS_HOSTS_CONNECTION set, that one: a PostgreSQL of the caller's (a primary and its
# standby, say), which the pg host then does not run.
hosts_connection_string() {
  if hosts_external_pg; then
    printf '%s' "$JOBGRAINS_HOSTS_CONNECTION"
    return 0
  fi
  printf 'Host=%s;Port=%s;Username=jobgrains;Database=jobgrains;Passfile=%s' \
    "$(host_address pg)" "$HOSTS_PG_PORT" "$JOBGRAINS_DATA/pgpass"
}

hosts_external_pg() { [[ -n ${JOBGRAINS_HOSTS_CONNECTION:-} ]]; }

hosts_url() { printf 'http://%s:%s\n' "$(host_address gateway)" "$HOSTS_HTTP_PORT"; }

# ---------------------------------------------------------------------------
# The network

# Removes every namespace of this prefix (stopping what still runs in it) and the
# machine's link: what an earlier run that died left behind. Only this prefix's names.
net_remove() {
  local ns pid
  while read -r ns _; do
    [[ $ns == "$HOSTS_PREFIX"-* ]] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done < <(ip netns list 2>/dev/null)
  while read -r ns _; do
    [[ $ns == "$HOSTS_PREFIX"-* ]] || continue
    ip netns del "$ns" 2>/dev/null || warn "could not remove namespace $ns"
  done < <(ip netns list 2>/dev/null)
  ip link del "$(hosts_operator_dev)" 2>/dev/null || true
}

# Joins namespace NS (created here) to the switch as DEV_ON_SWITCH, with ADDRESS/24 on eth0.
net_attach() { # NS DEV_ON_SWITCH ADDRESS
  local ns=$1 dev=$2 address=$3 sw
  sw=$(hosts_switch)
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "$dev" netns "$sw" type veth peer name eth0 netns "$ns"
  ip -n "$sw" link set "$dev" master br0 up
  ip -n "$ns" addr add "$address/24" dev eth0
  ip -n "$ns" link set eth0 up
}

net_create() {
  local sw op host
  sw=$(hosts_switch)
  op=$(hosts_operator_dev)
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  ip link add "$op" type veth peer name p-op netns "$sw"
  ip -n "$sw" link set p-op master br0 up
  ip addr add "$(host_address operator)/24" dev "$op"
  ip link set "$op" up
  while read -r host; do
    net_attach "$(host_netns "$host")" "$(host_port_dev "$host")" "$(host_address "$host")"
  done < <(hosts_all)
  log "network $HOSTS_SUBNET.0/24 on namespaces $HOSTS_PREFIX-*: $(hosts_all | tr '\n' ' ')"
}

# Cuts (down) or heals (up) HOST's whole link at the switch: it reaches nobody and nobody
# reaches it; packets vanish without an answer, as when a cable or a VM's network goes.
net_link() { # HOST up|down
  ip -n "$(hosts_switch)" link set "$(host_port_dev "$1")" "$2"
}

# Cuts (add) or heals (del) the path between HOST and PEER only, in both directions, with a
# blackhole route on each side. The operator's side is this machine: only the host's side
# is changed then.
net_pair() { # HOST PEER add|del
  local a=$1 b=$2 op=$3 ns pair from to
  for pair in "$a $b" "$b $a"; do
    read -r from to <<<"$pair"
    [[ $from == operator ]] && continue
    ns=$(host_netns "$from")
    if [[ $op == add ]]; then
      ip -n "$ns" route replace blackhole "$(host_address "$to")/32"
    else
      ip -n "$ns" route del blackhole "$(host_address "$to")/32" 2>/dev/null || true
    fi
  done
}

# ---------------------------------------------------------------------------
# The processes

# PostgreSQL as common.sh's pg_start sets it up, but in the pg namespace, listening on its address
# only, and with the network's hosts allowed in (the role jobgrains, with its password). DATA/pgpass
# is for that address; DATA/connection-string names it as the Passfile.
# shellcheck disable=SC2034 # the JG_PG_* locals are read by pg_start and what it calls
hosts_pg_start() {
  if hosts_external_pg; then
    jg_data_dirs "$JOBGRAINS_DATA"
    hosts_connection_string | jg_write_private "$JOBGRAINS_DATA/connection-string"
    log "PostgreSQL: the caller's (JOBGRAINS_HOSTS_CONNECTION); the pg host runs none"
    return 0
  fi
  local JG_PG_ADDRESS JG_PG_NETNS JG_PG_NETWORK="$HOSTS_SUBNET.0/24"
  JG_PG_ADDRESS=$(host_address pg)
  JG_PG_NETNS=$(host_netns pg)
  pg_start "$JOBGRAINS_DATA" "$HOSTS_PG_PORT" jobgrains
  hosts_connection_string | jg_write_private "$JOBGRAINS_DATA/connection-string"
}

# Silo N on its own host: it advertises the host's address, so the other silos and the
# gateway reach it there, and finds the cluster through PostgreSQL's membership table.
# The settings go through exported locals, as in common.sh's silo_start: no secret on a command line.
hosts_silo_start() { # N
  local host="silo-$1"
  local -x ConnectionStrings__JobGrains JobGrains__Silo__Name=$host JobGrains__Silo__AdvertisedAddress
  ConnectionStrings__JobGrains=$(hosts_connection_string)
  JobGrains__Silo__AdvertisedAddress=$(host_address "$host")
  local -x JobGrains__Silo__SiloPort=$HOSTS_SILO_PORT JobGrains__Silo__GatewayPort=$HOSTS_GATEWAY_PORT \
    JobGrains__Silo__MetricsPort=$HOSTS_METRICS_PORT
  [[ -n ${JOBGRAINS_SLOTS:-} ]] && local -x JobGrains__Worker__Slots=$JOBGRAINS_SLOTS
  bg_start "$host" "$(dirname -- "$JG_SILO_DLL")" ip netns exec "$(host_netns "$host")" dotnet "$JG_SILO_DLL"
}

hosts_gateway_start() { # API_KEY
  local -x ASPNETCORE_URLS ConnectionStrings__JobGrains JobGrains__Auth__Keys__0=$1
  ASPNETCORE_URLS=$(hosts_url)
  ConnectionStrings__JobGrains=$(hosts_connection_string)
  bg_start gateway "$(dirname -- "$JG_GATEWAY_DLL")" ip netns exec "$(host_netns gateway)" dotnet "$JG_GATEWAY_DLL"
}

# ---------------------------------------------------------------------------
# The whole cluster

# Creates the network and starts PostgreSQL, the silos and the gateway (API_KEY); returns once
# the gateway is ready. Dies when something does not come up: the caller's EXIT trap takes
# down what did (hosts_down).
hosts_up() { # API_KEY
  local n
  net_create
  hosts_pg_start
  # silo-1 first: it runs the migrations and writes the cluster's first membership rows.
  for ((n = 1; n <= HOSTS_SILOS; n++)); do
    hosts_silo_start "$n"
    if ((n == 1)); then
      wait_tcp "$(host_address silo-1)" "$HOSTS_SILO_PORT" "$HOSTS_READY_TIMEOUT" silo-1 || die "silo-1 did not start"
    fi
  done
  for ((n = 2; n <= HOSTS_SILOS; n++)); do
    wait_tcp "$(host_address "silo-$n")" "$HOSTS_SILO_PORT" "$HOSTS_READY_TIMEOUT" "silo-$n" || die "silo-$n did not start"
  done
  hosts_gateway_start "$1"
  # shellcheck disable=SC2046 # one name per silo
  wait_http "$(hosts_url)/health/ready" "$HOSTS_READY_TIMEOUT" gateway $(hosts_silos) || die "the gateway did not become ready"
}

# Stops every process of the hosts and removes the namespaces.
hosts_down() {
  local -a silos
  local name pid
  mapfile -t silos < <(silo_names)
  # A frozen process would sit out the whole stop timeout before its SIGKILL.
  for name in gateway "${silos[@]}" postgres; do
    pid=$(pid_of "$name") && kill -CONT "$pid" 2>/dev/null || true
  done
  bg_stop gateway
  ((${#silos[@]})) && bg_stop "${silos[@]}"
  pg_stop "$JOBGRAINS_DATA"
  net_remove
  log "stopped; namespaces $HOSTS_PREFIX-* removed"
}

# The last lines of every host's log, to stderr: why something did not come up.
hosts_show_logs() {
  local name
  for name in postgres $(hosts_silos) gateway; do show_log_tail "$(log_path "$name")" 30; done
}
