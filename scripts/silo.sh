#!/usr/bin/env bash
# Adds or removes one silo of the running stack of $JOBGRAINS_DATA:
#   scripts/silo.sh start N [--spot]   starts silo-N (spot with --spot, or when
#                                      JOBGRAINS_SPOT_SILOS lists N)
#   scripts/silo.sh stop N             SIGTERM, then waits until it has drained and exited
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

START_TIMEOUT="${JOBGRAINS_READY_TIMEOUT:-120}"

usage() {
  echo "usage: scripts/silo.sh start N [--spot] | stop N   (N: 1..100)"
}

start_silo() { # N SPOT
  local n=$1 spot=$2 pid
  if pid=$(pid_of "silo-$n"); then
    die "silo-$n is already running (pid $pid)"
  fi
  pid_of postgres >/dev/null ||
    die "the stack of $JOBGRAINS_DATA is not running; start it with scripts/run.sh --detach (same environment)"
  require_app_dlls "$JG_SILO_DLL"
  check_silo_ports_free "$n"
  silo_listed_spot "$n" && spot=1
  silo_start "$n" "$spot"
  if ! wait_tcp 127.0.0.1 "$(silo_port "$n")" "$START_TIMEOUT" "silo-$n"; then
    show_log_tail "$(log_path "silo-$n")" 40
    bg_stop "silo-$n"
    die "silo-$n did not start"
  fi
  log "silo-$n is up (silo port $(silo_port "$n"), gateway port $(silo_gateway_port "$n"), metrics http://127.0.0.1:$(silo_metrics_port "$n")/metrics$( ((spot)) && echo ', spot'))"
}

stop_silo() { # N
  local n=$1
  if ! pid_of "silo-$n" >/dev/null; then
    rm -f -- "$(pid_path "silo-$n")"
    log "silo-$n is not running"
    return 0
  fi
  bg_stop "silo-$n"
  log "silo-$n stopped"
}

main() {
  local cmd=${1:-} n=${2:-} spot=0
  [[ $cmd == -h || $cmd == --help ]] && {
    usage
    exit 0
  }
  (($# >= 2)) || {
    usage >&2
    exit 2
  }
  shift 2
  while (($#)); do
    case $1 in
      --spot) spot=1 ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    shift
  done
  { is_uint "$n" && ((n >= 1 && n <= 100)); } || die "N must be a number from 1 to 100, not '$n'"
  jg_env_init
  case $cmd in
    start) start_silo "$n" "$spot" ;;
    stop)
      ((spot == 0)) || die "--spot only goes with start"
      stop_silo "$n"
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
