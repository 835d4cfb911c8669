#!/usr/bin/env bash
# Builds the solution and runs every test against a PostgreSQL of its own, then prints,
# as the last line, "N passed, N failed" (", N skipped" when any were skipped), summed
# from the TRX files. Extra arguments go to `dotnet test` (e.g. --filter X).
# What .ci/run calls: a clean clone, root, no service running.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Own data dir and port, so that it never meets the stack of scripts/run.sh.
TEST_DATA="$(abs_path "${JOBGRAINS_TEST_DATA:-.data/test}")"
TEST_PG_PORT="${JOBGRAINS_TEST_PG_PORT:-5499}"
RESULTS_DIR="$(abs_path "${JOBGRAINS_TEST_RESULTS:-$TEST_DATA/results}")"
# A hung test host is killed after this long (dotnet test --blame-hang-timeout); "" turns it off.
HANG_TIMEOUT="${JOBGRAINS_TEST_HANG_TIMEOUT-20m}"

PG_UP=0

stop_test_pg() {
  ((PG_UP)) || return 0
  PG_UP=0
  pg_stop "$TEST_DATA"
}

# Browser tests drive Debian's chromium. Install it when missing (as root, through apt
# only); without it the tests skip their browser parts, so a failure here is no error.
ensure_chromium() {
  local path
  if [[ ${JOBGRAINS_TEST_NO_BROWSER:-0} == 1 ]]; then
    log "browser tests disabled (JOBGRAINS_TEST_NO_BROWSER=1)"
    return 0
  fi
  if ! command -v chromium >/dev/null; then
    if ((EUID == 0)) && command -v apt-get >/dev/null; then
      log "installing chromium (apt-get; log: $TEST_DATA/logs/apt-chromium.log)"
      mkdir -p -- "$TEST_DATA/logs"
      if ! {
        DEBIAN_FRONTEND=noninteractive apt-get update &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
      } </dev/null >"$TEST_DATA/logs/apt-chromium.log" 2>&1 9>&-; then
        warn "could not install chromium; browser tests will skip"
      fi
    else
      warn "chromium is not installed (needs root and apt-get); browser tests will skip"
    fi
  fi
  if path=$(command -v chromium); then
    export JOBGRAINS_CHROMIUM="$path"
    log "browser tests use $JOBGRAINS_CHROMIUM"
  fi
  return 0
}

# The OpenAPI lint test runs Redocly's linter, pinned in tests/tools/openapi-lint: install it
# there (npm ci) when missing. Without npm that test skips, saying why.
ensure_openapi_linter() {
  local dir="$JG_ROOT/tests/tools/openapi-lint"
  [[ -x $dir/node_modules/.bin/redocly ]] && return 0
  if ! command -v npm >/dev/null; then
    warn "npm is not installed; the OpenAPI lint test will skip"
    return 0
  fi
  log "installing the OpenAPI linter (npm ci in $dir; log: $TEST_DATA/logs/npm-openapi-lint.log)"
  mkdir -p -- "$TEST_DATA/logs"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund) </dev/null >"$TEST_DATA/logs/npm-openapi-lint.log" 2>&1 9>&- ||
    warn "could not install the OpenAPI linter; the OpenAPI lint test will fail (see the log)"
  return 0
}

# Empties the results dir; refuses paths where a mistake would hurt.
clean_results_dir() {
  case $RESULTS_DIR in
    / | "$JG_ROOT" | "$HOME" | "$TEST_DATA") die "refusing to use $RESULTS_DIR as the results directory" ;;
  esac
  rm -rf -- "$RESULTS_DIR"
  mkdir -p -- "$(dirname -- "$RESULTS_DIR")"
  jg_secure_dir "$RESULTS_DIR" 700
}

# Prints "files counted total executed passed failed broken" summed over every TRX under
# DIR. failed = failed + error + timeout + aborted; counted = files that have Counters (a
# run that died while writing its TRX has none); broken = runs whose ResultSummary says
# they did not complete although no test failed (a test host that crashed or hung: its
# TRX then counts no tests at all). Also logs the error messages of such runs.
trx_totals() { # DIR
  local f flat
  find "$1" -type f -name '*.trx' -print0 2>/dev/null | sort -z |
    while IFS= read -r -d '' f; do
      flat=$(tr '\r\n\t' '   ' <"$f")
      # One line per file: ResultSummary and Counters elements, whatever the layout.
      { grep -o -e '<ResultSummary [^>]*>' -e '<Counters [^>]*>' <<<"$flat" | tr '\n' ' '; } || true
      printf '\n'
      { grep -o '<RunInfo [^>]*outcome="Error"[^>]*> *<Text>[^<]*' <<<"$flat" | sed 's/.*<Text>/  /' |
        sed "s|^|${f##*/}:|" >&2; } || true
    done |
    awk '
      function attr(s, name,   m) {
        if (match(s, "[ ]" name "=\"[^\"]*\"")) {
          m = substr(s, RSTART, RLENGTH); sub(/^[^"]*"/, "", m); sub(/"$/, "", m); return m
        }
        return ""
      }
      {
        files++
        if (!match($0, /<Counters /)) next
        c = substr($0, RSTART)
        counted++
        f = attr(c, "failed") + attr(c, "error") + attr(c, "timeout") + attr(c, "aborted")
        total += attr(c, "total"); executed += attr(c, "executed"); passed += attr(c, "passed"); failed += f
        outcome = attr($0, "outcome")
        if (f == 0 && outcome != "" && outcome != "Completed" && outcome != "Passed" && outcome != "Warning") broken++
      }
      END { printf "%d %d %d %d %d %d %d\n", files, counted, total, executed, passed, failed, broken }'
}

# Prints the summary line and sets VERDICT (0 = every test passed and some ran).
VERDICT=1
print_summary() { # DOTNET_TEST_EXIT_CODE [WHY_IT_FAILED]
  local test_rc=$1 why=${2:-} files counted total executed passed failed broken skipped
  read -r files counted total executed passed failed broken < <(trx_totals "$RESULTS_DIR")
  skipped=$((total - executed))
  ((skipped < 0)) && skipped=0
  VERDICT=0
  if ((files == 0)); then
    log "no TRX file in $RESULTS_DIR: the tests did not run"
    VERDICT=1
  elif ((counted < files)); then
    log "$((files - counted)) TRX file(s) have no result counters: a test run broke off"
    VERDICT=1
  fi
  if ((broken > 0)); then
    log "$broken test run(s) broke off (a test host crashed or hung); their tests are not counted"
    VERDICT=1
  fi
  if ((files > 0 && executed == 0)); then
    log "no test ran"
    VERDICT=1
  fi
  ((failed > 0)) && VERDICT=1
  if [[ -n $why ]]; then
    log "$why"
    VERDICT=1
  elif ((test_rc != 0)); then
    log "dotnet test exited with $test_rc"
    VERDICT=1
  fi
  if ((skipped > 0)); then
    printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
  else
    printf '%d passed, %d failed\n' "$passed" "$failed"
  fi
}

SUMMARY_DONE=0
# Stops PostgreSQL before printing, so that the summary stays the last line.
finish() { # DOTNET_TEST_EXIT_CODE [WHY_IT_FAILED]
  stop_test_pg
  SUMMARY_DONE=1
  print_summary "$@"
  exit "$VERDICT"
}

# EXIT trap: also on an early death (PostgreSQL did not start, Ctrl-C) stop PostgreSQL and
# still end with a summary line; the exit code stays the one the script was leaving with.
# shellcheck disable=SC2317 # called through trap
on_exit() {
  local rc=$?
  stop_test_pg
  if ((!SUMMARY_DONE)); then
    SUMMARY_DONE=1
    print_summary 1 "stopped before the tests finished" || true
  fi
  return "$rc"
}

main() {
  is_uint "$TEST_PG_PORT" || die "JOBGRAINS_TEST_PG_PORT must be a port number, not '$TEST_PG_PORT'"
  lock_data_dir "$TEST_DATA" "another scripts/test.sh is running for $TEST_DATA"
  clean_results_dir

  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  ensure_chromium
  ensure_openapi_linter
  PG_UP=1
  # The tests create their databases as the superuser, over the socket as the user running
  # them; what they run of the product connects over TCP as the role jobgrains, with its password.
  JG_PG_SUPERUSER_PEERS=$(id -un)
  pg_start "$TEST_DATA" "$TEST_PG_PORT" ""
  pg_app_role "$TEST_DATA" "$TEST_PG_PORT"
  export JOBGRAINS_TEST_CONNECTION="Host=$(pg_socket_dir "$TEST_DATA");Port=$TEST_PG_PORT;Username=postgres;Database=postgres"
  export JOBGRAINS_TEST_APP_CONNECTION
  JOBGRAINS_TEST_APP_CONNECTION="Host=127.0.0.1;Port=$TEST_PG_PORT;Username=$JG_PG_APP_ROLE;Password=$(pg_app_password "$TEST_DATA");Database=postgres"
  export JOBGRAINS_REPO_ROOT="$JG_ROOT"

  build_release || finish 1 "the build failed"

  local -a args=(test JobGrains.sln -c Release --no-build --logger trx --results-directory "$RESULTS_DIR")
  [[ -n $HANG_TIMEOUT ]] && args+=(--blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none)
  log "dotnet ${args[*]} $*"
  local rc=0
  (cd "$JG_ROOT" && dotnet "${args[@]}" "$@" 9>&-) || rc=$?
  finish "$rc"
}

main "$@"
