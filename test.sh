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

./mvnw -B -ntp verify

conformance=../shared/conformance/run-policy-verdicts.py
if [ -f "$conformance" ]; then
  if python3 -c 'import yaml' 2>/dev/null; then
    python3 "$conformance" --min 100
  else
    echo "test.sh: skipping the conformance corpus: python3 with PyYAML is not available"
  fi
else
  echo "test.sh: skipping the conformance corpus: $conformance not found beside this checkout"
fi
