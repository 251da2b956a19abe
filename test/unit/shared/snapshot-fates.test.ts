import { describe, expect, it } from 'vitest';
import { fateInterner, fateText, snapshotFateList, snapshotFates, taskCovers, type FateSnapshot, type SnapshotFate } from '../../../shared/snapshot-fates.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';

const connectionId = '11111111-1111-4111-8111-111111111111';
const task: PeriodicSnapshotTask = {
  id: '22222222-2222-4222-8222-222222222222',
  connectionId,
  dataset: 'tank/docs',
  recursive: true,
  exclude: ['tank/docs/scratch'],
  namingSchema: 'auto-%Y-%m-%d_%H-%M',
  timeZone: 'UTC',
  schedule: { kind: 'cron', expression: '0 0 * * *', timeZone: 'UTC' },
  lifetime: { kind: 'grid', last: 0, hourly: 0, daily: 2, weekly: 0, monthly: 0, yearly: 0 },
};
const replication = { id: '33333333-3333-4333-8333-333333333333', name: 'Docs to backup' } as ReplicationTask;
const now = Date.UTC(2026, 10, 10, 12, 0);

const snap = (dataset: string, shortName: string, holds = 0): FateSnapshot => ({ name: `${dataset}@${shortName}`, dataset, shortName, holds, usedBytes: 1000 });

describe('snapshotFates: the fate column, from the same decision the prune runs', () => {
  it('covers the task dataset and its children, not excluded ones', () => {
    expect(taskCovers(task, 'tank/docs')).toBe(true);
    expect(taskCovers(task, 'tank/docs/a')).toBe(true);
    expect(taskCovers(task, 'tank/docs/scratch/x')).toBe(false);
    expect(taskCovers(task, 'tank/docsx')).toBe(false);
  });

  it('says kept by which rule, pruned when, held, common base of which task, and no policy', () => {
    const snapshots = [
      snap('tank/docs', 'auto-2026-11-05_00-00'),
      snap('tank/docs', 'auto-2026-11-06_00-00', 1),
      snap('tank/docs', 'auto-2026-11-07_00-00', 1),
      snap('tank/docs', 'auto-2026-11-08_00-00'),
      snap('tank/docs', 'manual-before-upgrade'),
      snap('tank/docs', 'auto-2026-11-09_00-00'),
      snap('tank/docs', 'auto-2026-11-10_00-00'),
      snap('tank/other', 'auto-2026-11-10_00-00'),
    ];
    const fates = snapshotFates({
      connectionId,
      snapshots,
      holdTags: { 'tank/docs@auto-2026-11-06_00-00': ['keep'], 'tank/docs@auto-2026-11-07_00-00': [`zfs-replication:${replication.id}`] },
      snapshotTasks: [task],
      replicationTasks: [],
      now,
    });
    const of = (name: string) => fates.get(name)!;
    expect(of('tank/docs@auto-2026-11-10_00-00')).toMatchObject({ kind: 'keep', taskId: task.id, reason: { kind: 'rule', rule: 'daily', n: 1 } });
    expect(of('tank/docs@auto-2026-11-09_00-00')).toMatchObject({ kind: 'keep', reason: { kind: 'rule', rule: 'daily', n: 2 } });
    expect(of('tank/docs@auto-2026-11-08_00-00')).toMatchObject({ kind: 'prune', pruneAt: Date.UTC(2026, 10, 11, 0, 0) });
    expect(fateText(of('tank/docs@auto-2026-11-08_00-00'))).toContain('pruned at the next run, 2026-11-11 00:00');
    expect(fateText(of('tank/docs@auto-2026-11-06_00-00'))).toContain('held (1 hold): ZFS will not destroy it — "keep"');
    expect(of('tank/docs@auto-2026-11-06_00-00')).toMatchObject({ kind: 'held', reason: { kind: 'held' } });
    expect(of('tank/docs@auto-2026-11-07_00-00')).toMatchObject({ kind: 'base', reason: { kind: 'common-base', taskIds: [replication.id] } });
    expect(of('tank/docs@manual-before-upgrade')).toMatchObject({ kind: 'none' });
    expect(of('tank/other@auto-2026-11-10_00-00')).toMatchObject({ kind: 'none' });
    expect(of('tank/docs@auto-2026-11-05_00-00').kind).toBe('prune');
    // Equal fates are one object (100,000 rows share a handful), different ones stay apart.
    expect(of('tank/docs@auto-2026-11-05_00-00')).toBe(of('tank/docs@auto-2026-11-08_00-00'));
    expect(of('tank/docs@manual-before-upgrade')).toBe(of('tank/other@auto-2026-11-10_00-00'));
    expect(of('tank/docs@auto-2026-11-10_00-00')).not.toBe(of('tank/docs@auto-2026-11-09_00-00'));
  });

  it('fateInterner: one object per distinct fate, whichever field differs', () => {
    const intern = fateInterner();
    const fate: SnapshotFate = { kind: 'keep', taskId: 't', pruneAt: null, reason: { kind: 'rule', rule: 'daily', n: 1 }, timeZone: 'UTC', policyLabel: 'p', holdTags: [] };
    const first = intern(fate);
    expect(first).toBe(fate);
    expect(intern({ ...fate, reason: { kind: 'rule', rule: 'daily', n: 1 }, holdTags: [] })).toBe(fate);
    for (const other of [
      { ...fate, kind: 'prune' as const },
      { ...fate, taskId: 'u' },
      { ...fate, pruneAt: 5 },
      { ...fate, reason: { kind: 'rule' as const, rule: 'daily' as const, n: 2 } },
      { ...fate, timeZone: 'Europe/Berlin' },
      { ...fate, policyLabel: null },
      { ...fate, holdTags: ['keep'] },
    ])
      expect(intern(other)).toBe(other);
  });

  it('names the replication task of a common base on a dataset without a periodic task', () => {
    const fates = snapshotFates({
      connectionId,
      snapshots: [snap('tank/media', 'x', 1)],
      holdTags: { 'tank/media@x': [`zfs-replication:${replication.id}`] },
      snapshotTasks: [],
      replicationTasks: [replication],
      now,
    });
    expect(fateText(fates.get('tank/media@x')!, (id) => (id === replication.id ? replication.name : id))).toContain('common base of Docs to backup');
  });
});

describe('snapshotFateList: the same fates in the listing order', () => {
  it('gives each snapshot the fate snapshotFates gives its name, over tasks that disagree, holds, datasets and names outside the schema', () => {
    const hourly: PeriodicSnapshotTask = { ...task, id: '44444444-4444-4444-8444-444444444444', recursive: false, exclude: [], lifetime: { kind: 'grid', last: 0, hourly: 0, daily: 5, weekly: 0, monthly: 0, yearly: 0 } };
    const lifetime: PeriodicSnapshotTask = { ...task, id: '55555555-5555-4555-8555-555555555555', dataset: 'tank/docs/a', recursive: false, exclude: [], lifetime: { kind: 'custom', amount: 2, unit: 'days' } };
    const snapshots: FateSnapshot[] = [];
    for (const dataset of ['tank/docs', 'tank/docs/a', 'tank/docs/scratch', 'tank/other']) {
      // A snapshot with hold tags has as many holds (the listing asks `zfs holds` about held snapshots only).
      for (let day = 1; day <= 9; day++) snapshots.push(snap(dataset, `auto-2026-11-0${day}_00-00`, day === 3 ? 2 : dataset === 'tank/docs' && day === 4 ? 1 : 0));
      snapshots.push(snap(dataset, 'manual-before-upgrade', dataset === 'tank/other' ? 1 : 0));
    }
    const input = {
      connectionId,
      snapshots,
      holdTags: { 'tank/docs@auto-2026-11-04_00-00': [`zfs-replication:${replication.id}`], 'tank/other@manual-before-upgrade': ['keep'] },
      snapshotTasks: [task, hourly, lifetime, { ...task, id: '66666666-6666-4666-8666-666666666666', connectionId: '77777777-7777-4777-8777-777777777777' }],
      replicationTasks: [],
      now,
    };
    const list = snapshotFateList(input);
    const byName = snapshotFates(input);
    expect(list).toHaveLength(snapshots.length);
    expect(byName.size).toBe(snapshots.length);
    snapshots.forEach((s, i) => expect(list[i]).toStrictEqual(byName.get(s.name)));
    // Equal fates are one object across datasets too; the guards and every kind are there.
    expect(new Set(list.map((f) => f.kind))).toEqual(new Set(['keep', 'prune', 'held', 'base', 'none']));
    for (const a of list) for (const b of list) if (a !== b) expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });
});
