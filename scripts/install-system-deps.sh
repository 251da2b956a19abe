#!/usr/bin/env bash
# System packages the test suite needs, from Debian's mirror: Chromium for the Playwright suite, and what the
# NAS test bed needs to build and boot its VMs (test/nas/install-host-deps.sh). Idempotent and quick when
# everything is present; `apt-get update` runs only when something is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "install-system-deps: installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi
bash "$here/../test/nas/install-host-deps.sh"
