#!/usr/bin/env bash
# Builds the lab's real control plane once: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kubectl of one pinned release, compiled by this machine's Go from the Go module
# proxy into a cache outside the checkout, and reused while present. Prints the directory holding
# the binaries on stdout; progress goes to stderr, one line per component with its build time.
#
# Kubernetes cannot be `go install`ed (its go.mod maps the staging modules to ./staging), so each
# build is a small wrapper module that requires the release and pins every staging module to the
# matching v0.N.P tag. etcd gets a wrapper of its own so its gRPC/otel versions are not merged
# with Kubernetes' ones.
set -euo pipefail

K8S_VERSION=v1.37.2     # newest patch of the newest minor; needs go 1.26.0, which the machine has
ETCD_VERSION=v3.7.3     # the 3.7 line, whose client v1.37 is built against
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

cache_root="${HEXGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hexgate}"
dir="$cache_root/control-plane/kubernetes-$K8S_VERSION-etcd-$ETCD_VERSION"
bin="$dir/bin"

complete() {
  [ -x "$bin/etcd" ] || return 1
  for c in "${COMPONENTS[@]}"; do [ -x "$bin/$c" ] || return 1; done
}

. "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
start_build "Kubernetes $K8S_VERSION" 26 "$dir" "$bin"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$bin" "$dir/k8s" "$dir/etcd"

# The wrapper for Kubernetes: the staging modules are read off the release's own go.mod.
k8s_mod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
k8s_commit=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Hash": "\(.*\)".*/\1/p' | head -1)
staging_version="v0.${K8S_VERSION#v1.}"
{
  echo "module hexgate.local/control-plane/kubernetes"
  echo
  grep -E '^go [0-9]' "$k8s_mod"
  grep -E '^godebug ' "$k8s_mod" || true
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  grep -E '=> \./staging/src/' "$k8s_mod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
} > "$dir/k8s/go.mod"

build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X '$pkg.gitVersion=$K8S_VERSION' -X '$pkg.gitMajor=1' -X '$pkg.gitMinor=$minor'"
  ldflags+=" -X '$pkg.gitCommit=${k8s_commit:-unknown}' -X '$pkg.gitTreeState=clean' -X '$pkg.buildDate=$build_date'"
done

build() {  # name, wrapper dir, package, ldflags
  local name=$1 wrapper=$2 pkg=$3 flags=$4 started
  [ -x "$bin/$name" ] && return 0
  started=$(date +%s)
  echo "hexgate: building $name ($pkg) with $(go env GOVERSION)..." >&2
  (cd "$wrapper" && go build -trimpath -ldflags "$flags" -o "$bin/$name.tmp" "$pkg") >&2
  mv "$bin/$name.tmp" "$bin/$name"
  echo "hexgate: built $name in $(( $(date +%s) - started )) s" >&2
}

for c in "${COMPONENTS[@]}"; do
  build "$c" "$dir/k8s" "k8s.io/kubernetes/cmd/$c" "$ldflags"
done

cat > "$dir/etcd/go.mod" <<EOF
module hexgate.local/control-plane/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
build etcd "$dir/etcd" go.etcd.io/etcd/server/v3 "-s -w"

echo "$bin"
