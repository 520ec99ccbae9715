#!/usr/bin/env bash
# Runs every test: unit, integration and end-to-end, then the policy-verdict conformance corpus when
# it is present beside the checkout. Installs what it needs when run as root on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless
  else
    echo "test.sh: needs Java 17 or newer" >&2
    exit 2
  fi
fi

# The eBPF datapath is compiled during the build (datapath/bpf/build.sh) and needs clang and libbpf's
# headers; libbpf1 itself is what the agent loads at run time.
bpf_toolchain_present() {
  command -v clang >/dev/null 2>&1 && [ -f /usr/include/bpf/bpf_helpers.h ] &&
    { ldconfig -p 2>/dev/null | grep -q 'libbpf\.so\.1'; }
}
if ! bpf_toolchain_present; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libbpf-dev libbpf1
  else
    echo "test.sh: the eBPF datapath needs clang and libbpf-dev (apt-get install -y clang libbpf-dev)" >&2
    exit 2
  fi
fi

./mvnw -B -ntp verify

# The shared policy-verdict corpus runs inside the suite (src/test, PolicyVerdictConformanceTest);
# its own runner, python3 ../shared/conformance/run-policy-verdicts.py, gives the same answer through
# the launcher, one JVM per check.
