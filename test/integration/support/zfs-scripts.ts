// Shell snippets for test setup and cleanup on the VMs (run as root through the test bed's sshOk): things the
// app itself never does, or that would take thousands of app commands. Dataset names are double-quoted and come
// from the tests themselves.

/** `count` snapshots of one dataset, auto-2024-01-01_00-00-0000 upward: one `zfs snapshot` takes one per dataset. */
export function manySnapshotsScript(dataset: string, count: number): string {
  return `i=0; while [ $i -lt ${count} ]; do zfs snapshot "${dataset}@auto-2024-01-01_00-00-$(printf %04d $i)" || exit 1; i=$((i+1)); done`;
}

/** Destroys a tree if it exists, releasing every hold first (ZFS refuses to destroy a held snapshot). */
export function destroyTreeScript(dataset: string): string {
  return [
    'set -eu',
    `if zfs list "${dataset}" >/dev/null 2>&1; then`,
    // Only snapshots with holds (userrefs > 0) cost a `zfs holds`: trees may hold thousands of snapshots.
    `  zfs list -H -p -o name,userrefs -t snapshot -r "${dataset}" | while IFS='	' read -r s refs; do`,
    '    [ "$refs" = 0 ] && continue',
    '    zfs holds -H "$s" | cut -f2 | while IFS= read -r t; do zfs release "$t" "$s"; done',
    '  done',
    `  zfs destroy -r -R -f "${dataset}"`,
    'fi',
  ].join('\n');
}

/** Where a test's own pool keeps its file and mounts its datasets (see poolOfItsOwnScript). */
export function ownPoolPaths(pool: string): { file: string; mountpoint: string } {
  return { file: `/var/tmp/zrd-${pool}.img`, mountpoint: `/mnt/${pool}` };
}

/**
 * A pool of a test's own in a sparse file, with its datasets: for thousands of snapshots, which then go with one
 * `zpool destroy` (seconds) where `zfs destroy -r` frees each snapshot in sync context (~100 s for 2,000 under TCG).
 * The datasets are mounted: on an unmounted one every ioctl opens and evicts the objset, which made snapshots 3x
 * and listings 4x slower on the VMs. The first dataset is created first, the others at once (concurrent creates share
 * transaction groups). Names are double-quoted.
 */
export function poolOfItsOwnScript(pool: string, datasets: readonly string[]): string {
  const { file, mountpoint } = ownPoolPaths(pool);
  return [
    `truncate -s 256M ${file}`,
    `zpool create -o cachefile=none -O mountpoint=${mountpoint} ${pool} ${file}`,
    `zfs create "${datasets[0]!}"`,
    'pids=""',
    ...datasets.slice(1).map((d) => `zfs create "${d}" & pids="$pids $!"`),
    'for pid in $pids; do wait $pid || exit 1; done',
  ].join('\n');
}

/** Destroys a pool made by poolOfItsOwnScript (if it exists) with its file; fails only if the pool is still there. */
export function destroyOwnPoolScript(pool: string): string {
  const { file, mountpoint } = ownPoolPaths(pool);
  return `zpool destroy -f ${pool} 2>/dev/null; rm -f ${file}; rmdir ${mountpoint} 2>/dev/null; ! zpool list ${pool} 2>/dev/null`;
}
