#!/usr/bin/env bash
# Installs the host packages the NAS test bed needs (Debian/Ubuntu hosts, run as root).
# Idempotent: does nothing when everything is already installed; runs `apt-get update`
# only when a package is missing.
# Nothing here may start or enable a service on this machine (test/unit/build/host-packages.test.ts checks the
# list): the benchmark's syncoid is unpacked into the cache when the bench runs (test/nas/syncoid.ts), because
# Debian's sanoid package pulls in zfs-fuse (zfs-fuse.service) and enables sanoid.timer.
set -euo pipefail

PKGS=(
  mmdebstrap            # builds the guest root filesystems
  debian-archive-keyring
  qemu-system-x86       # runs the NAS VMs (TCG; KVM is not required)
  qemu-utils            # qemu-img for the per-run data disks
  e2fsprogs             # mkfs.ext4 -d for the root image
  socat                 # VM-to-VM forwarding (qemu guestfwd)
  openssh-client        # ssh / ssh-keygen
  ca-certificates
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-host-deps: all host packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "install-host-deps: installing ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
