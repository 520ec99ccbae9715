# Sourced by the scripts that build a pinned Go tool once into ~/.cache/hexgate (ensure-control-plane.sh,
# ensure-olm.sh): what they do before building, the same in each.

# start_build WHAT MINOR DIR PRINTED [--if-built]: when the caller's `complete` holds, prints PRINTED and
# exits 0. Otherwise exits 4 with --if-built (nothing is built), exits 3 unless a Go 1.MINOR or newer is on
# the PATH to build WHAT with, and waits for DIR's lock (held until the script exits: another build of the
# same tool), after which the other build may have completed it.
start_build() {
  local what=$1 minor=$2 dir=$3 printed=$4 mode=${5:-} have
  if complete; then
    echo "$printed"
    exit 0
  fi
  if [ "$mode" = "--if-built" ]; then
    echo "hexgate: $what is not built; $0 builds it" >&2
    exit 4
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "hexgate: no Go toolchain: cannot build $what (needs go 1.$minor)" >&2
    exit 3
  fi
  have=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
  if [ "${have:-0}" -lt "$minor" ]; then
    echo "hexgate: $(go env GOVERSION) is too old to build $what (needs go 1.$minor)" >&2
    exit 3
  fi
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock 9
  if complete; then
    echo "$printed"
    exit 0
  fi
}
