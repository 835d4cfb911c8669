#!/usr/bin/env bash
# Gray failures under load: brings up the hosts cluster of scripts/hosts.sh (each silo, PostgreSQL
# and the gateway on a network namespace of its own), submits jobs through the gateway for a
# while and meanwhile injects random faults: a silo killed and restarted, a silo frozen and
# thawed, a silo cut from PostgreSQL, from the other silos or from the gateway, PostgreSQL
# restarted. Then it heals everything, waits for the jobs to end and checks in PostgreSQL that
# no acknowledged job was lost or committed twice. Prints a summary; exits 1 when a check fails.
# See docs/deploy.md ("Many faults at random"). Needs root, as hosts.sh does.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/hosts.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/hosts.sh"

# A layout of its own, so that it runs beside a scripts/hosts.sh cluster (jgh, 10.77.0).
export JOBGRAINS_HOSTS_PREFIX="${JOBGRAINS_HOSTS_PREFIX:-jgn}"
export JOBGRAINS_HOSTS_SUBNET="${JOBGRAINS_HOSTS_SUBNET:-10.78.0}"
export JOBGRAINS_HOSTS_DATA="${JOBGRAINS_HOSTS_DATA:-.data/nemesis}"

DURATION=300
SEED=""
CLIENTS=3             # submitters, each one submission at a time
MAX_ACTIVE=2          # faults at the same time
RECOVERY=20           # seconds a silo counts as unhealthy after its fault ends (it may stop itself, restart, rejoin)
KEY_RETRY_LIMIT=150   # seconds a submitter keeps retrying one key before it gives up on it
REQUEST_TIMEOUT=45    # per request: a gateway cut from the silos answers 503 after its client's 30 s of retries
WAIT_TIMEOUT=300      # for the jobs to end once everything is healed

usage() {
  cat <<EOF
usage: scripts/nemesis.sh [--duration SECONDS] [--seed N]

Starts the hosts cluster (as scripts/hosts.sh up), submits jobs for SECONDS (default 300) while
injecting random faults, heals everything, waits for the jobs to end, checks the invariants in
PostgreSQL and prints a summary. --seed N replays the same choices of faults, silos and
durations (the seed is printed), though not the same timings.
Exit code: 0 when every invariant holds, 1 otherwise.

Environment (defaults): JOBGRAINS_HOSTS_DATA=.data/nemesis, JOBGRAINS_HOSTS_PREFIX=jgn,
JOBGRAINS_HOSTS_SUBNET=10.78.0, JOBGRAINS_HOSTS_SILOS=3 (2..9), and the rest of scripts/hosts.sh's.
EOF
}

# ---------------------------------------------------------------------------
# Load: CLIENTS submitters in the background, each a loop of single submissions with an
# Idempotency-Key of its own, retried with the same key on 5xx and on no answer, as a user would.
# Each writes what it saw to $WORK: acks-C (key, id, type, when), answers-C (key, status and
# when of every try that got no 202), gaveup-C (keys never acknowledged).

WORK=""
STOP_FILE=""
RUN_ID=""
declare -a CLIENT_PIDS=()

# Sends one submission; prints the HTTP status (000: no answer) and leaves the body in FILE.
submit_once() { # KEY BODY FILE
  local status
  status=$(curl -sS -o "$3" -w '%{http_code}' --max-time "$REQUEST_TIMEOUT" -H @"$JOBGRAINS_DATA/api-header" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: $1" --data-binary "$2" "$(hosts_url)/api/jobs" 2>/dev/null) || true
  printf '%s\n' "${status:-000}"
}

load_client() { # C
  local c=$1 i=0 key type body status id first
  local reply="$WORK/reply-$c" max=$((DURATION * 20))
  RANDOM=$((SEED + c))
  while [[ ! -e $STOP_FILE ]] && ((i < max)); do
    i=$((i + 1))
    key="$RUN_ID-c$c-$i"
    # Sleep jobs are running when a fault strikes; echo jobs keep the stream of submissions dense.
    if ((RANDOM % 2)); then
      type="sleep"
      body="{\"type\":\"sleep\",\"instruction\":{\"key\":\"$key\",\"ms\":$((1000 + RANDOM % 7000))}}"
    else
      type="echo"
      body="{\"type\":\"echo\",\"instruction\":{\"key\":\"$key\",\"n\":$i}}"
    fi
    first=$SECONDS
    while :; do
      status=$(submit_once "$key" "$body" "$reply")
      if [[ $status == 202 ]]; then
        id=$(grep -o '"id":"[0-9a-f-]\{36\}"' "$reply" | head -n 1 | cut -d'"' -f4) || id=""
        if [[ -n $id ]]; then
          printf '%s\t%s\t%s\t%(%s)T\n' "$key" "$id" "$type" -1 >>"$WORK/acks-$c"
        else
          warn "a 202 for $key without a job id: $(head -c 300 "$reply")"
        fi
        break
      fi
      printf '%s\t%s\t%(%s)T\n' "$key" "$status" -1 >>"$WORK/answers-$c"
      # 4xx other than 429 is a refusal of the submission itself: sending it again changes nothing.
      if [[ $status == 4* && $status != 429 ]] || ((SECONDS - first >= KEY_RETRY_LIMIT)); then
        printf '%s\n' "$key" >>"$WORK/gaveup-$c"
        break
      fi
      sleep "1.$((RANDOM % 10))"
    done
    sleep "0.$((1 + RANDOM % 3))"
  done
}

start_load() {
  local c
  for ((c = 1; c <= CLIENTS; c++)); do
    load_client "$c" 9>&- &
    CLIENT_PIDS+=($!)
  done
  log "$CLIENTS submitters started (keys $RUN_ID-*)"
}

# Lets the submitters finish the key each has under way, then stops them; bounded.
stop_load() { # TIMEOUT
  local deadline=$((SECONDS + $1))
  touch "$STOP_FILE"
  while ((SECONDS < deadline)) && any_alive "${CLIENT_PIDS[@]}"; do sleep 1; done
  kill_clients
}

# Ends the submitters and the curl each may have under way (their own children only).
kill_clients() {
  local pid
  for pid in "${CLIENT_PIDS[@]}"; do
    proc_alive "$pid" || continue
    warn "submitter (pid $pid) still running; stopping it"
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  CLIENT_PIDS=()
}

# ---------------------------------------------------------------------------
# Faults. Each silo has at most one fault at a time; FAULT[silo] is its kind, FAULT_END[silo]
# when it is undone, RECOVERING[silo] until when it still counts as unhealthy afterwards.
# A PostgreSQL restart is done in place, only while no silo has a fault.

FAULT_KINDS=(kill freeze cut-pg cut-silos cut-gateway pg-restart)
declare -A FAULT=() FAULT_END=() RECOVERING=() INJECTED=()
FAULTS_TOTAL=0
SILO_RESTARTS=0
SELF_STOPS=0
REFUSED_LATE=0 # "refused the end" lines of silo logs that a restart rotated away

# Sets DRAWN to a number from LOW to HIGH. Not a function that prints: a command substitution is a
# subshell, which bash reseeds, and the seed would no longer replay the schedule.
draw() { DRAWN=$(($1 + RANDOM % ($2 - $1 + 1))); } # LOW HIGH
DRAWN=0

# The silos, and the pid of each as this script started it. The fault loop asks every second
# whether they live: with builtins only, since each fork costs a lot on a loaded machine.
declare -a SILOS=()
declare -A SILO_PID=()

remember_pid() { SILO_PID[$1]=$(pid_of "$1") || SILO_PID[$1]=""; } # SILO

silo_alive() { [[ -n ${SILO_PID[$1]:-} ]] && kill -0 "${SILO_PID[$1]}" 2>/dev/null; } # SILO

# Sets HEALTHY to the live silos with no fault and not recovering from one.
declare -a HEALTHY=()
find_healthy() {
  local silo
  HEALTHY=()
  for silo in "${SILOS[@]}"; do
    [[ -z ${FAULT[$silo]:-} ]] && ((${RECOVERING[$silo]:-0} <= SECONDS)) && silo_alive "$silo" && HEALTHY+=("$silo")
  done
  return 0
}

# The silo hosts other than SILO, each path cut or healed in both directions.
pair_with_silos() { # SILO add|del
  local peer
  for peer in "${SILOS[@]}"; do
    [[ $peer == "$1" ]] || net_pair "$1" "$peer" "$2"
  done
}

restart_silo() { # SILO
  local silo=$1
  REFUSED_LATE=$((REFUSED_LATE + $(count_refused_late "$(log_path "$silo")")))
  hosts_silo_start "${silo#silo-}"
  disown -a # its death is the point here: no job notice from bash when it comes
  remember_pid "$silo"
  SILO_RESTARTS=$((SILO_RESTARTS + 1))
  RECOVERING[$silo]=$((SECONDS + RECOVERY))
}

count_refused_late() { # LOG
  local n
  n=$(grep -c 'refused the end' -- "$1" 2>/dev/null) || true
  printf '%s\n' "${n:-0}"
}

inject() { # KIND SILO
  local kind=$1 silo=$2 pid="" hold
  [[ $kind == pg-restart ]] || { silo_alive "$silo" && pid=${SILO_PID[$silo]}; } || return 0
  FAULTS_TOTAL=$((FAULTS_TOTAL + 1))
  INJECTED[$kind]=$((${INJECTED[$kind]:-0} + 1))
  if [[ $kind == pg-restart ]]; then
    draw 2 10
    hold=$DRAWN
    log "fault $FAULTS_TOTAL: PostgreSQL restarts (down for ${hold}s)"
    printf '%s\t%s\t%s\t%s\n' "$(date +%T)" pg-restart pg "$hold" >>"$WORK/faults"
    pg_stop "$JOBGRAINS_DATA"
    sleep "$hold"
    hosts_pg_start
    return 0
  fi
  case $kind in
    kill) draw 5 20 ;;
    *) draw 10 40 ;;
  esac
  hold=$DRAWN
  log "fault $FAULTS_TOTAL: $kind $silo for ${hold}s"
  case $kind in
    kill) kill -KILL "$pid" ;;
    freeze) kill -STOP "$pid" ;;
    cut-pg) net_pair "$silo" pg add ;;
    cut-gateway) net_pair "$silo" gateway add ;;
    cut-silos) pair_with_silos "$silo" add ;;
  esac
  printf '%s\t%s\t%s\t%s\n' "$(date +%T)" "$kind" "$silo" "$hold" >>"$WORK/faults"
  FAULT[$silo]=$kind
  FAULT_END[$silo]=$((SECONDS + hold))
}

# Undoes SILO's fault.
undo() { # SILO
  local silo=$1
  log "undoing ${FAULT[$silo]} $silo"
  case ${FAULT[$silo]} in
    kill) restart_silo "$silo" ;;
    freeze) kill -CONT "${SILO_PID[$silo]}" 2>/dev/null || true ;;
    cut-pg) net_pair "$silo" pg del ;;
    cut-gateway) net_pair "$silo" gateway del ;;
    cut-silos) pair_with_silos "$silo" del ;;
  esac
  unset "FAULT[$silo]" "FAULT_END[$silo]"
  [[ -n ${RECOVERING[$silo]:-} && ${RECOVERING[$silo]} -gt $SECONDS ]] || RECOVERING[$silo]=$((SECONDS + RECOVERY))
}

# A silo that the others declared dead (frozen or cut too long) stops itself once it learns so:
# it is started again, as a supervisor would.
restart_stopped_silos() {
  local silo
  for silo in "${SILOS[@]}"; do
    [[ -z ${FAULT[$silo]:-} ]] || continue
    silo_alive "$silo" && continue
    log "$silo has stopped; starting it again"
    SELF_STOPS=$((SELF_STOPS + 1))
    restart_silo "$silo"
  done
}

# One tick of the fault schedule: undoes what is due, then maybe injects a new fault.
fault_tick() { # INJECT(0|1)
  local silo kind pick target=""
  for silo in "${!FAULT_END[@]}"; do
    ((FAULT_END[$silo] <= SECONDS)) && undo "$silo"
  done
  restart_stopped_silos
  (($1)) || return 0
  # Drawn every time, so that a seed replays the same sequence of choices.
  kind=${FAULT_KINDS[RANDOM % ${#FAULT_KINDS[@]}]}
  find_healthy
  pick=$RANDOM
  ((${#HEALTHY[@]})) && target=${HEALTHY[pick % ${#HEALTHY[@]}]}
  if [[ $kind == pg-restart ]]; then
    if ((${#FAULT[@]} == 0)); then inject pg-restart pg; else log "no $kind now: a silo has a fault"; fi
    return 0
  fi
  # Two silos cut from the others would cut the third off from both: one such cut at a time.
  if [[ $kind == cut-silos && " ${FAULT[*]} " == *" cut-silos "* ]]; then
    log "no $kind now: a silo is cut from the others already"
    return 0
  fi
  # At most MAX_ACTIVE at once, and one healthy silo left whatever happens.
  if ((${#FAULT[@]} < MAX_ACTIVE && ${#HEALTHY[@]} >= 2)); then
    inject "$kind" "$target"
  else
    log "no $kind now: ${#FAULT[@]} faults active, ${#HEALTHY[@]} healthy silos"
  fi
}

# Every link and path up, every process running and awake.
heal_everything() {
  local silo
  for silo in "${!FAULT[@]}"; do undo "$silo"; done
  for silo in "${SILOS[@]}"; do
    silo_alive "$silo" && kill -CONT "${SILO_PID[$silo]}" 2>/dev/null || true
    net_link "$silo" up
    net_pair "$silo" pg del
    net_pair "$silo" gateway del
    pair_with_silos "$silo" del
  done
  pid_of postgres >/dev/null || hosts_pg_start
  restart_stopped_silos
  log "healed every link and path"
}

run_faults() {
  local deadline=$((SECONDS + DURATION)) next=$((SECONDS + 5)) ticks=0
  while ((SECONDS < deadline && ticks < DURATION * 2)); do
    ticks=$((ticks + 1))
    if ((SECONDS >= next)); then
      fault_tick 1
      draw 3 12
      next=$((SECONDS + DRAWN))
    else
      fault_tick 0
    fi
    sleep 1
  done
}

# ---------------------------------------------------------------------------
# Checks, in PostgreSQL (as the superuser, over the local socket).

psql_run() { pg_super_psql "$JOBGRAINS_DATA" "$HOSTS_PG_PORT" jobgrains -v "run=$RUN_ID-%" "$@"; }

# This run's jobs that have not ended.
unfinished_jobs() {
  psql_run <<'EOF'
select count(*) from jobs where idempotency_key like :'run' and state not in ('succeeded', 'failed', 'cancelled');
EOF
}

wait_jobs_ended() {
  local deadline=$((SECONDS + WAIT_TIMEOUT)) left="?" shown=0
  while ((SECONDS < deadline)); do
    restart_stopped_silos
    left=$(unfinished_jobs 2>/dev/null) || left="?"
    [[ $left == 0 ]] && return 0
    ((SECONDS >= shown)) && log "$left jobs not ended yet" && shown=$((SECONDS + 10))
    sleep 2
  done
  warn "$left jobs had not ended after ${WAIT_TIMEOUT}s"
}

# Prints NAME|VALUE lines: the acknowledged ids (from $WORK/acks-*) against the jobs tables.
query_results() {
  {
    printf 'create temp table acks (key text, id uuid, type text, at bigint);\ncopy acks from stdin;\n'
    records acks
    printf '\\.\n'
    cat <<'EOF'
create temp table run_jobs as select * from jobs where idempotency_key like :'run';
select 'acked', count(*) from acks;
select 'acked_sleep', count(*) from acks where type = 'sleep';
select 'ack_missing', count(*) from acks a where not exists (select 1 from jobs j where j.id = a.id and j.idempotency_key = a.key);
select 'ack_not_succeeded', count(*) from acks a join jobs j on j.id = a.id where j.state <> 'succeeded';
select 'stored', count(*) from run_jobs;
select 'stored_unacked', count(*) from run_jobs j where not exists (select 1 from acks a where a.id = j.id);
select 'key_twice', count(*) from (select instruction->>'key' from jobs where instruction->>'key' like :'run' group by 1 having count(*) > 1) k;
select 'two_successes', count(*) from (select a.job_id from job_attempts a join run_jobs j on j.id = a.job_id
  where a.outcome = 'succeeded' group by a.job_id having count(*) > 1) t;
select 'unfinished', count(*) from run_jobs where state not in ('succeeded', 'failed', 'cancelled');
select 'unfinished_states', coalesce(string_agg(state || ' ' || n, ', '), '') from (select state, count(*) n from run_jobs
  where state not in ('succeeded', 'failed', 'cancelled') group by state) s;
select 'disagree', count(*) from run_jobs j
  left join lateral (select attempt, outcome from job_attempts where job_id = j.id order by attempt desc limit 1) a on true
  where a.attempt is distinct from j.attempt or (j.state = 'succeeded') <> (a.outcome = 'succeeded');
select 'rerun', count(*) from run_jobs j where (select count(*) from job_attempts a where a.job_id = j.id) > 1;
select 'attempts', count(*) from job_attempts a join run_jobs j on j.id = a.job_id;
select 'disrupted', count(*) from job_attempts a join run_jobs j on j.id = a.job_id where a.outcome = 'disrupted';
select 'failed_attempts', count(*) from job_attempts a join run_jobs j on j.id = a.job_id where a.outcome = 'failed';
EOF
  } | psql_run -F '|'
}

# The lines of every submitter's records of KIND (acks, answers, gaveup); none when there are none.
records() { # KIND
  local f
  for f in "$WORK/$1"-*; do
    [[ -f $f ]] && cat -- "$f"
  done
  return 0
}

declare -A R=()
VERDICT=0

check() { # DESCRIPTION CONDITION_RESULT(0|1) [DETAIL]
  if (($2 == 0)); then
    printf '  PASS  %s\n' "$1"
  else
    printf '  FAIL  %s%s\n' "$1" "${3:+ ($3)}"
    VERDICT=1
  fi
}

# The longest time, in seconds, in which no submission was acknowledged: how long a fault stalled them.
longest_stall() {
  records acks | cut -f4 | sort -n | awk 'NR > 1 && $1 - last > gap { gap = $1 - last } { last = $1 } END { print gap + 0 }'
}

# Statuses of the tries that got no 202, as "503: 12, no answer: 3".
answer_counts() {
  records answers | cut -f2 | sort | uniq -c | sort -rn |
    awk '{ printf "%s%s: %s", (NR > 1 ? ", " : ""), ($2 == "000" ? "no answer" : $2), $1 }'
}

summary() { # SECONDS_OF_LOAD
  local name value refusals unexpected gaveup kinds="" kind refused_late silo
  while IFS='|' read -r name value; do [[ -n $name ]] && R[$name]=$value; done < <(query_results)
  refusals=$(records answers | wc -l)
  # A gateway answers 202, or 503 when PostgreSQL or the cluster cannot take the job (or nothing, cut off).
  unexpected=$(records answers | cut -f2 | grep -cvx -e 503 -e 000) || true
  gaveup=$(records gaveup | wc -l)
  for kind in "${FAULT_KINDS[@]}"; do kinds+="${kinds:+, }$kind ${INJECTED[$kind]:-0}"; done
  refused_late=$REFUSED_LATE
  for silo in "${SILOS[@]}"; do refused_late=$((refused_late + $(count_refused_late "$(log_path "$silo")"))); done
  cat <<EOF

nemesis summary (replay: scripts/nemesis.sh --seed $SEED --duration $DURATION)
  load and faults      $1 s, $HOSTS_SILOS silos, $CLIENTS submitters
  jobs acknowledged    ${R[acked]:-?} (sleep ${R[acked_sleep]:-?}); stored without an answer ${R[stored_unacked]:-?}
  longest stall        $(longest_stall) s without an acknowledgement
  refusals             $refusals tries answered with no 202 ($(answer_counts)); keys given up: $gaveup
  faults injected      $FAULTS_TOTAL: $kinds
  silos restarted      $SILO_RESTARTS ($SELF_STOPS after stopping themselves once declared dead)
  jobs re-run          ${R[rerun]:-?} (${R[attempts]:-?} attempts in all)
  attempts disrupted   ${R[disrupted]:-?}; failed ${R[failed_attempts]:-?}; late outcomes refused (silo logs) $refused_late
invariants
EOF
  check "every acknowledged job is stored under its key" "$((${R[ack_missing]:-1} != 0))" "${R[ack_missing]:-?} missing"
  check "every acknowledged job succeeded" "$((${R[ack_not_succeeded]:-1} != 0))" "${R[ack_not_succeeded]:-?} did not"
  check "no job has two succeeded attempts" "$((${R[two_successes]:-1} != 0))" "${R[two_successes]:-?} have"
  check "no idempotency key made two jobs" "$((${R[key_twice]:-1} != 0))" "${R[key_twice]:-?} keys did"
  check "no job left queued or running" "$((${R[unfinished]:-1} != 0))" "${R[unfinished_states]:-?}"
  check "jobs and job_attempts agree" "$((${R[disagree]:-1} != 0))" "${R[disagree]:-?} disagree"
  check "refusals were 503s or no answer" "$((unexpected != 0))" "$unexpected other answers: $(answer_counts)"
  check "jobs were acknowledged" "$((${R[acked]:-0} == 0))" "none"
}

# ---------------------------------------------------------------------------

UP=0
# EXIT trap: whatever happened, the submitters stop and the hosts go, namespaces included.
# shellcheck disable=SC2317 # called through trap
on_exit() {
  local rc=$?
  trap '' INT TERM
  kill_clients
  ((UP)) || hosts_show_logs
  JG_STOP_TIMEOUT=10 hosts_down
  [[ -n $WORK ]] && log "records of this run: $WORK"
  return "$rc"
}

parse_args() {
  while (($#)); do
    case $1 in
      --duration)
        { (($# >= 2)) && is_uint "$2" && (($2 >= 10)); } || die "--duration takes a number of seconds (10 or more)"
        DURATION=$2
        shift 2
        ;;
      --seed)
        { (($# >= 2)) && is_uint "$2" && (($2 < 2 ** 31)); } || die "--seed takes a number"
        SEED=$2
        shift 2
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
  done
}

main() {
  local key started load_end silo
  parse_args "$@"
  hosts_env_init
  ((HOSTS_SILOS >= 2)) || die "the nemesis needs at least 2 silos (JOBGRAINS_HOSTS_SILOS)"
  hosts_external_pg && die "the nemesis restarts its own PostgreSQL: unset JOBGRAINS_HOSTS_CONNECTION"
  lock_data_dir "$JOBGRAINS_DATA" "another script is using $JOBGRAINS_DATA"
  [[ -n $SEED ]] || SEED=$((RANDOM * 32768 + RANDOM))
  RANDOM=$SEED
  RUN_ID="nemesis-$(date +%Y%m%d%H%M%S)-$SEED"
  log "seed $SEED (replay the fault schedule with --seed $SEED); run $RUN_ID"

  build_release || die "the build failed"
  require_app_dlls "$JG_SILO_DLL" "$JG_GATEWAY_DLL"
  key=$(jg_api_key "$JOBGRAINS_DATA")
  WORK="$JOBGRAINS_DATA/runs/$RUN_ID"
  mkdir -p -- "$WORK"
  STOP_FILE="$WORK/stop"
  hosts_down 2>/dev/null
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  hosts_up "$key"
  disown -a # the processes' deaths are the point here: no job notices from bash
  UP=1
  mapfile -t SILOS < <(hosts_silos)
  for silo in "${SILOS[@]}"; do remember_pid "$silo"; done

  started=$SECONDS
  start_load
  run_faults
  load_end=$SECONDS
  log "load and faults over after $((load_end - started))s; healing"
  heal_everything
  stop_load $((KEY_RETRY_LIMIT + REQUEST_TIMEOUT + 10))
  wait_jobs_ended
  # Not through a pipe: summary sets VERDICT.
  summary $((load_end - started)) >"$WORK/summary"
  cat "$WORK/summary"
  exit "$VERDICT"
}

main "$@"
