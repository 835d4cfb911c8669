# shellcheck shell=bash
# scripts/bench.sh --backlog: a backlog at scale, in steps of the benchmark program
# (bench/JobGrains.Bench/BacklogBench.cs) between which this script starts and stops silos.
# Sourced by scripts/bench.sh, whose stack functions it uses (reset_database, start_stack,
# stop_stack, wait_silos_active, show_logs, cleanup) and whose PostgreSQL is up; do not run it.

# Runs one step of the program's backlog command; the connection string goes through the environment.
backlog_step() { # STEP ARGS...
  local -x ConnectionStrings__JobGrains
  ConnectionStrings__JobGrains=$(jg_connection_string)
  (exec 9>&- && dotnet "$BENCH_DLL" backlog --step "$@")
}

run_backlog() {
  local delayed=${JOBGRAINS_BENCH_BACKLOG_DELAYED:-1000000} queued=${JOBGRAINS_BENCH_BACKLOG_QUEUED:-100000}
  local wave=${JOBGRAINS_BENCH_BACKLOG_WAVE:-100000} kill_after=${JOBGRAINS_BENCH_BACKLOG_KILL_AFTER:-15}
  local timeout=${JOBGRAINS_BENCH_BACKLOG_TIMEOUT:-600} wave_ahead=${JOBGRAINS_BENCH_BACKLOG_WAVE_AHEAD:-15} v
  for v in delayed queued wave kill_after timeout wave_ahead; do
    is_uint "${!v}" || die "JOBGRAINS_BENCH_BACKLOG_${v^^} must be a number, not '${!v}'"
  done
  local results=$JOBGRAINS_DATA/results started=$SECONDS killed

  reset_database
  # silo-1 applies the migrations at its start: one silo up and down makes the schema.
  log "backlog: creating the schema (one silo, stopped again)"
  start_stack 1
  stop_stack

  log "backlog: loading $delayed delayed and $queued queued jobs by SQL while no silo runs"
  backlog_step load --delayed "$delayed" --queued "$queued" --out "$results/load.json" || die "the backlog load failed"

  log "backlog: starting 2 silos on the backlog"
  start_stack 2
  # The drain step SIGKILLs one of them: no job-control notice of it in the output.
  disown "$(pid_of silo-1)" "$(pid_of silo-2)" 2>/dev/null || true
  backlog_step drain --queued "$queued" --kill-after-seconds "$kill_after" --timeout-seconds "$timeout" \
    --silo-port "$JOBGRAINS_SILO_PORT" --silo "silo-1=$(pid_of silo-1)" --silo "silo-2=$(pid_of silo-2)" \
    --killed-file "$results/killed" --out "$results/drain.json" || {
    show_logs
    die "the backlog drain failed"
  }

  # The wave runs on the whole stack again: the killed silo comes back, as its machine would.
  killed=$(<"$results/killed")
  [[ $killed =~ ^silo-[12]$ ]] || die "unexpected killed silo '$killed'"
  log "backlog: restarting $killed for the wave"
  silo_start "${killed#silo-}" 0
  wait_tcp 127.0.0.1 "$(silo_port "${killed#silo-}")" 120 "$killed" || {
    show_logs
    die "$killed did not restart"
  }
  wait_silos_active 2
  backlog_step wave --jobs "$wave" --ahead-seconds "$wave_ahead" --timeout-seconds "$timeout" --out "$results/wave.json" || {
    show_logs
    die "the backlog wave failed"
  }

  cleanup
  log "backlog: done in $((SECONDS - started)) s; results in $results"
  backlog_step combine --load "$results/load.json" --drain "$results/drain.json" --wave "$results/wave.json"
}
