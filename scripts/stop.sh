#!/usr/bin/env bash
# Stops the stack that `scripts/run.sh --detach` started for the same $JOBGRAINS_DATA:
# the gateway, every silo (SIGTERM, so they drain), then PostgreSQL. Safe to run twice;
# removes stale pid files.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

main() {
  case ${1:-} in
    "") ;;
    -h | --help)
      echo "usage: scripts/stop.sh   (stops the stack of \$JOBGRAINS_DATA, default .data)"
      exit 0
      ;;
    *) die "unknown argument: $1 (usage: scripts/stop.sh)" ;;
  esac
  jg_env_init
  if [[ ! -d $JOBGRAINS_DATA/run ]]; then
    log "nothing to stop for $JOBGRAINS_DATA"
    exit 0
  fi

  local name was_running=0
  local -a silos
  mapfile -t silos < <(silo_names)
  for name in gateway "${silos[@]}" postgres; do
    pid_of "$name" >/dev/null && was_running=1
  done

  # The gateway first so that no request lands on a cluster that is going away; the
  # silos together so that their drains overlap.
  bg_stop gateway
  ((${#silos[@]})) && bg_stop "${silos[@]}"
  pg_stop "$JOBGRAINS_DATA"

  if ((was_running)); then
    log "stopped the stack of $JOBGRAINS_DATA"
  else
    log "nothing was running for $JOBGRAINS_DATA"
  fi
}

main "$@"
