#!/usr/bin/env bash
# The end-to-end benchmark: starts its own stack (PostgreSQL with durable commits, silos, the
# gateway) on its own data dir and ports, pushes `echo` jobs through the .NET client and through
# REST batches, first on 2 silos then on 1, and prints as its last line one JSON object:
#   {"client": {...}, "rest": {...}, "oneSilo": {...}, "twoSilos": {...}}
# (--batch adds "batch": {...} and "batchToRest": {...}; --backlog prints
# {"mode": "backlog", "load": {...}, "drain": {...}, "wave": {...}}, see lib/bench-backlog.sh;
# --stalled-client: {"mode": "stalled-client", "runs": [...], "bursts": {...}, ...}; --large-table
# adds "largeTable": {...}, "list": {...} and "duringRetention": {...} to the two-silo stack's).
# See docs/benchmarks.md for what is measured and how. Stops everything it started.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/bench-backlog.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bench-backlog.sh"

usage() {
  cat <<EOF
usage: scripts/bench.sh [--flood | --batch | --backlog | --stalled-client | --large-table]

  --flood   a flood as users send one: 20,000 echo jobs through REST batches as fast as the
            client sends them, with nothing held back (no window), the silos' default slots (64),
            20 s of warm-up (as the full-load runs) and no half-load runs; the variables below
            still override it
  --batch   a fan-out/fan-in batch against plain jobs on one stack (2 silos, 64 slots): runs that
            alternate between one POST /api/batches of 10,000 echo jobs (1 split job; 9,988 process
            jobs that depend on it; 10 gather jobs that depend on up to 1,000 of them each, a job's
            limit; 1 merge job that depends on the gathers), timed from the send to the last job
            ended and the batch checked succeeded, and 10,000 plain echo jobs through REST batches
            of 500 sent as fast as the client sends them, as --flood does; 5 s of warm-up each,
            no half-load runs.
            JOBGRAINS_BENCH_JOBS sets both sizes (at most 10,000, a batch's limit)
  --backlog a backlog at scale (2 silos, 16 slots, no gateway): loads delayed and queued
            echo jobs straight into the jobs table by SQL (INSERT ... SELECT FROM generate_series,
            silos stopped), starts the silos, samples their RSS while the queued jobs drain,
            SIGKILLs the silo hosting the dispatcher part-way (time to the first start elsewhere,
            jobs/s before, after and recovery), checks that every queued job ran once, then times
            a wave of delayed jobs all due in one second (start lag p50/p99, one attempt each)
  --stalled-client
            whether a hub client that never reads hurts others (2 silos and the gateway): a
            dashboard (a SignalR client subscribed to all jobs) measures its push lag (arrival minus
            the view's updatedAt) and the gateway's RSS is sampled during full loads of
            JOBGRAINS_BENCH_JOBS (here 20,000) echo jobs through the .NET client: without, with a
            client that subscribes to all jobs and never reads its socket (and when the gateway
            cut it off), and without again; then 20 bursts of 50 jobs through REST on the idle stack
            (push lag p50/p99), each lag beside the silos' own push to the program (the firehose);
            JOBGRAINS_BENCH_ARGS may set --bursts N, --burst-jobs N and --stalled-rate N (open
            loops of N jobs/s instead of full loads)
  --large-table
            the plain runs on a big table, as a system that has run for a while has (2 silos, the
            .NET client, 64 slots): first JOBGRAINS_BENCH_TABLE_ROWS finished rows are inserted by
            SQL (INSERT ... SELECT FROM generate_series), half finished 30 days ago (past the
            default retention of 7 days) and half in the last hour; then the full-load runs, the
            list-query timings on that table, and full loads again, one after another: 12 min
            without a sweep, then, for at most 12 min, while a retention sweep (the retention
            grain's, as its reminder runs it; the silos' own reminder is set to a day) removes the
            old half; then, if it has not finished, the sweep alone for at most 3 min

Environment (defaults):
  JOBGRAINS_BENCH_DATA=.data/bench        its own data dir (wiped at start)
  JOBGRAINS_BENCH_PG_PORT=5533            JOBGRAINS_BENCH_SILO_PORT=12111
  JOBGRAINS_BENCH_URL=http://127.0.0.1:5180
  JOBGRAINS_BENCH_STACKS="2 1"            silo counts to measure, in order
  JOBGRAINS_BENCH_PATHS=client,rest       JOBGRAINS_BENCH_REPEAT=3 (runs per measurement)
  JOBGRAINS_BENCH_JOBS=10000              jobs per full-load run
  JOBGRAINS_BENCH_HALF_SECONDS=5          length of a half-load (open loop) run
  JOBGRAINS_BENCH_LIST_ROWS=1000000       rows for the list-query timings (0: skip)
  JOBGRAINS_BENCH_BURN=0                  jobs of a burn-down with silo RSS sampling (0: skip)
  JOBGRAINS_BENCH_GATEWAY=1               0: no gateway when PATHS has no rest
  JOBGRAINS_BENCH_ARGS                    more arguments for the benchmark program
  JOBGRAINS_SLOTS=64                      attempts per silo (also the silos' default; --flood leaves it
                                          unset, --backlog sets 16)
  JobGrains__*                            passed to the silos as usual
  JOBGRAINS_SKIP_BUILD=1                  skips the Release build
 --large-table only:
  JOBGRAINS_BENCH_TABLE_ROWS=10000000     finished rows in the table before the runs
 --backlog only:
  JOBGRAINS_BENCH_BACKLOG_DELAYED=1000000 delayed jobs (run_at spread over the next 7 days)
  JOBGRAINS_BENCH_BACKLOG_QUEUED=100000   queued jobs, drained with the kill
  JOBGRAINS_BENCH_BACKLOG_WAVE=100000     jobs of the wave, all due in one second
  JOBGRAINS_BENCH_BACKLOG_WAVE_AHEAD=15   seconds from the wave's insert to that second
  JOBGRAINS_BENCH_BACKLOG_KILL_AFTER=15   seconds on 2 silos before the kill (or half the queued jobs)
  JOBGRAINS_BENCH_BACKLOG_TIMEOUT=600     seconds to wait for the drain, and for the wave
EOF
}

FLOOD=0
BATCH=0
BACKLOG=0
STALLED=0
LARGE=0
case ${1:-} in
  -h | --help)
    usage
    exit 0
    ;;
  --flood) FLOOD=1 ;;
  --batch) BATCH=1 ;;
  --backlog) BACKLOG=1 ;;
  --stalled-client) STALLED=1 ;;
  --large-table) LARGE=1 ;;
  "") ;;
  *)
    usage >&2
    die "unknown argument: $1"
    ;;
esac

JOBGRAINS_DATA="${JOBGRAINS_BENCH_DATA:-.data/bench}"
JOBGRAINS_PG_PORT="${JOBGRAINS_BENCH_PG_PORT:-5533}"
JOBGRAINS_SILO_PORT="${JOBGRAINS_BENCH_SILO_PORT:-12111}"
JOBGRAINS_URL="${JOBGRAINS_BENCH_URL:-http://127.0.0.1:5180}"
JOBGRAINS_SILOS=2
JOBGRAINS_SPOT_SILOS=""
# echo jobs take no time, so a slot's turn is the commit that starts its attempt: a silo is held to
# its slots per commit latency (docs/benchmarks.md). The flood takes the silos' default.
if ((FLOOD)); then
  : "${JOBGRAINS_BENCH_STACKS:=2}" "${JOBGRAINS_BENCH_PATHS:=rest}" "${JOBGRAINS_BENCH_JOBS:=20000}"
  : "${JOBGRAINS_BENCH_HALF_SECONDS:=0}" "${JOBGRAINS_BENCH_LIST_ROWS:=0}"
  JOBGRAINS_BENCH_ARGS="--window ${JOBGRAINS_BENCH_JOBS} --warmup-seconds 20 ${JOBGRAINS_BENCH_ARGS:-}"
elif ((BATCH)); then
  export JOBGRAINS_SLOTS="${JOBGRAINS_SLOTS:-64}"
  : "${JOBGRAINS_BENCH_STACKS:=2}" "${JOBGRAINS_BENCH_PATHS:=rest,batch}" "${JOBGRAINS_BENCH_JOBS:=10000}"
  : "${JOBGRAINS_BENCH_HALF_SECONDS:=0}" "${JOBGRAINS_BENCH_LIST_ROWS:=0}"
  # The plain jobs go as a flood (nothing held back), as the batch's do; runs alternate between the two.
  JOBGRAINS_BENCH_ARGS="--window ${JOBGRAINS_BENCH_JOBS} --warmup-seconds 5 --alternate 1 ${JOBGRAINS_BENCH_ARGS:-}"
elif ((BACKLOG)); then
  # The slots its figures in docs/benchmarks.md were taken with (then the silos' default).
  export JOBGRAINS_SLOTS="${JOBGRAINS_SLOTS:-16}"
  # Nothing goes through the gateway: the load is SQL, the measures come from the table and /proc.
  : "${JOBGRAINS_BENCH_PATHS:=client}" "${JOBGRAINS_BENCH_GATEWAY:=0}"
elif ((STALLED)); then
  # The load through the .NET client: the gateway's work (and RSS) is then the hub's alone.
  export JOBGRAINS_SLOTS="${JOBGRAINS_SLOTS:-64}"
  : "${JOBGRAINS_BENCH_STACKS:=2}" "${JOBGRAINS_BENCH_PATHS:=client}" "${JOBGRAINS_BENCH_JOBS:=20000}"
  : "${JOBGRAINS_BENCH_LIST_ROWS:=0}" "${JOBGRAINS_BENCH_GATEWAY:=1}"
  JOBGRAINS_BENCH_ARGS="--stalled-client 1 --warmup-seconds 10 ${JOBGRAINS_BENCH_ARGS:-}"
elif ((LARGE)); then
  export JOBGRAINS_SLOTS="${JOBGRAINS_SLOTS:-64}"
  : "${JOBGRAINS_BENCH_STACKS:=2}" "${JOBGRAINS_BENCH_PATHS:=client}" "${JOBGRAINS_BENCH_HALF_SECONDS:=0}" "${JOBGRAINS_BENCH_LIST_ROWS:=0}"
  TABLE_ROWS="${JOBGRAINS_BENCH_TABLE_ROWS:-10000000}"
  is_uint "$TABLE_ROWS" && ((TABLE_ROWS > 0)) || die "JOBGRAINS_BENCH_TABLE_ROWS must be a positive number, not '$TABLE_ROWS'"
  JOBGRAINS_BENCH_ARGS="--large-table $TABLE_ROWS ${JOBGRAINS_BENCH_ARGS:-}"
  # The program starts the sweep after its control loads; the silos' reminder must not start one first.
  export JobGrains__Retention__SweepPeriod="${JobGrains__Retention__SweepPeriod:-1.00:00:00}"
else
  export JOBGRAINS_SLOTS="${JOBGRAINS_SLOTS:-64}"
fi
jg_env_init

STACKS="${JOBGRAINS_BENCH_STACKS:-2 1}"
PATHS="${JOBGRAINS_BENCH_PATHS:-client,rest}"
REPEAT="${JOBGRAINS_BENCH_REPEAT:-3}"
JOBS="${JOBGRAINS_BENCH_JOBS:-10000}"
HALF_SECONDS="${JOBGRAINS_BENCH_HALF_SECONDS:-5}"
LIST_ROWS="${JOBGRAINS_BENCH_LIST_ROWS:-1000000}"
BURN="${JOBGRAINS_BENCH_BURN:-0}"
BENCH_DLL="$JG_ROOT/artifacts/bin/JobGrains.Bench/release/JobGrains.Bench.dll"
API_KEY="bench-$(jg_random_hex 24)"
RUNNING=0 # silos of the stack now up
PG_UP=0

for v in REPEAT JOBS HALF_SECONDS LIST_ROWS BURN; do
  is_uint "${!v}" || die "$v must be a number, not '${!v}'"
done
((BATCH == 0 || (JOBS >= 4 && JOBS <= 10000))) || die "--batch needs JOBGRAINS_BENCH_JOBS from 4 to 10000 (a batch's limit), not $JOBS"

stop_stack() {
  local -a names=(gateway)
  local n
  for ((n = 1; n <= RUNNING; n++)); do names+=("silo-$n"); done
  RUNNING=0
  JG_STOP_TIMEOUT=30 bg_stop "${names[@]}"
}

cleanup() {
  trap '' INT TERM
  stop_stack
  ((PG_UP)) && pg_stop "$JOBGRAINS_DATA"
  PG_UP=0
  return 0
}

show_logs() {
  local name
  for name in postgres silo-1 silo-2 gateway; do show_log_tail "$(log_path "$name")" 25; done
}

# A fresh `jobgrains` database for each stack, so that one stack's rows do not weigh on the next.
reset_database() {
  pg_super_psql "$JOBGRAINS_DATA" "$JOBGRAINS_PG_PORT" postgres <<<'drop database if exists jobgrains'
  pg_app_database "$JOBGRAINS_DATA" "$JOBGRAINS_PG_PORT" jobgrains
}

# Waits until membership lists SILOS silos as Active (status 3). The benchmark program then
# retries until the cluster resolves the JobGrains grains (a silo that has just joined may not yet).
wait_silos_active() { # SILOS
  local want=$1 deadline=$((SECONDS + 120)) active
  while ((SECONDS < deadline)); do
    active=$(pg_super_psql "$JOBGRAINS_DATA" "$JOBGRAINS_PG_PORT" jobgrains \
      <<<"select count(*) from orleansmembershiptable where status = 3" 2>/dev/null || echo 0)
    [[ $active =~ ^[0-9]+$ ]] && ((active >= want)) && return 0
    sleep 0.3
  done
  show_logs
  die "$want silo(s) did not become active within 120 s"
}

start_stack() { # SILOS
  local silos=$1 n
  JOBGRAINS_SILOS=$silos
  for ((n = 1; n <= silos; n++)); do check_silo_ports_free "$n"; done
  url_in_use "$JOBGRAINS_URL" && die "something already answers at $JOBGRAINS_URL; set JOBGRAINS_BENCH_URL"
  for ((n = 1; n <= silos; n++)); do
    silo_start "$n" 0
    RUNNING=$n
    # silo-1 applies the migrations; the others join once it listens.
    ((n == 1)) && { wait_tcp 127.0.0.1 "$(silo_port 1)" 120 silo-1 || { show_logs; die "silo-1 did not start"; }; }
  done
  for ((n = 2; n <= silos; n++)); do
    wait_tcp 127.0.0.1 "$(silo_port "$n")" 120 "silo-$n" || { show_logs; die "silo-$n did not start"; }
  done
  wait_silos_active "$silos"
  [[ $PATHS == *rest* || ${JOBGRAINS_BENCH_GATEWAY:-1} == 1 ]] || return 0
  gateway_start "$API_KEY"
  wait_http "$JOBGRAINS_URL/health/ready" 120 gateway silo-1 || { show_logs; die "the stack did not become ready"; }
}

run_bench() { # SILOS OUT
  local silos=$1 out=$2 n list_rows=0 burn=0
  local -a procs=(--proc "postgres=$(pid_of postgres)")
  pid_of gateway >/dev/null && procs+=(--proc "gateway=$(pid_of gateway)")
  for ((n = 1; n <= silos; n++)); do procs+=(--proc "silo-$n=$(pid_of "silo-$n")"); done
  # The list timings need one stack only: the first.
  [[ $silos == "${STACKS%% *}" ]] && list_rows=$LIST_ROWS && burn=$BURN
  # The connection string and the key through the environment: never on a command line.
  local -x ConnectionStrings__JobGrains JOBGRAINS_API_KEY=$API_KEY
  ConnectionStrings__JobGrains=$(jg_connection_string)
  # shellcheck disable=SC2086 # JOBGRAINS_BENCH_ARGS is a list of words
  (exec 9>&- && dotnet "$BENCH_DLL" run \
    --url "$JOBGRAINS_URL" \
    --label "$silos-silo" --out "$out" --paths "$PATHS" --repeat "$REPEAT" \
    --client-jobs "$JOBS" --rest-jobs "$JOBS" --batch-jobs "$JOBS" --half-seconds "$HALF_SECONDS" --list-rows "$list_rows" --burn "$burn" \
    "${procs[@]}" ${JOBGRAINS_BENCH_ARGS:-})
}

main() {
  lock_data_dir "$JOBGRAINS_DATA" "another scripts/bench.sh runs for $JOBGRAINS_DATA"
  build_release || die "the build failed"
  require_app_dlls "$JG_SILO_DLL" "$JG_GATEWAY_DLL" "$BENCH_DLL"

  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  # A fresh PostgreSQL cluster with the server's defaults: fsync and synchronous_commit on.
  pg_stop "$JOBGRAINS_DATA"
  rm -rf -- "$(readlink -m -- "$JOBGRAINS_DATA/pg")" "$JOBGRAINS_DATA/pg" "$JOBGRAINS_DATA/results"
  mkdir -p -- "$JOBGRAINS_DATA/results"
  PG_UP=1
  pg_start "$JOBGRAINS_DATA" "$JOBGRAINS_PG_PORT" ""
  if ((BACKLOG)); then
    run_backlog
    return
  fi

  local silos started=$SECONDS
  local -a combine=()
  for silos in $STACKS; do
    reset_database
    log "measuring $silos silo(s)"
    start_stack "$silos"
    run_bench "$silos" "$JOBGRAINS_DATA/results/$silos.json" || { show_logs; die "the benchmark failed on $silos silo(s)"; }
    stop_stack
    case $silos in
      2) combine+=(--two "$JOBGRAINS_DATA/results/$silos.json") ;;
      1) combine+=(--one "$JOBGRAINS_DATA/results/$silos.json") ;;
    esac
  done
  cleanup
  log "done in $((SECONDS - started)) s; results in $JOBGRAINS_DATA/results"
  (exec 9>&- && dotnet "$BENCH_DLL" combine "${combine[@]}")
}

main
