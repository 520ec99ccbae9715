#!/usr/bin/env bash
# Compiles the tc programs into one BPF object with BTF. Run by the datapath module's Maven build
# (generate-resources); usage: build.sh OUTPUT.o WORKDIR [skip]
# Each attach-point file (hexgate_*.c) is compiled on its own and bpftool gen object (libbpf's static
# linker) links them into OUTPUT.o, one object whose programs share its maps (datapath/DESIGN.md, "BPF
# sources"). abi_layout.o (WORKDIR) holds the BTF of every lib/abi.h struct for AbiLayoutTest.
# Needs clang, bpftool and the libbpf headers (Debian: apt-get install -y clang bpftool libbpf-dev;
# scripts/ensure-host-tools.sh installs them when run as root). With skip=true (-Dhexgate.bpf.skip=true) a
# missing toolchain only warns: the agent then has no BPF object and falls back to the Java datapath.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
work="$2"
skip="${3:-false}"

missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v bpftool >/dev/null 2>&1 || missing+=(bpftool)
[ -f /usr/include/bpf/bpf_helpers.h ] || missing+=(libbpf-dev)
if [ ${#missing[@]} -gt 0 ]; then
  msg="hexgate: cannot compile the eBPF datapath: missing ${missing[*]} (Debian/Ubuntu: apt-get install -y clang bpftool libbpf-dev)"
  if [ "$skip" = true ]; then
    echo "**********************************************************************************" >&2
    echo "$msg" >&2
    echo "hexgate: -Dhexgate.bpf.skip=true: building WITHOUT the BPF object; the agent will only" >&2
    echo "hexgate: be able to run the Java datapath" >&2
    echo "**********************************************************************************" >&2
    exit 0
  fi
  echo "$msg; or build with -Dhexgate.bpf.skip=true to leave it out" >&2
  exit 1
fi

# Debian keeps asm/ under the multiarch directory, which clang -target bpf does not search.
multiarch="$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")"
mkdir -p "$(dirname "$out")" "$work"
compile() {
  clang -O2 -g -target bpf -Wall -Werror -I"/usr/include/$multiarch" -I"$here" -c "$here/$1.c" -o "$work/$1.o"
}
parts=()
for src in "$here"/hexgate_*.c; do
  name="$(basename "$src" .c)"
  compile "$name"
  parts+=("$work/$name.o")
done
compile abi_layout
bpftool gen object "$out.tmp" "${parts[@]}"
mv "$out.tmp" "$out"
