#!/usr/bin/env bash
# Builds OLM (v0) once for the lab: the `olm` and `catalog` operators of one pinned
# operator-lifecycle-manager release and the `opm` of the operator-registry release that OLM release
# requires, compiled by this machine's Go from the Go module proxy into a cache outside the checkout,
# plus OLM's CRDs copied from the module. Reused while present. Prints the cache directory on stdout
# (bin/olm, bin/catalog, bin/opm, crds/*.yaml); progress goes to stderr, one line per binary with its
# build time. With --if-built it builds nothing: it prints the directory when the build is complete and
# exits 4 otherwise (for tests, which skip rather than spend half an hour compiling).
#
# The binaries are built from a small wrapper module that requires the release, so that its go.mod
# decides the dependency versions exactly as in the release (and any replace directive a later
# release adds can be repeated there; v0.46.0 has none).
set -euo pipefail

OLM_VERSION=v0.46.0        # newest release the proxy serves (go 1.26.3; k8s.io/client-go v0.36)
REGISTRY_VERSION=v1.73.0   # the operator-registry OLM_VERSION's go.mod requires: opm serves its catalogs
OLM_MODULE=github.com/operator-framework/operator-lifecycle-manager
REGISTRY_MODULE=github.com/operator-framework/operator-registry
BINARIES=(olm catalog opm)

cache_root="${HEXGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hexgate}"
dir="$cache_root/olm-$OLM_VERSION"
bin="$dir/bin"

complete() {
  for b in "${BINARIES[@]}"; do [ -x "$bin/$b" ] || return 1; done
  ls "$dir"/crds/*.yaml >/dev/null 2>&1
}

. "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
start_build "OLM $OLM_VERSION" 26 "$dir" "$dir" "${1:-}"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$bin" "$dir/module"

olm_json=$(cd "$dir" && go mod download -json "$OLM_MODULE@$OLM_VERSION")
olm_dir=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$olm_json")
olm_mod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' <<<"$olm_json")
olm_commit=$(sed -n 's/.*"Hash": "\(.*\)".*/\1/p' <<<"$olm_json" | head -1)
if ! grep -qE "^[[:space:]]*$REGISTRY_MODULE $REGISTRY_VERSION\$" "$olm_mod"; then
  echo "hexgate: OLM $OLM_VERSION does not require $REGISTRY_MODULE $REGISTRY_VERSION: update REGISTRY_VERSION" >&2
  exit 3
fi
{
  echo "module hexgate.local/olm"
  echo
  grep -E '^go [0-9]' "$olm_mod"
  grep -E '^godebug ' "$olm_mod" || true
  echo
  echo "require $OLM_MODULE $OLM_VERSION"
  echo
  # a one-line replace as in the release, or each line of a replace ( ... ) block
  grep -E '^replace .*=>' "$olm_mod" || true
  sed -n '/^replace ($/,/^)$/p' "$olm_mod"
} > "$dir/module/go.mod"

build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
olm_ldflags="-s -w -X '$OLM_MODULE/pkg/version.OLMVersion=$OLM_VERSION' -X '$OLM_MODULE/pkg/version.GitCommit=${olm_commit:-unknown}'"
opm_ldflags="-s -w -X '$REGISTRY_MODULE/cmd/opm/version.opmVersion=$REGISTRY_VERSION' -X '$REGISTRY_MODULE/cmd/opm/version.buildDate=$build_date'"

build() {  # name, package, tags, ldflags
  local name=$1 pkg=$2 tags=$3 flags=$4 started
  [ -x "$bin/$name" ] && return 0
  started=$(date +%s)
  echo "hexgate: building $name ($pkg) with $(go env GOVERSION)..." >&2
  (cd "$dir/module" && go build -trimpath -tags "$tags" -ldflags "$flags" -o "$bin/$name.tmp" "$pkg") >&2
  mv "$bin/$name.tmp" "$bin/$name"
  echo "hexgate: built $name in $(( $(date +%s) - started )) s" >&2
}

# the tags upstream's Makefiles use (json1: sqlite's JSON functions, unused without cgo; openpgp: no gpgme)
build olm "$OLM_MODULE/cmd/olm" json1 "$olm_ldflags"
build catalog "$OLM_MODULE/cmd/catalog" json1 "$olm_ldflags"
build opm "$REGISTRY_MODULE/cmd/opm" json1,containers_image_openpgp "$opm_ldflags"

mkdir -p "$dir/crds.tmp"
cp "$olm_dir"/deploy/chart/crds/*.yaml "$dir/crds.tmp/"
chmod u+w "$dir"/crds.tmp/*.yaml
rm -rf "$dir/crds"
mv "$dir/crds.tmp" "$dir/crds"

echo "$dir"
