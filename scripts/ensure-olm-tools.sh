#!/usr/bin/env bash
# Builds the tools that check Hexgate's packaging once: operator-sdk (whose `bundle validate` runs
# OLM's own validators on bundle/) and helm (lint and template of charts/hexgate), each at a pinned
# release, compiled by this machine's Go from the Go module proxy into a cache outside the checkout,
# and reused while present. Prints one line per tool, `<name>=<path of the binary>`, on stdout;
# progress goes to stderr with each build's time. With --check it builds nothing: it prints the paths
# of those that are built and exits 3 unless both are (the tests use it: a test run never builds).
#
# Both are built the way their Makefiles build them: no cgo, operator-sdk with the
# containers_image_openpgp tag (the default gpgme backend of containers/image needs cgo), and the
# version strings their `version` commands print set by -ldflags.
set -euo pipefail

OPERATOR_SDK_VERSION=v1.42.3   # newest release; its go.mod has no replace directive (v1.40.0's has)
HELM_VERSION=v4.3.2            # newest helm; needs go 1.26.0

cache_root="${HEXGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hexgate}"
sdk_dir="$cache_root/operator-sdk-$OPERATOR_SDK_VERSION"
helm_dir="$cache_root/helm-$HELM_VERSION"

report() {
  echo "operator-sdk=$sdk_dir/bin/operator-sdk"
  echo "helm=$helm_dir/bin/helm"
}

complete() {
  [ -x "$sdk_dir/bin/operator-sdk" ] && [ -x "$helm_dir/bin/helm" ]
}

if complete; then
  report
  exit 0
fi
if [ "${1:-}" = --check ]; then
  [ -x "$sdk_dir/bin/operator-sdk" ] && echo "operator-sdk=$sdk_dir/bin/operator-sdk"
  [ -x "$helm_dir/bin/helm" ] && echo "helm=$helm_dir/bin/helm"
  echo "hexgate: operator-sdk $OPERATOR_SDK_VERSION and helm $HELM_VERSION are not built: run $0" >&2
  exit 3
fi

if ! command -v go >/dev/null 2>&1; then
  echo "hexgate: no Go toolchain: cannot build operator-sdk $OPERATOR_SDK_VERSION and helm $HELM_VERSION (they need go 1.26)" >&2
  exit 3
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${go_minor:-0}" -lt 26 ]; then
  echo "hexgate: $(go env GOVERSION) is too old to build operator-sdk $OPERATOR_SDK_VERSION and helm $HELM_VERSION (they need go 1.26)" >&2
  exit 3
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.olm-tools.lock"
flock 9
if complete; then   # another process built them while we waited
  report
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0

build() {  # name, dir, module, version, package, tags, ldflags, extra go.mod lines
  local name=$1 dir=$2 module=$3 version=$4 pkg=$5 tags=$6 flags=$7 extra=${8:-} started
  [ -x "$dir/bin/$name" ] && return 0
  started=$(date +%s)
  echo "hexgate: building $name ($pkg@$version) with $(go env GOVERSION)..." >&2
  # A wrapper module that requires the release, rather than `go install pkg@version`: that one asks
  # the proxy for the module's version list (for deprecation notices), which the proxy here refuses.
  # Neither module has replace directives, so the wrapper resolves what `go install` would (but for the
  # one replace passed in for operator-sdk, below).
  mkdir -p "$dir/wrapper" "$dir/bin"
  printf 'module hexgate.local/tools/%s\n\ngo %s\n\nrequire %s %s\n%s\n' \
    "$name" "$(go env GOVERSION | sed -E 's/^go//')" "$module" "$version" "$extra" > "$dir/wrapper/go.mod"
  (cd "$dir/wrapper" && GOFLAGS=-mod=mod go build -trimpath -tags "$tags" -ldflags "$flags" \
    -o "$dir/bin/$name.tmp" "$pkg") >&2
  mv "$dir/bin/$name.tmp" "$dir/bin/$name"
  echo "hexgate: built $name in $(( $(date +%s) - started )) s" >&2
}

sdk=github.com/operator-framework/operator-sdk
# The proxy refuses ansible-operator-plugins v1.42.3 (403, "not available"); its previous patch is
# served. operator-sdk only registers that module's `init --plugins ansible` scaffolding with it,
# which `bundle validate` never reaches.
sdk_extra="replace github.com/operator-framework/ansible-operator-plugins => github.com/operator-framework/ansible-operator-plugins v1.42.2"
build operator-sdk "$sdk_dir" "$sdk" "$OPERATOR_SDK_VERSION" "$sdk/cmd/operator-sdk" containers_image_openpgp \
  "-s -w -X '$sdk/internal/version.Version=$OPERATOR_SDK_VERSION' -X '$sdk/internal/version.GitVersion=$OPERATOR_SDK_VERSION' -X '$sdk/internal/version.ImageVersion=$OPERATOR_SDK_VERSION'" \
  "$sdk_extra"

build helm "$helm_dir" helm.sh/helm/v4 "$HELM_VERSION" helm.sh/helm/v4/cmd/helm "" \
  "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

report
