#!/usr/bin/env bash
# Submits JSON instruction files as jobs through the gateway (see the README, "Importing
# instruction files"): each *.json under DIR becomes one job keyed by its path, then moves to
# DIR/.done/; a file that is not JSON or is refused moves to DIR/.rejected/ with NAME.error.
# The gateway is $JOBGRAINS_URL; the key comes from $JOBGRAINS_API_KEY or $JOBGRAINS_DATA/api-key
# (read by the importer itself, so it never appears on a command line).
# Exit codes: 0 done; 1 files left because the gateway could not take them; 2 usage or key.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

JG_IMPORT_PROJECT="$JG_ROOT/tools/JobGrains.Import"
JG_IMPORT_DLL="$JG_ROOT/artifacts/bin/JobGrains.Import/release/JobGrains.Import.dll"

usage() {
  echo "usage: scripts/import.sh DIR [--type TYPE] [--queue QUEUE] [--watch]"
}

# Builds the importer when it is missing or older than its sources; otherwise it starts at once.
ensure_importer() {
  local stale=missing
  if [[ -f $JG_IMPORT_DLL ]]; then
    stale=$(find "$JG_IMPORT_PROJECT" -path "$JG_IMPORT_PROJECT/obj" -prune -o \
      \( -name '*.cs' -o -name '*.csproj' \) -newer "$JG_IMPORT_DLL" -print -quit)
  fi
  if [[ -n $stale ]]; then
    # To stderr: the importer's standard output is its report, line by line.
    build_release tools/JobGrains.Import/JobGrains.Import.csproj >&2 || die "the importer's build failed"
  fi
  require_app_dlls "$JG_IMPORT_DLL"
}

main() {
  case ${1:-} in
    "")
      usage >&2
      exit 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
  esac
  jg_env_init
  ensure_importer
  # exec: the importer is this process, so a signal to the script (Ctrl-C, SIGTERM) reaches it.
  exec dotnet "$JG_IMPORT_DLL" "$@"
}

main "$@"
