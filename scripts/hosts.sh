#!/usr/bin/env bash
# A JobGrains cluster of separate hosts on one machine (network namespaces, as root), to try
# out a multi-machine deployment and the failures of one: a host cut off, a link between two
# hosts cut, a process frozen. See docs/deploy.md ("Many machines") for the addresses.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/hosts.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/hosts.sh"

usage() {
  cat <<EOF
usage: scripts/hosts.sh COMMAND

  up                     creates the hosts and starts PostgreSQL, the silos and the gateway;
                         returns once the gateway is ready (removes what an earlier run left)
  down                   stops everything and removes the namespaces
  status                 hosts, addresses, processes and cuts
  cut HOST [PEER...]     without PEER: HOST's whole link; with PEERs: only those paths
  heal HOST [PEER...]    undoes the cut
  freeze HOST | thaw HOST   SIGSTOP / SIGCONT to the host's process (a hung machine)

HOST and PEER: pg, gateway, silo-N, or (as PEER) silos = every silo but HOST.

Environment (defaults):
  JOBGRAINS_HOSTS_DATA=.data/hosts      JOBGRAINS_HOSTS_SILOS=3 (1..9)
  JOBGRAINS_HOSTS_SUBNET=10.77.0        JOBGRAINS_HOSTS_PREFIX=jgh (namespace names)
  JOBGRAINS_SLOTS, JOBGRAINS_API_KEY, JOBGRAINS_SKIP_BUILD=1, JOBGRAINS_READY_TIMEOUT=120
  JOBGRAINS_HOSTS_CONNECTION   a connection string for the silos and the gateway to use
                               instead of PostgreSQL on the pg host (which then runs none)
EOF
}

# The name of HOST's process (its pid file and log): postgres on pg, else the host's own name.
host_process() { # HOST
  if [[ $1 == pg ]]; then printf 'postgres\n'; else printf '%s\n' "$1"; fi
}

UP_DONE=0
# EXIT trap of `up`: what did not come up is taken down again, namespaces included.
up_failed() {
  ((UP_DONE)) && return 0
  trap '' INT TERM
  hosts_show_logs
  JG_STOP_TIMEOUT=5 hosts_down
}

cmd_up() {
  local key n
  build_release || die "the build failed"
  require_app_dlls "$JG_SILO_DLL" "$JG_GATEWAY_DLL"
  key=$(jg_api_key "$JOBGRAINS_DATA")
  hosts_down 2>/dev/null
  trap up_failed EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  hosts_up "$key"
  UP_DONE=1
  cat <<EOF

JobGrains runs on $((HOSTS_SILOS + 2)) hosts of $HOSTS_SUBNET.0/24:
  PostgreSQL  $(host_address pg):$HOSTS_PG_PORT   (connection string: $JOBGRAINS_DATA/connection-string)
  Gateway     $(hosts_url)   API key: $key
$(for ((n = 1; n <= HOSTS_SILOS; n++)); do printf '  silo-%s      %s:%s (clients %s, metrics %s)\n' "$n" "$(host_address "silo-$n")" "$HOSTS_SILO_PORT" "$HOSTS_GATEWAY_PORT" "$HOSTS_METRICS_PORT"; done)
  Stop:       scripts/hosts.sh down

EOF
}

cmd_status() {
  local host pid state
  for host in $(hosts_all); do
    pid=$(pid_of "$(host_process "$host")" 2>/dev/null || true)
    state=$(ip -n "$(hosts_switch)" -br link show "$(host_port_dev "$host")" 2>/dev/null | awk '{print $2}')
    printf '%-8s %-14s pid %-8s link %-6s cuts: %s\n' "$host" "$(host_address "$host")" "${pid:--}" "${state:-none}" \
      "$(ip -n "$(host_netns "$host")" route show type blackhole 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
  done
}

# The hosts a PEER argument names.
expand_peers() { # HOST PEER...
  local host=$1 peer
  shift
  for peer in "$@"; do
    if [[ $peer == silos ]]; then
      hosts_silos | grep -vx -- "$host" || true
    else
      host_valid "$peer" || die "unknown host '$peer'"
      printf '%s\n' "$peer"
    fi
  done
}

cmd_cut_heal() { # add|del HOST [PEER...]
  local op=$1 host=$2 peer
  shift 2
  host_valid "$host" && [[ $host != operator ]] || die "unknown host '$host'"
  if (($# == 0)); then
    net_link "$host" "$([[ $op == add ]] && echo down || echo up)"
    log "$([[ $op == add ]] && echo cut || echo healed) the link of $host"
    return 0
  fi
  for peer in $(expand_peers "$host" "$@"); do
    [[ $peer == "$host" ]] && continue
    net_pair "$host" "$peer" "$op"
    log "$([[ $op == add ]] && echo cut || echo healed) $host <-> $peer"
  done
}

cmd_signal() { # STOP|CONT HOST
  local pid
  pid=$(pid_of "$(host_process "$2")") || die "$2 is not running"
  kill -"$1" "$pid"
  log "sent SIG$1 to $2 (pid $pid)"
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    -h | --help | "")
      usage
      [[ -n $cmd ]]
      exit
      ;;
  esac
  hosts_env_init
  lock_data_dir "$JOBGRAINS_DATA" "another scripts/hosts.sh is changing $JOBGRAINS_DATA"
  case $cmd in
    up) cmd_up ;;
    down) hosts_down ;;
    status) cmd_status ;;
    cut | heal)
      (($# >= 1)) || die "usage: scripts/hosts.sh $cmd HOST [PEER...]"
      cmd_cut_heal "$([[ $cmd == cut ]] && echo add || echo del)" "$@"
      ;;
    freeze | thaw)
      (($# == 1)) || die "usage: scripts/hosts.sh $cmd HOST"
      cmd_signal "$([[ $cmd == freeze ]] && echo STOP || echo CONT)" "$1"
      ;;
    *)
      usage >&2
      die "unknown command: $cmd"
      ;;
  esac
}

main "$@"
