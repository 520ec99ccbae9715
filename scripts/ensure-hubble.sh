#!/usr/bin/env bash
# Builds the stock hubble CLI once, at one pinned release, compiled by this machine's Go from the Go
# module proxy into a cache outside the checkout, and reused while present. The tests run it unchanged
# against Hexgate's Hubble servers to prove wire compatibility. Prints the binary's path on stdout;
# progress goes to stderr with the build time. With --if-built it builds nothing: it prints the path
# when the binary is there and exits 4 otherwise (a test run never builds).
#
# hubble's go.mod repeats Cilium's replace directives, so `go install …@version` refuses it; the build
# is a small wrapper module that requires the release and repeats those replaces. The CLI's main is the
# module's root package. Built as its Makefile builds it: no cgo, the version set by -ldflags to the
# Cilium version the release requires.
set -euo pipefail

HUBBLE_VERSION=v1.19.4   # vendors Cilium's v1.19.4 API (the protos in contract/); needs go 1.25.0
HUBBLE_MODULE=github.com/cilium/hubble

cache_root="${HEXGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hexgate}"
dir="$cache_root/hubble-$HUBBLE_VERSION"
bin="$dir/bin/hubble"

complete() {
  [ -x "$bin" ]
}

. "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
start_build "hubble $HUBBLE_VERSION" 25 "$dir" "$bin" "${1:-}"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$dir/bin" "$dir/module"

hubble_json=$(cd "$dir" && go mod download -json "$HUBBLE_MODULE@$HUBBLE_VERSION")
hubble_mod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' <<<"$hubble_json")
hubble_commit=$(sed -n 's/.*"Hash": "\(.*\)".*/\1/p' <<<"$hubble_json" | head -1)
{
  echo "module hexgate.local/hubble"
  echo
  grep -E '^go [0-9]' "$hubble_mod"
  grep -E '^godebug ' "$hubble_mod" || true
  echo
  echo "require $HUBBLE_MODULE $HUBBLE_VERSION"
  echo
  # a one-line replace as in the release, or each line of a replace ( ... ) block
  grep -E '^replace .*=>' "$hubble_mod" || true
  sed -n '/^replace ($/,/^)$/p' "$hubble_mod"
} > "$dir/module/go.mod"

# the Makefile's VERSION is the Cilium module version the release requires (`go list -m`, e.g. v1.19.4)
cilium_version=$(sed -n 's/^require github.com\/cilium\/cilium \(v[^ ]*\)$/\1/p; s/^[[:space:]]*github.com\/cilium\/cilium \(v[^ ]*\)$/\1/p' "$hubble_mod" | head -1)
pkg=github.com/cilium/cilium/hubble/pkg
ldflags="-s -w -X '$pkg.GitBranch=$HUBBLE_VERSION' -X '$pkg.GitHash=${hubble_commit:0:7}' -X '$pkg.Version=${cilium_version:-$HUBBLE_VERSION}'"

started=$(date +%s)
echo "hexgate: building hubble ($HUBBLE_MODULE@$HUBBLE_VERSION) with $(go env GOVERSION)..." >&2
(cd "$dir/module" && go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" "$HUBBLE_MODULE") >&2
mv "$bin.tmp" "$bin"
echo "hexgate: built hubble in $(( $(date +%s) - started )) s" >&2

echo "$bin"
