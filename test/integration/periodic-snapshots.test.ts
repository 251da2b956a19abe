import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReplicationTask } from '../../electron/services/replication/replication-engine.ts';
import { planSourceRetention, pruneSnapshots, takeSnapshots } from '../../electron/services/snapshots/periodic-snapshots.ts';
import type { ZfsHost } from '../../electron/services/zfs/zfs-host.ts';
import { PeriodicSnapshotTaskSchema, type PeriodicSnapshotTask } from '../../shared/task-schemas.ts';
import { sshOk } from '../nas/testbed.ts';
import { a, freshSource, openReplicationBed, snapshotsOf, type ReplicationBed } from './support/replication-bed.ts';

// Periodic snapshot tasks on nas-a: atomic recursive snapshots (with and without excluded children) and pruning
// by lifetime that never touches a held snapshot (a replication task's last common one) nor one the replication
// task has not sent yet.

// Each test is several runs of a few ssh round trips each; under TCG with other VMs busy that can take minutes.
vi.setConfig({ testTimeout: 300_000 });

let bed: ReplicationBed;
let host: ZfsHost;
beforeAll(async () => {
  bed = await openReplicationBed();
  host = await bed.hosts.host(a(), 'admin');
});
afterAll(async () => {
  await bed?.close();
});

const periodic = (dataset: string, overrides: Partial<PeriodicSnapshotTask> = {}): PeriodicSnapshotTask =>
  PeriodicSnapshotTaskSchema.parse({
    id: randomUUID(),
    connectionId: randomUUID(),
    dataset,
    namingSchema: 'auto-%Y-%m-%d_%H-%M',
    schedule: { kind: 'cron', expression: '*/5 * * * *' },
    lifetime: { kind: 'custom', amount: 1, unit: 'days' },
    ...overrides,
  });

const snapshotTxgs = async (dataset: string, name: string) =>
  (await sshOk(a(), 'root', `zfs list -H -p -o name,createtxg -t snapshot -r '${dataset}' | grep '@${name}' || true`))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t') as [string, string]);

describe('takeSnapshots', () => {
  it('recursive: one zfs snapshot -r; excluded children: the included ones named in ONE atomic command', async () => {
    const name = 'ps-take';
    const root = `tank/${name}`;
    await freshSource(name, 'zfs create "$D" && zfs create "$D/a" && zfs create "$D/b" && zfs create "$D/b/c"');
    const at = new Date(Date.UTC(2026, 10, 21, 10, 5));

    const dry = await takeSnapshots(periodic(root), host, at, { dryRun: true });
    expect(dry.command).toBe(`/usr/sbin/zfs snapshot -r ${root}@auto-2026-11-21_10-05`);
    expect(await snapshotTxgs(root, 'auto-2026-11-21_10-05')).toEqual([]);

    const all = await takeSnapshots(periodic(root), host, at);
    expect(all.snapshots).toEqual([root, `${root}/a`, `${root}/b`, `${root}/b/c`].map((d) => `${d}@auto-2026-11-21_10-05`));
    expect(new Set((await snapshotTxgs(root, 'auto-2026-11-21_10-05')).map(([, txg]) => txg)).size).toBe(1);

    const later = new Date(Date.UTC(2026, 10, 21, 10, 10));
    const some = await takeSnapshots(periodic(root, { exclude: [`${root}/b`] }), host, later);
    expect(some.command).toBe(`/usr/sbin/zfs snapshot ${root}@auto-2026-11-21_10-10 ${root}/a@auto-2026-11-21_10-10`);
    const taken = await snapshotTxgs(root, 'auto-2026-11-21_10-10');
    expect(taken.map(([n]) => n)).toEqual([`${root}@auto-2026-11-21_10-10`, `${root}/a@auto-2026-11-21_10-10`]);
    expect(new Set(taken.map(([, txg]) => txg)).size).toBe(1);

    await expect(takeSnapshots(periodic(root), host, later)).rejects.toMatchObject({ code: 'DATASET_EXISTS' });
  });
});

describe('pruning', () => {
  it('prunes expired snapshots by the schema, never a replication task\'s common base (it holds it) nor what it has not sent yet', async () => {
    const name = 'ps-prune';
    const dataset = `tank/${name}`;
    await freshSource(name, 'zfs create "$D" && zfs snapshot "$D@auto-2020-01-01_00-00" && zfs snapshot "$D@manual-1" && zfs snapshot "$D@auto-2020-01-02_00-00"');
    const replication = bed.task(name, { selection: { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'] } });
    expect((await runReplicationTask(replication, { nas: bed.nasFor('root') })).error).toBeNull();
    await sshOk(a(), 'root', `zfs snapshot '${dataset}@auto-2020-01-03_00-00' && zfs snapshot '${dataset}@auto-2020-01-04_00-00'`);

    const task = periodic(dataset);
    const now = new Date(Date.UTC(2020, 0, 4, 12));
    const plan = await planSourceRetention(task, host, now);
    // The replication task's hold names it: 01-02 is its common base, and what it has not sent yet stays.
    expect(plan.datasets.map((d) => [d.dataset, d.prune])).toEqual([[dataset, ['auto-2020-01-01_00-00']]]);
    const reasons = Object.fromEntries(plan.datasets[0]!.decisions.map((d) => [d.name, d.reason]));
    expect(reasons).toEqual({
      'auto-2020-01-01_00-00': { kind: 'expired', on: Date.UTC(2020, 0, 2) },
      'manual-1': { kind: 'not-in-schema' },
      'auto-2020-01-02_00-00': { kind: 'common-base', taskIds: [replication.id] },
      'auto-2020-01-03_00-00': { kind: 'not-yet-replicated', taskIds: [replication.id] },
      'auto-2020-01-04_00-00': { kind: 'not-yet-replicated', taskIds: [replication.id] },
    });
    const dry = await pruneSnapshots(task, host, now, { dryRun: true });
    expect(dry.destroyed).toEqual([`${dataset}@auto-2020-01-01_00-00`]);
    expect(await snapshotsOf(a(), dataset)).toHaveLength(5);

    // Once sent, they go; the new common base stays.
    expect((await runReplicationTask(replication, { nas: bed.nasFor('root') })).error).toBeNull();
    const after = await planSourceRetention(task, host, now);
    expect(after.datasets[0]!.decisions.map((d) => `${d.name} ${d.fate} ${d.reason.kind}`)).toEqual([
      'auto-2020-01-01_00-00 prune expired',
      'manual-1 keep not-in-schema',
      'auto-2020-01-02_00-00 prune expired',
      'auto-2020-01-03_00-00 prune expired',
      'auto-2020-01-04_00-00 keep common-base',
    ]);
    const done = await pruneSnapshots(task, host, now);
    expect(done.destroyed).toEqual([`${dataset}@auto-2020-01-01_00-00`, `${dataset}@auto-2020-01-02_00-00`, `${dataset}@auto-2020-01-03_00-00`]);
    expect(done.commands).toEqual([`/usr/sbin/zfs destroy -v -p ${dataset}@auto-2020-01-01_00-00,auto-2020-01-02_00-00,auto-2020-01-03_00-00`]);
    expect(await snapshotsOf(a(), dataset)).toEqual(['manual-1', 'auto-2020-01-04_00-00']);

    // The replication continues from its held base.
    await sshOk(a(), 'root', `zfs snapshot '${dataset}@auto-2020-01-05_00-00'`);
    const next = await runReplicationTask(replication, { nas: bed.nasFor('root') });
    expect(next.error).toBeNull();
    expect(next.datasets[0]!.plan).toMatchObject({ status: 'ready', base: 'auto-2020-01-04_00-00' });
    // Three replication runs and two prunes: minutes under TCG when the machine is busy.
  }, 600_000);
});
