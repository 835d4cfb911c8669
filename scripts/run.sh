#!/usr/bin/env bash
# Starts a whole JobGrains stack on this machine: PostgreSQL, $JOBGRAINS_SILOS silos and
# the gateway. Foreground by default (Ctrl-C stops everything); --detach returns once
# the gateway is ready and leaves it running (scripts/stop.sh stops it).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

READY_TIMEOUT="${JOBGRAINS_READY_TIMEOUT:-120}"

usage() {
  cat <<EOF
usage: scripts/run.sh [--detach]

Starts PostgreSQL, \$JOBGRAINS_SILOS silos and the gateway, and waits until
\$JOBGRAINS_URL/health/ready answers. Without --detach it stays in the foreground
until Ctrl-C or SIGTERM and then stops everything; with --detach it returns once
ready (stop the stack with scripts/stop.sh).

Environment (defaults):
  JOBGRAINS_DATA=.data (relative paths count from the repo root)
  JOBGRAINS_URL=http://127.0.0.1:5080    JOBGRAINS_PG_PORT=5433
  JOBGRAINS_SILOS=2                      JOBGRAINS_SILO_PORT=11111
  JOBGRAINS_SLOTS (attempts per silo)    JOBGRAINS_SPOT_SILOS (e.g. "2 3")
  JOBGRAINS_API_KEY (else generated once and kept in \$JOBGRAINS_DATA/api-key;
                     at least 32 characters)
  JOBGRAINS_SKIP_BUILD=1 skips the build; JOBGRAINS_READY_TIMEOUT=120 (seconds)

Kept in \$JOBGRAINS_DATA, readable by you only: api-key, api-header (for curl -H @file),
pgpass (the password of PostgreSQL's role jobgrains, for PGPASSFILE=... psql), connection-string
(for workers of your own), logs/. PostgreSQL listens on 127.0.0.1 and asks every connection for
a password; its superuser is reachable only over its local socket, by the cluster's owner.
EOF
}

DETACH=0
STACK_UP=0   # 1 once something was started that the EXIT trap must stop
PG_OWNED=0   # 1 when this run started PostgreSQL (a server it reused is left running)

parse_args() {
  while (($#)); do
    case $1 in
      --detach | -d) DETACH=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    shift
  done
}

# One stack per data dir: refuse when its gateway or a silo is alive.
refuse_if_running() {
  local name pid
  local -a alive=()
  for name in gateway $(silo_names); do
    if pid=$(pid_of "$name"); then
      alive+=("$name (pid $pid)")
    else
      rm -f -- "$(pid_path "$name")"
    fi
  done
  if ((${#alive[@]})); then
    die "a JobGrains stack is already running for $JOBGRAINS_DATA: ${alive[*]}." \
      "Stop it with scripts/stop.sh (same JOBGRAINS_DATA), or use another JOBGRAINS_DATA, ports and URL."
  fi
}

# Everything that must be free before anything starts, checked up front so that a
# clash reads as a clear message instead of a silo that cannot bind.
check_ports_free() {
  local n
  url_in_use "$JOBGRAINS_URL" &&
    die "something already answers at $JOBGRAINS_URL; set JOBGRAINS_URL to a free address"
  for ((n = 1; n <= JOBGRAINS_SILOS; n++)); do check_silo_ports_free "$n"; done
}

show_stack_logs() {
  local name
  for name in postgres $(silo_names_upto "$JOBGRAINS_SILOS") gateway; do
    show_log_tail "$(log_path "$name")" 30
  done
}

# Stops, in order: the gateway (no new requests), every silo of this data dir at once
# (SIGTERM: they drain in parallel, silo.sh ones included, since PostgreSQL is about to
# go away under them), then PostgreSQL if this run started it.
stop_stack() {
  trap '' INT TERM # a second Ctrl-C must not cut the drain short
  ((STACK_UP)) || return 0
  STACK_UP=0
  log "stopping (silos drain for up to ${JG_STOP_TIMEOUT}s)"
  bg_stop gateway
  local -a silos
  mapfile -t silos < <(silo_names)
  ((${#silos[@]})) && bg_stop "${silos[@]}"
  ((PG_OWNED)) && pg_stop "$JOBGRAINS_DATA"
  log "stopped"
}

# The connection string of the stack's database, for workers and clients of your own:
# export ConnectionStrings__JobGrains="$(cat "$JOBGRAINS_DATA/connection-string")". Mode 600.
write_connection_string() {
  jg_connection_string | jg_write_private "$JOBGRAINS_DATA/connection-string"
}

start_stack() {
  local n spot
  STACK_UP=1
  pg_start "$JOBGRAINS_DATA" "$JOBGRAINS_PG_PORT" jobgrains
  ((JG_PG_REUSED)) || PG_OWNED=1
  write_connection_string

  # silo-1 first: it creates the database objects (migrations) and the cluster's first
  # membership rows; the others join once it listens.
  for ((n = 1; n <= JOBGRAINS_SILOS; n++)); do
    spot=0
    silo_listed_spot "$n" && spot=1
    silo_start "$n" "$spot"
    if ((n == 1)); then
      wait_tcp 127.0.0.1 "$(silo_port 1)" "$READY_TIMEOUT" silo-1 || startup_failed
    fi
  done
  for ((n = 2; n <= JOBGRAINS_SILOS; n++)); do
    wait_tcp 127.0.0.1 "$(silo_port "$n")" "$READY_TIMEOUT" "silo-$n" || startup_failed
  done
  gateway_start "$API_KEY"
  log "waiting for $JOBGRAINS_URL/health/ready"
  # shellcheck disable=SC2046 # one name per silo
  wait_http "$JOBGRAINS_URL/health/ready" "$READY_TIMEOUT" gateway $(silo_names_upto "$JOBGRAINS_SILOS") || startup_failed
}

# Explains with the logs, then exits: the EXIT trap stops what was started.
startup_failed() {
  show_stack_logs
  die "the stack did not become ready; stopping what was started"
}

print_banner() {
  local spot=""
  [[ -n $JOBGRAINS_SPOT_SILOS ]] && spot=" (spot: $JOBGRAINS_SPOT_SILOS)"
  cat <<EOF

JobGrains is ready: $JOBGRAINS_SILOS silo(s)$spot, PostgreSQL on 127.0.0.1:$JOBGRAINS_PG_PORT
  Dashboard:  $JOBGRAINS_URL/#key=$API_KEY
              $JOBGRAINS_URL/  (asks for the API key)
  API key:    $API_KEY
  Try:        curl -s -H @$JOBGRAINS_DATA/api-header -H 'Content-Type: application/json' \\
                -d '{"type":"echo","instruction":{"hello":"world"}}' $JOBGRAINS_URL/api/jobs
  SQL:        PGPASSFILE=$JOBGRAINS_DATA/pgpass psql -h 127.0.0.1 -p $JOBGRAINS_PG_PORT -U jobgrains jobgrains
  Metrics:    $JOBGRAINS_URL/metrics (gateway), http://127.0.0.1:$(silo_metrics_port 1)/metrics (silo-1; silo N: that port + N - 1)
  Logs:       $JOBGRAINS_DATA/logs/
  Workers:    ConnectionStrings__JobGrains="\$(cat $JOBGRAINS_DATA/connection-string)" (README: "Your own workers")
EOF
  if ((DETACH)); then
    printf '  Stop:       scripts/stop.sh%s\n\n' "$(stop_hint_env)"
  else
    printf '  Stop:       Ctrl-C\n\n'
  fi
}

# The JOBGRAINS_DATA prefix stop.sh needs when it is not the default.
stop_hint_env() {
  [[ $JOBGRAINS_DATA == "$(abs_path .data)" ]] || printf ' (with JOBGRAINS_DATA=%q)' "$JOBGRAINS_DATA"
}

# Foreground: stay until a signal; leave (and stop all) when the gateway or PostgreSQL
# dies. A silo that dies is only reported: losing silos is something to try out.
watch_stack() {
  local name
  local -A reported=()
  while true; do
    pid_of gateway >/dev/null || {
      show_log_tail "$(log_path gateway)" 30
      die "the gateway exited"
    }
    if ((PG_OWNED)) && ! pid_of postgres >/dev/null; then
      die "PostgreSQL exited (log: $(log_path postgres))"
    fi
    for name in $(silo_names_upto "$JOBGRAINS_SILOS"); do
      if [[ -z ${reported[$name]:-} ]] && [[ -f $(pid_path "$name") ]] && ! pid_of "$name" >/dev/null; then
        warn "$name exited (log: $(log_path "$name"))"
        reported[$name]=1
      fi
    done
    sleep 2 &
    wait $! || true
  done
}

main() {
  parse_args "$@"
  jg_env_init
  ((JOBGRAINS_SILOS >= 1)) || die "JOBGRAINS_SILOS must be at least 1 (the gateway is ready only with a cluster)"
  lock_data_dir "$JOBGRAINS_DATA" "another scripts/run.sh is starting or running for $JOBGRAINS_DATA"
  refuse_if_running
  check_ports_free
  API_KEY=$(jg_api_key "$JOBGRAINS_DATA")
  build_release || die "the build failed"
  require_app_dlls "$JG_SILO_DLL" "$JG_GATEWAY_DLL"

  trap stop_stack EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  start_stack
  print_banner
  if ((DETACH)); then
    STACK_UP=0 # leave it running
    exit 0
  fi
  watch_stack
}

main "$@"
