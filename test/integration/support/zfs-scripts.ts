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
