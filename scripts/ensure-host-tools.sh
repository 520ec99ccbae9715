#!/usr/bin/env bash
# Installs the host tools the datapath and the lab use, when they are missing and we are root on a
# Debian-like machine: clang, bpftool and libbpf headers build the BPF programs, libbpf1 loads them, iproute2
# makes the lab's network namespaces, curl runs inside them, iperf3/iptables/nftables/ethtool/nginx/wrk serve the
# network benchmarks (nginx's stream module, libnginx-mod-stream, relays TCP in the proxy benchmark),
# umoci/runc/skopeo unpack, run and inspect the container images (the lab runs pods whose image
# is a Hexgate image archive as runc containers), and busybox-static (a static /bin/busybox) fills the tiny image the
# lab's container tests build. Without root it only says what is missing; the parts that need it skip or stop with a
# message.
set -euo pipefail

need=()
command -v clang >/dev/null 2>&1 || need+=(clang llvm)
command -v bpftool >/dev/null 2>&1 || need+=(bpftool)
[ -f /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
ls /usr/lib/*/libbpf.so.1 >/dev/null 2>&1 || need+=(libbpf1)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
command -v nginx >/dev/null 2>&1 || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || need+=(runc)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "hexgate: installing ${need[*]}" >&2
  apt-get update -qq >&2
  # nginx is for the benchmarks, started in a pod namespace: its package must not start it on the host
  policy=/usr/sbin/policy-rc.d
  made_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=true
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2 || status=$?
  if $made_policy; then rm -f "$policy"; fi
  exit $status
else
  echo "hexgate: missing host tools (${need[*]}); install them as root, or the eBPF datapath and the lab are unavailable" >&2
fi
