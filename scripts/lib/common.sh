# shellcheck shell=bash
# Helpers shared by the JobGrains scripts. Source this file; do not run it.
# Everything here works under `set -euo pipefail`.

[[ -n "${_JG_COMMON_LOADED:-}" ]] && return 0
_JG_COMMON_LOADED=1

JG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
JG_SCRIPT="$(basename "$0" .sh)"
JG_SILO_DLL="$JG_ROOT/artifacts/bin/JobGrains.Silo/release/JobGrains.Silo.dll"
JG_GATEWAY_DLL="$JG_ROOT/artifacts/bin/JobGrains.Gateway/release/JobGrains.Gateway.dll"
# Seconds a stopped process gets between SIGTERM and SIGKILL (silos drain within 25 s).
JG_STOP_TIMEOUT="${JG_STOP_TIMEOUT:-30}"
# File descriptor 9 is the one the scripts hold a lock on (see lock_data_dir); every
# long-lived child closes it so that a lock never outlives the script that took it.

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Whatever the scripts create (data dirs, logs, keys, pid files) is for the user who runs them
# only. Build output, which holds no secret, is the exception (see build_release).
umask 077

# ---------------------------------------------------------------------------
# Logging

log() { printf '[%s] %s: %s\n' "$(date +%H:%M:%S)" "$JG_SCRIPT" "$*" >&2; }
warn() { log "warning: $*"; }
die() {
  log "error: $*"
  exit 1
}

# Prints the last lines of a log file to stderr, framed, so failures explain themselves.
show_log_tail() { # FILE [LINES]
  local file=$1 lines=${2:-40}
  [[ -r $file ]] || return 0
  printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
  tail -n "$lines" -- "$file" >&2 || true
  printf -- '----- end of %s -----\n' "${file##*/}" >&2
}

# ---------------------------------------------------------------------------
# Environment

is_uint() { [[ ${1:-} =~ ^[0-9]+$ ]]; }

# Makes PATH absolute without requiring it to exist; relative paths count from the repo
# root so that every script finds the same data dir whatever the caller's cwd.
abs_path() { # PATH
  local p=$1
  [[ $p == /* ]] || p="$JG_ROOT/$p"
  realpath -m -- "$p"
}

# Applies the documented defaults and validates them. Call once at the top of a script.
jg_env_init() {
  JOBGRAINS_DATA="$(abs_path "${JOBGRAINS_DATA:-.data}")"
  JOBGRAINS_URL="${JOBGRAINS_URL:-http://127.0.0.1:5080}"
  JOBGRAINS_URL="${JOBGRAINS_URL%/}"
  JOBGRAINS_PG_PORT="${JOBGRAINS_PG_PORT:-5433}"
  JOBGRAINS_SILOS="${JOBGRAINS_SILOS:-2}"
  JOBGRAINS_SILO_PORT="${JOBGRAINS_SILO_PORT:-11111}"
  JOBGRAINS_SPOT_SILOS="${JOBGRAINS_SPOT_SILOS:-}"
  export JOBGRAINS_DATA JOBGRAINS_URL JOBGRAINS_PG_PORT JOBGRAINS_SILOS JOBGRAINS_SILO_PORT

  is_uint "$JOBGRAINS_PG_PORT" || die "JOBGRAINS_PG_PORT must be a port number, not '$JOBGRAINS_PG_PORT'"
  is_uint "$JOBGRAINS_SILO_PORT" || die "JOBGRAINS_SILO_PORT must be a port number, not '$JOBGRAINS_SILO_PORT'"
  is_uint "$JOBGRAINS_SILOS" || die "JOBGRAINS_SILOS must be a number, not '$JOBGRAINS_SILOS'"
  ((JOBGRAINS_SILOS <= 100)) || die "JOBGRAINS_SILOS must be at most 100 (silo ports would overlap gateway ports)"
  if [[ -n ${JOBGRAINS_SLOTS:-} ]] && ! { is_uint "$JOBGRAINS_SLOTS" && ((JOBGRAINS_SLOTS > 0)); }; then
    die "JOBGRAINS_SLOTS must be a positive number, not '$JOBGRAINS_SLOTS'"
  fi
  [[ $JOBGRAINS_URL == http://* || $JOBGRAINS_URL == https://* ]] ||
    die "JOBGRAINS_URL must start with http:// or https://, not '$JOBGRAINS_URL'"
}

# The connection string every local process uses for the stack's PostgreSQL: the role
# jobgrains, with the password that pg_start keeps in DATA/pgpass. It holds a secret: pass it
# on through the environment or a 0600 file, never on a command line.
jg_connection_string() { # [DATA]
  local data=${1:-$JOBGRAINS_DATA} password
  password=$(pg_app_password "$data") || die "no PostgreSQL password in $data/pgpass: start the stack with scripts/run.sh"
  printf 'Host=127.0.0.1;Port=%s;Username=%s;Password=%s;Database=jobgrains' "$JOBGRAINS_PG_PORT" "$JG_PG_APP_ROLE" "$password"
}

# ---------------------------------------------------------------------------
# Secrets and private directories

# COUNT random bytes as hex digits (a password, an API key).
jg_random_hex() { # COUNT
  openssl rand -hex "$1" 2>/dev/null || head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# The API key: JOBGRAINS_API_KEY, else the one kept in DATA/api-key, else a new one (48 hex digits)
# stored there for the next runs. Either way it is (re)written to api-key and, as a header line for
# `curl -H @file`, to api-header (both 0600): the key is never put on a command line.
jg_api_key() { # DATA
  local file="$1/api-key" key=""
  if [[ -n ${JOBGRAINS_API_KEY:-} ]]; then
    key=$JOBGRAINS_API_KEY
  elif [[ -f $file && ! -L $file ]]; then
    key=$(tr -d '[:space:]' <"$file")
  fi
  if [[ -z $key ]]; then
    key=$(jg_random_hex 24)
    log "generated an API key, kept in $file"
  fi
  ((${#key} >= 32)) || die "the API key must have at least 32 characters (it has ${#key}); unset JOBGRAINS_API_KEY to get a generated one"
  [[ $key =~ ^[[:graph:]]+$ ]] || die "the API key must not contain white space or control characters"
  printf '%s\n' "$key" | jg_write_private "$file"
  printf 'X-Api-Key: %s\n' "$key" | jg_write_private "$1/api-header"
  printf '%s\n' "$key"
}

# Writes FILE (mode 0600) from standard input, through a temporary file and a rename, so that a
# reader never sees half of it and an existing link at FILE is replaced, never followed.
jg_write_private() { # FILE
  local file=$1 tmp
  tmp="$file.tmp.$$"
  rm -f -- "$tmp"
  (umask 077 && cat >"$tmp")
  mv -f -- "$tmp" "$file"
}

# Makes sure DIR is a directory of OWNER (default: the user running the script) with MODE:
# creates it with that mode, or checks an existing one. Refuses a symbolic link or a directory
# of someone else, so that nothing is ever changed through a path another user prepared.
jg_secure_dir() { # DIR MODE [OWNER]
  local dir=$1 mode=$2 owner=${3:-} actual
  [[ -n $owner ]] || owner=$(id -un)
  [[ -L $dir ]] && die "$dir is a symbolic link; refusing to use it (remove it, or choose another path)"
  if [[ ! -e $dir ]]; then
    if mkdir -m "$mode" -- "$dir" 2>/dev/null; then
      # Just made by this script, so the name is ours: -h never follows a link.
      [[ $owner == "$(id -un)" ]] || chown -h -- "$owner:" "$dir"
      return 0
    fi
    [[ -d $dir && ! -L $dir ]] || die "cannot create $dir"
  fi
  [[ -d $dir ]] || die "$dir is not a directory"
  actual=$(stat -c %U -- "$dir")
  [[ $actual == "$owner" ]] || die "$dir belongs to $actual, not $owner; refusing to use it"
  # An existing directory of the right owner, and not a link: tighten it when it is looser.
  [[ $(stat -c %a -- "$dir") == "$mode" ]] || chmod -- "$mode" "$dir"
}

# The data dir and its run/ and logs/: private to the user. As root the data dir itself is
# 0711, so that the postgres user can pass through it to pg/ (0700, its own) without listing it.
jg_data_dirs() { # DATA
  local data=$1 mode=700
  ((EUID == 0)) && mode=711
  mkdir -p -- "$(dirname -- "$data")"
  jg_secure_dir "$data" "$mode"
  jg_secure_dir "$data/run" 700
  jg_secure_dir "$data/logs" 700
}

# ---------------------------------------------------------------------------
# Processes and pid files ($JOBGRAINS_DATA/run/<name>.pid holds just the pid)

pid_path() { printf '%s/run/%s.pid' "${2:-$JOBGRAINS_DATA}" "$1"; } # NAME [DATA]
log_path() { printf '%s/logs/%s.log' "${2:-$JOBGRAINS_DATA}" "$1"; } # NAME [DATA]

# True while PID names a running (not zombie) process.
proc_alive() { # PID
  local pid=${1:-} state
  is_uint "$pid" && ((pid > 0)) || return 1
  if [[ -r /proc/$pid/stat ]]; then
    state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
  else
    kill -0 "$pid" 2>/dev/null
  fi
}

# Seconds since the epoch at which PID started (whole seconds, from /proc).
proc_start_epoch() { # PID
  local pid=$1 ticks btime hz
  ticks=$(sed -E 's/^.*\) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $20 }') || return 1
  btime=$(awk '/^btime / { print $2 }' /proc/stat) || return 1
  hz=$(getconf CLK_TCK) || return 1
  is_uint "$ticks" && is_uint "$btime" && is_uint "$hz" || return 1
  printf '%s\n' $((btime + ticks / hz))
}

# Prints the pid recorded in FILE when that process is alive. A process that started
# after the file was written is an unrelated process that reused the pid (for example
# after a reboot): the file is stale then, and nobody must signal that process.
pidfile_pid() { # FILE
  local file=$1 pid started written
  [[ -f $file ]] || return 1
  pid=$(head -n 1 -- "$file" 2>/dev/null | tr -dc '0-9') || return 1
  proc_alive "$pid" || return 1
  if started=$(proc_start_epoch "$pid") && written=$(stat -c %Y -- "$file" 2>/dev/null); then
    ((started <= written + 2)) || return 1
  fi
  printf '%s\n' "$pid"
}

# Takes an exclusive lock on DATA for the rest of the script (fd 9), or dies with MESSAGE
# when another script holds it.
lock_data_dir() { # DATA MESSAGE
  jg_data_dirs "$1"
  exec 9>>"$1/run/lock"
  flock -n 9 || die "$2"
}

pid_of() { pidfile_pid "$(pid_path "$1" "${2:-}")"; } # NAME [DATA]

write_pidfile() { # FILE PID
  mkdir -p -- "$(dirname -- "$1")"
  printf '%s\n' "$2" >"$1.tmp.$$"
  mv -f -- "$1.tmp.$$" "$1"
}

# silo-1 ... silo-COUNT, one a line.
silo_names_upto() { # COUNT
  local n
  for ((n = 1; n <= $1; n++)); do printf 'silo-%s\n' "$n"; done
}

# Names (silo-1, silo-2, ...) of the silo pid files of $JOBGRAINS_DATA, by number.
silo_names() {
  local dir="$JOBGRAINS_DATA/run" f
  [[ -d $dir ]] || return 0
  for f in "$dir"/silo-*.pid; do
    [[ -e $f ]] || continue
    f=${f##*/}
    printf '%s\n' "${f%.pid}"
  done | sort -t- -k2,2n
}

# Starts CMD in the background as NAME: own session (so a Ctrl-C in the terminal reaches
# only the script, which then stops things in order), stdin from /dev/null, output to
# the log (the previous log is kept as .log.1), pid in the pid file.
bg_start() { # NAME WORKDIR CMD...
  local name=$1 workdir=$2 pidf logf pid
  shift 2
  pidf=$(pid_path "$name")
  logf=$(log_path "$name")
  mkdir -p -- "${pidf%/*}" "${logf%/*}"
  [[ -f $logf ]] && mv -f -- "$logf" "$logf.1"
  printf '=== %s started by %s at %s\n' "$name" "$JG_SCRIPT" "$(date -Is)" >"$logf"
  # No job control here, so the subshell is not a process-group leader and setsid
  # execs in place: $! is the pid of the final program, not of a wrapper.
  (
    cd -- "$workdir" || exit 1
    exec 9>&- # the lock fd, see lock_data_dir
    exec setsid "$@"
  ) </dev/null >>"$logf" 2>&1 &
  pid=$!
  write_pidfile "$pidf" "$pid"
  log "started $name (pid $pid, log $logf)"
}

# Stops the named processes together: SIGTERM to all, wait up to JG_STOP_TIMEOUT s for
# all of them (silos drain in parallel), then SIGKILL what is left. Removes their pid
# files, stale ones included. Returns 0; prints nothing for names that were not running.
bg_stop() { # NAME...
  local name pid deadline
  local -a names=() pids=()
  for name in "$@"; do
    if pid=$(pid_of "$name"); then
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      names+=("$name")
      pids+=("$pid")
    else
      rm -f -- "$(pid_path "$name")"
    fi
  done
  ((${#pids[@]})) || return 0
  deadline=$((SECONDS + JG_STOP_TIMEOUT))
  while ((SECONDS < deadline)); do
    any_alive "${pids[@]}" || break
    sleep 0.2
  done
  local i
  for i in "${!pids[@]}"; do
    if proc_alive "${pids[$i]}"; then
      warn "${names[$i]} (pid ${pids[$i]}) still running after ${JG_STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
  deadline=$((SECONDS + 5))
  while any_alive "${pids[@]}" && ((SECONDS < deadline)); do sleep 0.1; done
  for name in "${names[@]}"; do rm -f -- "$(pid_path "$name")"; done
  return 0
}

any_alive() { # PID...
  local pid
  for pid in "$@"; do proc_alive "$pid" && return 0; done
  return 1
}

# ---------------------------------------------------------------------------
# Waiting

# Waits until URL answers 2xx. Fails early when any named process has exited.
wait_http() { # URL TIMEOUT_SECONDS [NAME...]
  local url=$1 timeout=$2 name deadline
  shift 2
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    curl -fsS -o /dev/null --max-time 2 -- "$url" 2>/dev/null && return 0
    for name in "$@"; do
      pid_of "$name" >/dev/null || {
        warn "$name exited while waiting for $url"
        return 1
      }
    done
    sleep 0.5
  done
  warn "$url did not answer 200 within ${timeout}s"
  return 1
}

tcp_open() { # HOST PORT
  # shellcheck disable=SC2016 # $0 and $1 expand in the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# Waits until HOST:PORT accepts connections. Fails early when any named process has exited.
wait_tcp() { # HOST PORT TIMEOUT_SECONDS [NAME...]
  local host=$1 port=$2 timeout=$3 name deadline
  shift 3
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    tcp_open "$host" "$port" && return 0
    for name in "$@"; do
      pid_of "$name" >/dev/null || {
        warn "$name exited before it listened on $host:$port"
        return 1
      }
    done
    sleep 0.3
  done
  warn "nothing listened on $host:$port within ${timeout}s"
  return 1
}

# Something (anything) already answers at URL: its port is taken.
url_in_use() { curl -s -o /dev/null --max-time 2 -- "$1" 2>/dev/null; }

# ---------------------------------------------------------------------------
# Build and the .NET processes

_JG_BUILT=" "
# Builds PROJECT (a solution or project file, relative to the repository; JobGrains.sln by
# default) in Release once per script run (MSBuild is incremental anyway).
build_release() { # [PROJECT]
  local project=${1:-JobGrains.sln}
  if [[ ${JOBGRAINS_SKIP_BUILD:-0} == 1 ]]; then
    log "skipping the build (JOBGRAINS_SKIP_BUILD=1)"
    return 0
  fi
  [[ $_JG_BUILT == *" $project "* ]] && return 0
  command -v dotnet >/dev/null || {
    warn "dotnet is not on PATH"
    return 1
  }
  log "building $project (Release)"
  # Build output holds no secret, and other accounts (a service user) may run it.
  (cd "$JG_ROOT" && umask 022 && dotnet build "$project" -c Release -nologo -v q 9>&-) || {
    warn "the build failed"
    return 1
  }
  _JG_BUILT+="$project "
}

require_app_dlls() { # DLL...
  local dll
  command -v dotnet >/dev/null || die "dotnet is not on PATH"
  for dll in "$@"; do
    [[ -f $dll ]] || die "$dll is missing: build first (dotnet build JobGrains.sln -c Release)"
  done
}

silo_port() { printf '%s\n' $((JOBGRAINS_SILO_PORT + $1 - 1)); }
silo_gateway_port() { printf '%s\n' $((JOBGRAINS_SILO_PORT + 100 + $1 - 1)); }
silo_metrics_port() { printf '%s\n' $((JOBGRAINS_SILO_PORT + 200 + $1 - 1)); }

# Silo N is spot when JOBGRAINS_SPOT_SILOS lists N (spaces or commas).
silo_listed_spot() { [[ " ${JOBGRAINS_SPOT_SILOS//,/ } " == *" $1 "* ]]; }

# Refuses when silo N's ports already answer (another stack, or a stray silo).
check_silo_ports_free() { # N
  local p
  for p in "$(silo_port "$1")" "$(silo_gateway_port "$1")" "$(silo_metrics_port "$1")"; do
    if tcp_open 127.0.0.1 "$p"; then
      die "port $p (silo-$1) is already in use; stop what uses it or set JOBGRAINS_SILO_PORT"
    fi
  done
}

# Starts silo N in the background; the working directory is the output folder so
# that the app finds its appsettings.json as its content root.
# The settings go through exported locals, not `env NAME=VALUE` arguments: the connection
# string's password must never be on a command line (ps shows those to every user).
silo_start() { # N SPOT(0|1)
  local n=$1 spot=$2
  local -x ConnectionStrings__JobGrains JobGrains__Silo__Name="silo-$n"
  ConnectionStrings__JobGrains=$(jg_connection_string)
  local -x JobGrains__Silo__SiloPort JobGrains__Silo__GatewayPort JobGrains__Silo__MetricsPort
  JobGrains__Silo__SiloPort=$(silo_port "$n")
  JobGrains__Silo__GatewayPort=$(silo_gateway_port "$n")
  JobGrains__Silo__MetricsPort=$(silo_metrics_port "$n")
  [[ -n ${JOBGRAINS_SLOTS:-} ]] && local -x JobGrains__Worker__Slots=$JOBGRAINS_SLOTS
  ((spot)) && local -x JobGrains__Silo__Spot=true
  bg_start "silo-$n" "$(dirname -- "$JG_SILO_DLL")" dotnet "$JG_SILO_DLL"
}

# The API key and the password go through the environment, like silo_start's settings.
gateway_start() { # API_KEY
  local -x ASPNETCORE_URLS=$JOBGRAINS_URL JobGrains__Auth__Keys__0=$1 ConnectionStrings__JobGrains
  ConnectionStrings__JobGrains=$(jg_connection_string)
  bg_start gateway "$(dirname -- "$JG_GATEWAY_DLL")" dotnet "$JG_GATEWAY_DLL"
}

# ---------------------------------------------------------------------------
# PostgreSQL: one cluster per data dir, in DATA/pg (pg/data = PGDATA, pg/run = socket
# dir, pg/postgres.log). The server refuses to run as root, so as root it runs as the
# `postgres` system user; as another user it runs as that user (the cluster's owner).
#
# Access: the superuser `postgres` only over the local socket (in pg/run, 0700), only by the
# cluster's owner (peer authentication); every TCP connection (127.0.0.1 only) needs a
# password (scram-sha-256). The silos and the gateway use the role `jobgrains`, which owns
# the database and is no superuser; its password is kept in DATA/pgpass (0600, libpq format).

# The role the stack's processes use, and the name of its database.
JG_PG_APP_ROLE=jobgrains

# Where the server listens: 127.0.0.1, and the role jobgrains connects from there. For a server on
# a host of its own (scripts/hosts.sh), pg_start's caller sets JG_PG_ADDRESS (the listen address,
# also the host of the pgpass line), JG_PG_NETWORK (the network whose hosts the role may connect
# from) and JG_PG_NETNS (the network namespace the server runs in).
JG_PG_ADDRESS=127.0.0.1
JG_PG_NETWORK=""
JG_PG_NETNS=""

# The cluster's owner: who runs the server, and who may be the superuser over the socket.
pg_owner_name() { if ((EUID == 0)); then printf 'postgres\n'; else id -un; fi; }

pg_bindir() {
  local d candidates=("${JOBGRAINS_PG_BIN:-}" /usr/lib/postgresql/15/bin)
  candidates+=("$(pg_config --bindir 2>/dev/null || true)")
  d=$(command -v pg_ctl 2>/dev/null || true)
  [[ -n $d ]] && candidates+=("$(dirname -- "$d")")
  for d in "${candidates[@]}"; do
    [[ -n $d && -x $d/pg_ctl && -x $d/initdb && -x $d/postgres ]] && {
      printf '%s\n' "$d"
      return 0
    }
  done
  return 1
}

# Runs a command as the cluster owner, from / so that a cwd the owner cannot enter
# does not matter; inside JG_PG_NETNS when set (root only, as network namespaces are).
pg_as_owner() { # CMD...
  if ((EUID == 0)); then
    (cd / && exec 9>&- && exec ${JG_PG_NETNS:+ip netns exec "$JG_PG_NETNS"} runuser -u postgres -- "$@")
  else
    (cd / && exec 9>&- && exec "$@")
  fi
}

pg_owner_can_enter() { # DIR
  if ((EUID == 0)); then
    runuser -u postgres -- test -x "$1" 2>/dev/null
  else
    test -x "$1"
  fi
}

# Creates DIR (mode 0700) owned by the cluster owner, or checks that an existing one is.
pg_owned_dir() { # DIR
  jg_secure_dir "$1" 700 "$(pg_owner_name)"
}

# Where clusters live when DATA cannot hold them: the postgres user's home (it is not
# cleaned like /var/tmp, where a long-stopped cluster could lose files), else /var/tmp.
pg_external_base() {
  local home
  if [[ -n ${JOBGRAINS_PG_EXTERNAL_DIR:-} ]]; then
    printf '%s\n' "$JOBGRAINS_PG_EXTERNAL_DIR"
  elif ((EUID == 0)) && home=$(getent passwd postgres | cut -d: -f6) && [[ -n $home && -d $home ]] &&
    runuser -u postgres -- test -x "$home" -a -w "$home" 2>/dev/null; then
    printf '%s/jobgrains\n' "$home"
  elif ((EUID == 0)); then
    printf '/var/tmp/jobgrains-pg\n'
  else
    printf '/var/tmp/jobgrains-pg-%s\n' "$EUID"
  fi
}

# Prints the real pg area of DATA, creating it when needed. DATA/pg is a plain directory
# when the owner can reach it and the socket path fits the 107-byte limit; otherwise the
# area lives outside (see pg_external_base) and DATA/pg is a symlink to it, so the layout
# under DATA looks the same.
pg_prepare_area() { # DATA
  local data=$1 link="$1/pg" area base why
  if [[ -L $link ]]; then
    area=$(readlink -m -- "$link")
    [[ -d $area ]] || { log "recreating $area (the target of $link was gone)"; pg_owned_dir "$area"; }
  elif [[ -d $link ]]; then
    area=$link
    pg_owner_can_enter "$area" ||
      die "$area exists but the postgres user cannot enter it (a parent folder is private); move or remove it"
  else
    area=$link
    why=""
    ((${#area} + 30 > 100)) && why="the socket path under $data would be too long"
    pg_owner_can_enter "$data" || why="the postgres user cannot reach $data"
    if [[ -n $why ]]; then
      base=$(pg_external_base)
      mkdir -p -- "$(dirname -- "$base")"
      # In /var/tmp anyone could have put a link or a folder there first: refused, not followed.
      pg_owned_dir "$base"
      area="$base/$(printf '%s' "$data" | sha256sum | cut -c1-16)"
      if [[ -e $area ]]; then
        # Left by an earlier data dir at this path that was deleted: whoever removed
        # DATA wanted a fresh database, not the old one back.
        pg_running "$(pg_bindir)" "$area/data" &&
          die "a PostgreSQL server still runs from $area (its data dir $data was deleted); stop it with: pg_ctl -D $area/data stop"
        log "removing $area, the cluster of an earlier $data"
        rm -rf -- "$area"
      fi
      pg_owned_dir "$area"
      # A note for whoever finds the folder later.
      printf '%s\n' "$data" >"$area/OWNER"
      ln -sfn -- "$area" "$link"
      log "keeping the PostgreSQL cluster in $area ($why); $link links to it"
    else
      pg_owned_dir "$area"
    fi
  fi
  pg_owned_dir "$area/run"
  printf '%s\n' "$area"
}

# True while a server runs on PGDATA (pg_ctl checks postmaster.pid and the process).
pg_running() { # BINDIR PGDATA
  [[ -f $2/postmaster.pid ]] || return 1
  # pg_ctl counts a zombie postmaster (a container whose pid 1 does not reap) as running.
  proc_alive "$(head -n 1 -- "$2/postmaster.pid" | tr -dc '0-9')" || return 1
  pg_as_owner "$1/pg_ctl" -D "$2" status >/dev/null 2>&1
}

# Removes the lock files of a killed server whose pid is dead or a zombie: the server
# takes a zombie (a container whose pid 1 does not reap) for a live postmaster and
# refuses to start. A live pid is left alone; the server decides about it.
pg_remove_stale_locks() { # PGDATA SOCKDIR PORT
  local f pid
  for f in "$1/postmaster.pid" "$2/.s.PGSQL.$3.lock"; do
    [[ -f $f ]] || continue
    pid=$(head -n 1 -- "$f" | tr -dc '0-9')
    if ! proc_alive "$pid"; then
      log "removing $f, left by a server that is gone (pid ${pid:-?})"
      rm -f -- "$f"
    fi
  done
}

# Set by pg_start: 1 when the server was already running and was reused.
# shellcheck disable=SC2034 # read by the scripts that source this file
JG_PG_REUSED=0

# Starts (or reuses) the cluster of DATA on PORT and creates DATABASE (default jobgrains;
# "" creates none). Records the postmaster pid in DATA/run/postgres.pid.
pg_start() { # DATA PORT [DATABASE]
  local data=$1 port=$2 db=${3-jobgrains}
  local bindir area pgdata sock logf pid running_port locale out
  bindir=$(pg_bindir) || die "PostgreSQL server binaries not found (install postgresql-15, or set JOBGRAINS_PG_BIN)"
  if ((EUID == 0)) && ! id -u postgres >/dev/null 2>&1; then
    die "PostgreSQL refuses to run as root and there is no 'postgres' system user to run it"
  fi
  jg_data_dirs "$data"
  area=$(pg_prepare_area "$data") || exit 1
  pgdata=$area/data
  sock=$area/run
  logf=$area/postgres.log
  ln -sfn -- "$logf" "$data/logs/postgres.log"

  JG_PG_REUSED=0
  if pg_running "$bindir" "$pgdata"; then
    running_port=$(sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null | tr -dc '0-9')
    [[ $running_port == "$port" ]] ||
      die "PostgreSQL for $data already runs on port ${running_port:-?}, not $port; stop it first (scripts/stop.sh)"
    # shellcheck disable=SC2034
    JG_PG_REUSED=1
    log "reusing PostgreSQL already running for $data on port $port"
    # A cluster made by an older version (trust) gets today's rules at once.
    pg_write_access_rules "$pgdata"
    pg_as_owner "$bindir/pg_ctl" -D "$pgdata" reload >/dev/null 2>&1 || warn "could not reload PostgreSQL's access rules"
  else
    if tcp_open "$JG_PG_ADDRESS" "$port"; then
      die "port $port is already in use by another process; pick another port (JOBGRAINS_PG_PORT / JOBGRAINS_TEST_PG_PORT)"
    fi
    pg_remove_stale_locks "$pgdata" "$sock" "$port"
    if [[ ! -f $pgdata/PG_VERSION ]]; then
      locale=C
      locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8' && locale=C.UTF-8
      log "creating a PostgreSQL cluster in $pgdata"
      # Never trust, not even until the first start: peer on the socket, passwords over TCP.
      pg_as_owner "$bindir/initdb" -D "$pgdata" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        -E UTF8 --locale="$locale" >"$area/initdb.log" 2>&1 || {
        show_log_tail "$area/initdb.log"
        die "initdb failed"
      }
    fi
    pg_write_access_rules "$pgdata"
    log "starting PostgreSQL on $JG_PG_ADDRESS:$port${JG_PG_NETNS:+ (namespace $JG_PG_NETNS)}"
    if ! pg_as_owner "$bindir/pg_ctl" -D "$pgdata" -l "$logf" -w -t 60 \
      -o "-c listen_addresses=$JG_PG_ADDRESS -p $port -k $sock -c max_connections=300" start >/dev/null 2>&1; then
      show_log_tail "$logf" 30
      die "PostgreSQL did not start (log: $logf)"
    fi
  fi

  pid=$(head -n 1 -- "$pgdata/postmaster.pid" | tr -dc '0-9')
  write_pidfile "$(pid_path postgres "$data")" "$pid"

  [[ -n $db ]] && pg_app_database "$data" "$port" "$db"
  return 0
}

# Writes pg_hba.conf and pg_ident.conf (at every start, so older clusters that trusted every
# local connection are brought up to date). JG_PG_SUPERUSER_PEERS may name more OS users that
# may be the superuser over the socket: scripts/test.sh adds the user that runs the tests.
pg_write_access_rules() { # PGDATA
  local pgdata=$1 owner peer
  owner=$(pg_owner_name)
  pg_as_owner tee "$pgdata/pg_hba.conf" >/dev/null <<EOF
# Written by scripts/lib/common.sh at every start; edits here are lost.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 peer map=jobgrains
local   all       all                      scram-sha-256
host    all       postgres  127.0.0.1/32   reject
host    all       all       127.0.0.1/32   scram-sha-256
host    all       all       ::1/128        scram-sha-256
EOF
  # postgres too: a starting silo looks there for its database, to create it when missing.
  [[ -z $JG_PG_NETWORK ]] ||
    printf 'host    jobgrains,postgres  jobgrains  %s  scram-sha-256\n' "$JG_PG_NETWORK" |
    pg_as_owner tee -a "$pgdata/pg_hba.conf" >/dev/null
  {
    printf '# Written by scripts/lib/common.sh: the OS users that may be the superuser over the socket.\n'
    printf 'jobgrains  %s  postgres\n' "$owner"
    for peer in ${JG_PG_SUPERUSER_PEERS:-}; do
      [[ $peer == "$owner" ]] || printf 'jobgrains  %s  postgres\n' "$peer"
    done
  } | pg_as_owner tee "$pgdata/pg_ident.conf" >/dev/null
}

# The directory of the cluster's socket (for the superuser's connections).
pg_socket_dir() { printf '%s/run\n' "$(readlink -m -- "$1/pg")"; } # DATA

# Runs psql as the superuser over the socket, as the cluster's owner: -XAtq, stops at the first
# error. SQL comes on standard input, so that no secret is ever an argument.
pg_super_psql() { # DATA PORT DATABASE [PSQL_ARGS...]
  local data=$1 port=$2 db=$3 bindir
  shift 3
  bindir=$(pg_bindir) || die "PostgreSQL client binaries not found"
  PGCONNECT_TIMEOUT=10 pg_as_owner "$bindir/psql" -h "$(pg_socket_dir "$data")" -p "$port" -U postgres -d "$db" \
    -XAtq -v ON_ERROR_STOP=1 "$@"
}

# The password of the role jobgrains, from DATA/pgpass (a line ADDRESS:PORT:*:jobgrains:PASSWORD).
pg_app_password() { # DATA
  local file=$1/pgpass line
  [[ -f $file && ! -L $file ]] || return 1
  line=$(grep -m 1 ":$JG_PG_APP_ROLE:" -- "$file") || return 1
  [[ -n ${line##*:} ]] || return 1
  printf '%s\n' "${line##*:}"
}

# Creates (or updates) the role jobgrains, no superuser, with the password of DATA/pgpass (a new
# random one when there is none), and writes DATA/pgpass for JG_PG_ADDRESS and this port.
pg_app_role() { # DATA PORT
  local data=$1 port=$2 password out
  password=$(pg_app_password "$data") || password=$(jg_random_hex 24)
  [[ $password =~ ^[0-9a-f]+$ ]] || die "the password in $data/pgpass must be hex digits; remove the file to get a new one"
  printf '%s:%s:*:%s:%s\n' "$JG_PG_ADDRESS" "$port" "$JG_PG_APP_ROLE" "$password" | jg_write_private "$data/pgpass"
  # The password travels on standard input, never as an argument.
  out=$(pg_super_psql "$data" "$port" postgres -v "role=$JG_PG_APP_ROLE" 2>&1 <<EOF
select format('create role %I', :'role') where not exists (select 1 from pg_roles where rolname = :'role') \gexec
alter role :"role" with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password '$password';
EOF
  ) || [[ $out == *"already exists"* ]] || die "cannot set up the role $JG_PG_APP_ROLE: $out"
}

# pg_app_role, then DATABASE owned by the role. A database left by an older version (owned by
# postgres) is handed over to the role, with everything in its public schema.
pg_app_database() { # DATA PORT DATABASE
  local data=$1 port=$2 db=$3 out
  pg_app_role "$data" "$port"
  out=$(pg_super_psql "$data" "$port" postgres -v "role=$JG_PG_APP_ROLE" -v "db=$db" 2>&1 <<'EOF'
select format('create database %I owner %I', :'db', :'role') where not exists (select 1 from pg_database where datname = :'db') \gexec
select format('alter database %I owner to %I', :'db', :'role') \gexec
EOF
  ) || [[ $out == *"already exists"* ]] || die "cannot create the database $db: $out"
  # Tables, views, sequences and functions a database of an older version gave to postgres.
  out=$(pg_super_psql "$data" "$port" "$db" -v "role=$JG_PG_APP_ROLE" 2>&1 <<'EOF'
select format('alter table %s owner to %I', c.oid::regclass, :'role')
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
   and c.relowner <> (select oid from pg_roles where rolname = :'role') \gexec
select format('alter sequence %s owner to %I', c.oid::regclass, :'role')
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'public' and c.relkind = 'S'
   and c.relowner <> (select oid from pg_roles where rolname = :'role')
   and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')) \gexec
select format('alter routine %s owner to %I', p.oid::regprocedure, :'role')
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname = 'public' and p.proowner <> (select oid from pg_roles where rolname = :'role') \gexec
EOF
  ) || die "cannot hand the objects of $db over to $JG_PG_APP_ROLE: $out"
}

# Stops the cluster of DATA (fast shutdown) and removes its pid file. Silent when
# nothing runs.
pg_stop() { # DATA
  local data=$1 pidf bindir pgdata pid deadline
  pidf=$(pid_path postgres "$data")
  # The real path: the postgres user may not be able to pass through DATA itself.
  pgdata="$(readlink -m -- "$data/pg")/data"
  if [[ -d $pgdata ]] && bindir=$(pg_bindir) && pg_running "$bindir" "$pgdata"; then
    log "stopping PostgreSQL ($data)"
    if ! pg_as_owner "$bindir/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null 2>&1; then
      warn "fast shutdown did not finish; using immediate shutdown"
      pg_as_owner "$bindir/pg_ctl" -D "$pgdata" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
  fi
  # The data dir may be gone while the postmaster lives on: SIGINT is its fast shutdown.
  if pid=$(pidfile_pid "$pidf"); then
    log "stopping PostgreSQL (pid $pid) by signal"
    kill -INT "$pid" 2>/dev/null || true
    deadline=$((SECONDS + JG_STOP_TIMEOUT))
    while proc_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f -- "$pidf"
  return 0
}
