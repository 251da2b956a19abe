import { describe, expect, it } from 'vitest';
import type { NasSnapshotListing } from '../../../shared/contract.ts';
import { newestFirst, snapshotRows } from '../../../renderer/features/snapshots/snapshot-rows.ts';

const snapshot = (name: string, createtxg: number, creation: number) => {
  const [dataset, shortName] = name.split('@') as [string, string];
  return { name, type: 'snapshot' as const, guid: String(createtxg * 7 + name.length), createtxg, creation, usedBytes: 0, referencedBytes: 0, userRefs: 0, dataset, shortName };
};
const listing = (snapshots: ReturnType<typeof snapshot>[]): NasSnapshotListing => ({ host: 'root@nas:22', dataset: null, snapshots, holdTags: {}, listedAt: new Date(0).toISOString() });

describe('snapshotRows: the table rows come newest first (the table does not sort them again on mount)', () => {
  it('a zfs list -s createtxg (oldest first) is reversed, ties of one second ordered by txg', () => {
    const rows = snapshotRows('c', listing([snapshot('tank/a@1', 10, 100), snapshot('tank/a@2', 11, 100), snapshot('tank/b@2', 11, 100), snapshot('tank/a@3', 12, 200)]), [], []);
    expect(rows.map((r) => r.name)).toEqual(['tank/a@3', 'tank/b@2', 'tank/a@2', 'tank/a@1']);
  });

  it('a whole NAS (one list per pool, each oldest first) is sorted', () => {
    const rows = snapshotRows('c', listing([snapshot('tank/a@1', 10, 100), snapshot('tank/a@2', 20, 300), snapshot('backup/b@1', 5, 200), snapshot('backup/b@2', 6, 400)]), [], []);
    expect(rows.map((r) => r.name)).toEqual(['backup/b@2', 'tank/a@2', 'backup/b@1', 'tank/a@1']);
    for (let i = 1; i < rows.length; i++) expect(newestFirst(rows[i - 1]!, rows[i]!)).toBeLessThanOrEqual(0);
  });
});
