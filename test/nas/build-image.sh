#!/usr/bin/env bash
# Builds (once, cached) the bootable NAS test image: Debian bookworm, the cloud kernel,
# OpenZFS 2.3.x from bookworm-backports (module compiled by dkms in a builder chroot).
#
#   bash test/nas/build-image.sh          # build if needed; prints the image dir last
#   ZRD_NAS_REBUILD=1 bash ...            # force a rebuild
#
# Cache: ${ZRD_NAS_CACHE:-$HOME/.cache/zfs-replication-desktop/nas}
#   id_ed25519, id_ed25519.pub   test key pair (generated once per cache)
#   image-<key>/                 vmlinuz, initrd.img, root.img, manifest.json
#   current -> image-<key>
# <key> hashes the resolved kernel ABI, the OpenZFS version, this script, the overlay
# files and the test public key: any change rebuilds; only the current image is kept.
# The build runs in a temp dir next to the cache and is moved into place atomically.
#
# Env: ZRD_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#      ZRD_DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
# Needs root (mmdebstrap --mode=root) and the packages of install-host-deps.sh.
set -euo pipefail

# ---- hook mode (called back by mmdebstrap; $2 is the chroot) -------------------------
if [ "${1:-}" = "--hook-builder-out" ]; then
  # $2 rootdir, $3 ABI, $4 output dir for the .ko files
  root="$2"; abi="$3"; out="$4"
  src="$root/lib/modules/$abi/updates/dkms"
  if ! ls "$src"/*.ko* >/dev/null 2>&1; then
    echo "builder: no zfs modules in $src" >&2
    ls -R "$root/var/lib/dkms" >&2 || true
    for f in "$root"/var/lib/dkms/zfs/*/build/make.log; do [ -f "$f" ] && tail -n 50 "$f" >&2; done
    exit 1
  fi
  mkdir -p "$out"
  cp -a "$src"/. "$out"/
  exit 0
fi
if [ "${1:-}" = "--hook-runtime" ]; then
  # $2 rootdir, $3 ABI, $4 dir with the .ko files (waits for .done), $5 overlay, $6 pubkey
  root="$2"; abi="$3"; ko="$4"; overlay="$5"; pubkey="$6"
  # overlay (git does not keep modes: fix them)
  cp -a "$overlay"/. "$root"/
  chmod 0440 "$root/etc/sudoers.d/zrd"
  chmod 0755 "$root"/usr/local/sbin/zrd-*
  # users: root, admin (sudo zfs/zpool), delegate (zfs allow), sudopw (sudo with password)
  for u in admin delegate sudopw; do
    chroot "$root" useradd --create-home --shell /bin/bash "$u"
  done
  printf '%s\n' root:zrd-root admin:zrd-admin delegate:zrd-delegate sudopw:zrd-sudopw \
    | chroot "$root" chpasswd
  for u in root admin delegate sudopw; do
    home=$(chroot "$root" getent passwd "$u" | cut -d: -f6)
    install -d -m 0700 "$root$home/.ssh"
    install -m 0600 "$pubkey" "$root$home/.ssh/authorized_keys"
    chroot "$root" chown -R "$u:$u" "$home/.ssh"
  done
  chroot "$root" visudo -c -q
  # units: our own boot units; zfs module and pool are handled by zrd-pool.service. Every unit
  # costs seconds under TCG: mask what a test NAS does not need (gettys, timers, binfmt, ...).
  chroot "$root" systemctl enable systemd-networkd.service zrd-hostkeys.service zrd-pool.service >/dev/null
  chroot "$root" systemctl mask systemd-udev-settle.service zfs-load-module.service \
    zfs-import-cache.service zfs-import-scan.service serial-getty@ttyS0.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
    sanoid.timer sanoid-prune.service getty-static.service getty@tty1.service \
    modprobe@dm_mod.service modprobe@fuse.service modprobe@loop.service modprobe@drm.service \
    modprobe@efi_pstore.service modprobe@configfs.service systemd-binfmt.service \
    proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount sys-kernel-tracing.mount \
    dev-hugepages.mount >/dev/null 2>&1 || true
  rm -f "$root"/etc/ssh/ssh_host_*
  : > "$root/etc/machine-id"
  echo "zrd-nas" > "$root/etc/hostname"
  # wait for the module from the builder chroot (built in parallel)
  for _ in $(seq 1 1800); do
    [ -e "$ko/.done" ] && break
    [ -e "$ko/.failed" ] && { echo "runtime: builder failed" >&2; exit 1; }
    sleep 1
  done
  [ -e "$ko/.done" ] || { echo "runtime: timed out waiting for the zfs module" >&2; exit 1; }
  mkdir -p "$root/lib/modules/$abi/updates/dkms"
  cp "$ko"/*.ko* "$root/lib/modules/$abi/updates/dkms/"
  chroot "$root" depmod -a "$abi"
  chroot "$root" modinfo -k "$abi" -F version zfs
  chroot "$root" update-initramfs -u -k "$abi"
  exit 0
fi

# ---- main ----------------------------------------------------------------------------
t0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[build-image] $*"; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
OVERLAY="$HERE/overlay"
CACHE="${ZRD_NAS_CACHE:-$HOME/.cache/zfs-replication-desktop/nas}"
MIRROR="${ZRD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECMIRROR="${ZRD_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
SUITE=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

for tool in mmdebstrap mkfs.ext4 ssh-keygen apt-get apt-cache flock sha256sum; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run test/nas/install-host-deps.sh" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "build-image.sh must run as root (mmdebstrap --mode=root)" >&2; exit 1; }

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9

# test key pair, once per cache
if [ ! -f "$CACHE/id_ed25519" ] || [ ! -f "$CACHE/id_ed25519.pub" ]; then
  rm -f "$CACHE/id_ed25519" "$CACHE/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C zrd-testbed -f "$CACHE/id_ed25519"
fi
chmod 0600 "$CACHE/id_ed25519"

# leftovers of a crashed build
rm -rf "$CACHE"/.build-*

# ---- resolve the kernel ABI and the OpenZFS version (private apt state) ---------------
APTDIR="$CACHE/apt"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial" "$APTDIR/prefs.d" "$APTDIR/cache"
: > "$APTDIR/status"
SOURCES=(
  "deb [signed-by=$KEYRING] $MIRROR $SUITE main contrib"
  "deb [signed-by=$KEYRING] $MIRROR $SUITE-updates main contrib"
  "deb [signed-by=$KEYRING] $SECMIRROR $SUITE-security main contrib"
  "deb [signed-by=$KEYRING] $MIRROR $SUITE-backports main contrib"
)
printf '%s\n' "${SOURCES[@]}" > "$APTDIR/sources.list"
PIN_TEXT="Package: zfs* libzfs* libzpool* libnvpair* libuutil*
Pin: release n=$SUITE-backports
Pin-Priority: 990
"
printf '%s' "$PIN_TEXT" > "$APTDIR/prefs.d/zfs-backports"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APTDIR/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
  -o "Dir::Etc::Preferences=/nonexistent" -o "Dir::Etc::PreferencesParts=$APTDIR/prefs.d"
  -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::State::status=$APTDIR/status"
  -o "Dir::Cache=$APTDIR/cache" -o "Dir::Cache::pkgcache=$APTDIR/cache/pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=$APTDIR/cache/srcpkgcache.bin" -o "Dir::Cache::archives=$APTDIR/archives"
  -o "APT::Architecture=amd64" -o "APT::Architectures=amd64" -o "Acquire::Languages=none"
  -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
)
t=$(date +%s.%N)
resolved=1
if ! apt-get "${APT_OPTS[@]}" -qq update >"$APTDIR/update.log" 2>&1; then
  resolved=0
fi
ABI=""; ZFSVER=""
if [ "$resolved" = 1 ]; then
  SHOW=$(apt-cache "${APT_OPTS[@]}" show --no-all-versions linux-image-cloud-amd64 zfs-dkms 2>/dev/null || true)
  ABI=$(printf '%s\n' "$SHOW" | sed -n 's/^Depends:.*linux-image-\([0-9][^ ,]*-cloud-amd64\).*/\1/p' | head -n1)
  ZFSVER=$(printf '%s\n' "$SHOW" | awk '/^Package: zfs-dkms$/ { z = 1 } z && /^Version: / { print $2; exit }')
  if [ -z "$ABI" ] || [ -z "$ZFSVER" ] \
     || ! apt-cache "${APT_OPTS[@]}" show "linux-headers-$ABI" >/dev/null 2>&1; then
    resolved=0
  fi
fi
if [ "$resolved" = 0 ]; then
  if [ -e "$CACHE/current/manifest.json" ] && [ -z "${ZRD_NAS_REBUILD:-}" ]; then
    log "WARNING: could not resolve kernel/zfs versions (mirror unreachable?); using the cached image"
    tail -n 5 "$APTDIR/update.log" >&2 || true
    log "image ready: $(readlink -f "$CACHE/current") ($(elapsed "$t0") s)"
    readlink -f "$CACHE/current"
    exit 0
  fi
  echo "could not resolve the kernel ABI / zfs version from $MIRROR:" >&2
  tail -n 20 "$APTDIR/update.log" >&2 || true
  exit 1
fi
case "$ZFSVER" in
  2.3.*) ;;
  *) echo "expected OpenZFS 2.3.x from $SUITE-backports, got '$ZFSVER'" >&2; exit 1 ;;
esac
log "resolved kernel ABI $ABI, OpenZFS $ZFSVER ($(elapsed "$t") s)"

# ---- cache key -------------------------------------------------------------------------
KEY=$(
  {
    echo "abi=$ABI"; echo "zfs=$ZFSVER"; echo "mirror=$MIRROR $SECMIRROR"
    sha256sum "$SELF" | cut -d' ' -f1
    cat "$CACHE/id_ed25519.pub"
    (cd "$OVERLAY" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
)
IMAGE="$CACHE/image-$KEY"
if [ -z "${ZRD_NAS_REBUILD:-}" ] && [ -f "$IMAGE/manifest.json" ] && [ -f "$IMAGE/root.img" ]; then
  ln -sfn "image-$KEY" "$CACHE/current.tmp" && mv -T "$CACHE/current.tmp" "$CACHE/current"
  log "cached image $IMAGE is current (key $KEY; $(elapsed "$t0") s)"
  echo "$IMAGE"
  exit 0
fi
log "building image key $KEY (cold build: ~5 min, the zfs module compile dominates)"

# ---- build -----------------------------------------------------------------------------
BUILD=$(mktemp -d "$CACHE/.build-XXXXXX")
FAILED_LOGS=""
cleanup() {
  rc=$?
  if [ $rc -ne 0 ] && [ -d "$BUILD" ]; then
    FAILED_LOGS=$(mktemp -d "${TMPDIR:-/tmp}/zrd-nas-build-failed-XXXXXX")
    cp "$BUILD"/*.log "$FAILED_LOGS"/ 2>/dev/null || true
    echo "[build-image] FAILED (exit $rc); logs kept in $FAILED_LOGS" >&2
  fi
  [ -n "${BPID:-}" ] && kill "$BPID" 2>/dev/null || true
  rm -rf "$BUILD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s' "$PIN_TEXT" > "$BUILD/pin"
MIRRORS=()
for s in "${SOURCES[@]}"; do MIRRORS+=("$s"); done
COMMON=(
  --mode=root --variant=apt --architectures=amd64 --keyring="$KEYRING"
  --aptopt='Acquire::Retries "3"' --aptopt='APT::Install-Recommends "false"'
  --setup-hook="mkdir -p \"\$1/etc/apt/preferences.d\" && cp '$BUILD/pin' \"\$1/etc/apt/preferences.d/zfs-backports\""
)
DOCS_EXCLUDE=(
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
)
KO="$BUILD/ko"
mkdir -p "$KO"

# builder chroot: headers of the resolved ABI + zfs-dkms; its postinst compiles the module
t=$(date +%s.%N)
(
  if mmdebstrap "${COMMON[@]}" "${DOCS_EXCLUDE[@]}" \
      --include="linux-headers-$ABI,zfs-dkms=$ZFSVER" \
      --customize-hook="bash '$SELF' --hook-builder-out \"\$1\" '$ABI' '$KO'" \
      "$SUITE" "$BUILD/builder" "${MIRRORS[@]}" >"$BUILD/builder.log" 2>&1; then
    rm -rf "$BUILD/builder"
    touch "$KO/.done"
  else
    touch "$KO/.failed"
    exit 1
  fi
) &
BPID=$!

# runtime root filesystem (in parallel; its last hook waits for the module)
RUNTIME_PKGS="systemd-sysv,udev,kmod,iproute2,procps,linux-image-$ABI,initramfs-tools,zstd"
RUNTIME_PKGS+=",openssh-server,sudo,zfsutils-linux=$ZFSVER,mbuffer,pv,lzop,libnss-myhostname,sanoid"
rc=0
mmdebstrap "${COMMON[@]}" "${DOCS_EXCLUDE[@]}" \
  --include="$RUNTIME_PKGS" \
  --setup-hook="mkdir -p \"\$1/usr/share/initramfs-tools/modules.d\" \"\$1/etc/initramfs-tools/conf.d\" && printf '%s\n' virtio_pci virtio_blk virtio_net ext4 > \"\$1/usr/share/initramfs-tools/modules.d/zrd\" && echo MODULES=list > \"\$1/etc/initramfs-tools/conf.d/zrd.conf\"" \
  --customize-hook="bash '$SELF' --hook-runtime \"\$1\" '$ABI' '$KO' '$OVERLAY' '$CACHE/id_ed25519.pub'" \
  "$SUITE" "$BUILD/rootfs" "${MIRRORS[@]}" >"$BUILD/runtime.log" 2>&1 || rc=$?
brc=0
wait "$BPID" || brc=$?
BPID=""
if [ $brc -ne 0 ]; then
  echo "---- builder chroot failed; tail of builder.log:" >&2
  tail -n 60 "$BUILD/builder.log" >&2
  exit 1
fi
if [ $rc -ne 0 ]; then
  echo "---- runtime rootfs failed; tail of runtime.log:" >&2
  tail -n 60 "$BUILD/runtime.log" >&2
  exit 1
fi
log "module built and root filesystem ready ($(elapsed "$t") s)"

# ---- image -----------------------------------------------------------------------------
t=$(date +%s.%N)
OUT="$BUILD/out"
mkdir -p "$OUT"
cp "$BUILD/rootfs/boot/vmlinuz-$ABI" "$OUT/vmlinuz"
cp "$BUILD/rootfs/boot/initrd.img-$ABI" "$OUT/initrd.img"
ROOTSIZE_MB=$(du -sm "$BUILD/rootfs" | cut -f1)
mkfs.ext4 -q -F -L zrd-root -d "$BUILD/rootfs" "$OUT/root.img" 2G
rm -rf "$BUILD/rootfs"
KO_LIST=$(cd "$KO" && ls *.ko* | tr '\n' ' ')
cat > "$OUT/manifest.json" <<JSON
{
  "key": "$KEY",
  "kernelAbi": "$ABI",
  "zfsVersion": "$ZFSVER",
  "suite": "$SUITE",
  "modules": "${KO_LIST% }",
  "rootfsMB": $ROOTSIZE_MB,
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(elapsed "$t0")
}
JSON
cp "$BUILD"/*.log "$OUT"/
log "root image: ${ROOTSIZE_MB} MB of files, $(du -sm "$OUT/root.img" | cut -f1) MB allocated ($(elapsed "$t") s)"

# ---- atomic swap; keep only the current key ---------------------------------------------
rm -rf "$IMAGE"
mv -T "$OUT" "$IMAGE"
ln -sfn "image-$KEY" "$CACHE/current.tmp" && mv -T "$CACHE/current.tmp" "$CACHE/current"
for d in "$CACHE"/image-*; do
  [ "$d" = "$IMAGE" ] || rm -rf "$d"
done
log "built $IMAGE in $(elapsed "$t0") s (kernel $ABI, OpenZFS $ZFSVER)"
echo "$IMAGE"
