import { describe, expect, it } from 'vitest';
import { NasSnapshotListingSchema, type NasSnapshotListing, type SnapshotSummary } from '../../../shared/contract.ts';
import { datasetsOf, newestFirst, snapshotRows, withFates } from '../../../renderer/features/snapshots/snapshot-rows.ts';
import { snapshotColumns } from '../../../shared/snapshot-columns.ts';
import { fateText } from '../../../shared/snapshot-fates.ts';
import type { PeriodicSnapshotTask } from '../../../shared/task-schemas.ts';

const snapshot = (name: string, createtxg: number, creation: number): SnapshotSummary => {
  const [dataset, shortName] = name.split('@') as [string, string];
  return { name, type: 'snapshot' as const, guid: String(createtxg * 7 + name.length), createtxg, creation, usedBytes: 0, referencedBytes: 0, userRefs: 0, dataset, shortName };
};
const listing = (snapshots: SnapshotSummary[]): NasSnapshotListing => ({ host: 'root@nas:22', dataset: null, snapshots: snapshotColumns(snapshots), holdTags: {}, listedAt: new Date(0).toISOString() });

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

describe('withFates: the fates decided again from the rows (the window keeps no listing beside them)', () => {
  const task: PeriodicSnapshotTask = {
    id: '22222222-2222-4222-8222-222222222222',
    connectionId: 'c',
    dataset: 'tank/a',
    recursive: false,
    exclude: [],
    namingSchema: 'auto-%Y-%m-%d_%H-%M',
    timeZone: 'UTC',
    schedule: { kind: 'cron', expression: '0 0 * * *', timeZone: 'UTC' },
    lifetime: { kind: 'grid', last: 0, hourly: 0, daily: 2, weekly: 0, monthly: 0, yearly: 0 },
  };
  const now = Date.UTC(2026, 10, 10, 12, 0);
  const day = (d: number, txg: number, userRefs = 0) => ({ ...snapshot(`tank/a@auto-2026-11-${String(d).padStart(2, '0')}_00-00`, txg, Date.UTC(2026, 10, d) / 1000), userRefs });
  const source = () => listing([day(5, 1), day(6, 2, 1), day(7, 3), day(8, 4), snapshot('tank/b@x', 5, Date.UTC(2026, 10, 9) / 1000), day(9, 6), day(10, 7)]);

  it('gives the same rows and fates as deciding them with the listing', () => {
    const held = { ...source(), holdTags: { 'tank/a@auto-2026-11-06_00-00': ['keep'] } };
    const direct = snapshotRows('c', held, [task], [], now);
    const before = snapshotRows('c', held, [], [], now);
    const again = withFates(before, { connectionId: 'c', holdTags: held.holdTags, snapshotTasks: [task], replicationTasks: [], now });
    expect(again).toEqual(direct);
    expect(again.map((r) => fateText(r.fate))).toEqual(direct.map((r) => fateText(r.fate)));
    expect(again.map((r) => r.fate.kind)).toEqual(['keep', 'keep', 'none', 'prune', 'prune', 'held', 'prune']);
    // Rows without holds share one empty tag list; equal fates are one object.
    expect(direct[0]!.holdTags).toBe(direct[1]!.holdTags);
    expect(direct[3]!.fate).toBe(direct[4]!.fate);
  });

  it('datasetsOf: each dataset once, sorted', () => {
    expect(datasetsOf(snapshotRows('c', source(), [], [], now))).toEqual(['tank/a', 'tank/b']);
  });
});

describe('the listing crosses as columns (shared/snapshot-columns.ts) and the rows are made from them', () => {
  const snapshots = [
    { ...snapshot('tank/a@auto-1', 10, 100), usedBytes: 4096, referencedBytes: 2 ** 40, userRefs: 2 },
    { ...snapshot('tank/a/b@x', 11, 150), usedBytes: null, referencedBytes: null, userRefs: null },
    snapshot('tank/a@auto-2', 12, 200),
  ];

  it('each dataset is named once; every row has its snapshot\'s fields', () => {
    const columns = snapshotColumns(snapshots);
    expect(columns.datasets).toEqual(['tank/a', 'tank/a/b']);
    expect(columns.dataset).toEqual([0, 1, 0]);
    expect(NasSnapshotListingSchema.shape.snapshots.parse(columns)).toEqual(columns);
    const rows = snapshotRows('c', { ...listing(snapshots), holdTags: { 'tank/a@auto-1': ['keep', 'mine'] } }, [], []);
    expect(rows.map(({ fate: _fate, ...row }) => row)).toEqual([
      { name: 'tank/a@auto-2', dataset: 'tank/a', shortName: 'auto-2', created: 200_000, createtxg: 12, usedBytes: 0, referencedBytes: 0, holds: 0, holdTags: [] },
      { name: 'tank/a/b@x', dataset: 'tank/a/b', shortName: 'x', created: 150_000, createtxg: 11, usedBytes: null, referencedBytes: null, holds: 0, holdTags: [] },
      { name: 'tank/a@auto-1', dataset: 'tank/a', shortName: 'auto-1', created: 100_000, createtxg: 10, usedBytes: 4096, referencedBytes: 2 ** 40, holds: 2, holdTags: ['keep', 'mine'] },
    ]);
    expect(rows.map((r) => r.fate.kind)).toEqual(['none', 'none', 'held']);
    // One string per dataset, whatever the number of its snapshots.
    expect(rows[0]!.dataset).toBe(columns.datasets[0]);
  });

  it('columns of different lengths, or a dataset index that does not name the snapshot\'s dataset, are refused', () => {
    const schema = NasSnapshotListingSchema.shape.snapshots;
    const columns = snapshotColumns(snapshots);
    expect(schema.safeParse({ ...columns, creation: [100, 150] }).error?.issues[0]).toMatchObject({ path: ['creation'], message: 'has 2 entries for 3 snapshots' });
    expect(schema.safeParse({ ...columns, dataset: [0, 0, 0] }).error?.issues[0]).toMatchObject({ path: ['dataset', 1], message: 'does not name the dataset of tank/a/b@x' });
    expect(schema.safeParse({ ...columns, dataset: [0, 2, 0] }).success).toBe(false);
  });
});
