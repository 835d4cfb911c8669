#!/usr/bin/env bash
# Builds the NuGet packages JobGrains.Client (src/Grains.Interfaces) and JobGrains.Worker
# (src/Grains, which depends on JobGrains.Client), each with its symbol package (.snupkg),
# into artifacts/packages/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
usage: scripts/pack.sh [--no-build]

Packs JobGrains.Client and JobGrains.Worker (.nupkg and .snupkg) into \$JOBGRAINS_PACKAGES.
--no-build packs what the last build of \$JOBGRAINS_CONFIGURATION produced, without building;
the assemblies then keep the version they were built with.

Environment (defaults):
  JOBGRAINS_VERSION       the packages' version (VersionPrefix of Directory.Build.props)
  JOBGRAINS_PACKAGES      artifacts/packages (relative paths count from the repo root)
  JOBGRAINS_CONFIGURATION Release
EOF
}

NO_BUILD=0
while (($#)); do
  case $1 in
    --no-build) NO_BUILD=1 ;;
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

OUT="$(abs_path "${JOBGRAINS_PACKAGES:-artifacts/packages}")"
CONFIGURATION="${JOBGRAINS_CONFIGURATION:-Release}"
VERSION="${JOBGRAINS_VERSION:-}"
[[ -z $VERSION || $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  die "JOBGRAINS_VERSION must be a version like 1.2.3 or 1.2.3-beta.1, not '$VERSION'"
command -v dotnet >/dev/null || die "dotnet is not on PATH"

args=(pack -c "$CONFIGURATION" -o "$OUT" -nologo -v q)
if ((NO_BUILD)); then
  args+=(--no-build)
  # Without a build the assemblies keep their version; only the packages take this one.
  [[ -n $VERSION ]] && args+=("-p:PackageVersion=$VERSION")
else
  [[ -n $VERSION ]] && args+=("-p:Version=$VERSION")
fi

mkdir -p -- "$OUT"
for project in src/Grains.Interfaces/JobGrains.Grains.Interfaces.csproj src/Grains/JobGrains.Grains.csproj; do
  log "packing $project"
  (cd "$JG_ROOT" && dotnet "${args[@]}" "$project") || die "packing $project failed"
done
log "packages in $OUT"
