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

scripts/ensure-host-tools.sh
# the lab's real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl),
# built once into ~/.cache/hexgate; without Go the lab tests run on the embedded fallback and say so
scripts/ensure-control-plane.sh >/dev/null || echo "test.sh: the real control plane cannot be built here; lab tests use the embedded fallback" >&2
# the Debian base of the operator and agent images, made once into ~/.cache/hexgate (needs root the first time);
# without it the build writes only the bundle image and says so
scripts/ensure-image-base.sh >/dev/null || echo "test.sh: no image base; the operator and agent images are not built" >&2
# operator-sdk and helm, built once into ~/.cache/hexgate; without them the packaging module's bundle and
# chart validation tests are skipped and say so
scripts/ensure-olm-tools.sh >/dev/null || echo "test.sh: operator-sdk and helm cannot be built here; bundle and chart validation tests are skipped" >&2
# OLM v0's olm and catalog operators and opm, built once into ~/.cache/hexgate; without them the lab's OLM
# install tests are skipped and say so
scripts/ensure-olm.sh >/dev/null || echo "test.sh: OLM cannot be built here; the OLM install tests are skipped" >&2
# the stock hubble CLI, built once into ~/.cache/hexgate; without it the tests that run it against Hexgate's Hubble
# servers are skipped and say so
scripts/ensure-hubble.sh >/dev/null || echo "test.sh: the hubble CLI cannot be built here; the stock hubble CLI tests are skipped" >&2
./mvnw -B -ntp verify

# The shared policy-verdict corpus runs inside the suite (src/test, PolicyVerdictConformanceTest);
# its own runner, python3 ../shared/conformance/run-policy-verdicts.py, gives the same answer through
# the launcher, one JVM per check.
