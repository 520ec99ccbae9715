# Sourced by the scripts that build a pinned Go tool once into ~/.cache/hexgate (ensure-control-plane.sh,
# ensure-olm.sh): the checks and the lock they share.

# require_go WHAT MINOR: exits 3, saying why, unless a Go 1.MINOR or newer is on the PATH to build WHAT with.
require_go() {
  local what=$1 minor=$2 have
  if ! command -v go >/dev/null 2>&1; then
    echo "hexgate: no Go toolchain: cannot build $what (needs go 1.$minor)" >&2
    exit 3
  fi
  have=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
  if [ "${have:-0}" -lt "$minor" ]; then
    echo "hexgate: $(go env GOVERSION) is too old to build $what (needs go 1.$minor)" >&2
    exit 3
  fi
}

# lock_build_dir DIR: makes DIR and waits until no other build holds its lock (held until the script exits).
lock_build_dir() {
  mkdir -p "$1"
  exec 9>"$1/.lock"
  flock 9
}
