import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReplicationTask, type EngineNas } from '../../electron/services/replication/replication-engine.ts';
import { executeConfirmedDestruction, planRollbackTo, planSnapshotDestroy } from '../../electron/services/snapshots/snapshot-destruction.ts';
import type { RunOptions } from '../../electron/services/ssh/command-runner.ts';
import { sshOk } from '../nas/testbed.ts';
import { b, freshSource, openReplicationBed, snapshotsOf, type ReplicationBed } from './support/replication-bed.ts';

// Destruction is planned and confirmed as one object: exactly what goes (descendants included), a digest bound
// to the task, the destination and the GUIDs listed, re-checked against the destination before acting.

vi.setConfig({ testTimeout: 300_000 });

let bed: ReplicationBed;
beforeAll(async () => {
  bed = await openReplicationBed();
});
afterAll(async () => {
  await bed?.close();
});

const root = () => ({ nas: bed.nasFor('root') });
const datasetsUnder = async (dataset: string) => (await sshOk(b(), 'root', `zfs list -H -o name -r '${dataset}'`)).trim().split('\n');
const guidOf = async (name: string) => (await sshOk(b(), 'root', `zfs get -H -p -o value guid '${name}'`)).trim();

describe('a diverged destination with a child the source never had', () => {
  it('lists the foreign child and its snapshot; a digest confirms only what existed when it was given', async () => {
    const name = 'dp-foreign';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1"');
    await sshOk(b(), 'root', `zfs create -p '${replica}' && zfs snapshot '${replica}@own-1' && zfs create '${replica}/foreign' && echo keep > "/${replica}/foreign/k" && zfs snapshot '${replica}/foreign@f1'`);
    const task = bed.task(name);

    const refused = await runReplicationTask(task, root());
    expect(refused.result).toBe('REFUSED');
    const listed = refused.refusal!.wouldLose.join('\n');
    // `zfs destroy -r` of the replica takes its child with it: the confirmation must say so.
    expect(listed).toContain(`${replica}/foreign`);
    expect(listed).toContain(`${replica}/foreign@f1`);
    expect(listed).toContain(`${replica}@own-1`);
    // One plan, bound to the destination's GUIDs as ZFS reports them.
    const [operation] = refused.refusal!.destruction.operations;
    expect(operation!.command).toBe(`/usr/sbin/zfs destroy -v -p -r ${replica}`);
    expect(operation!.items.map((i) => [i.kind, i.name, i.guid])).toEqual([
      ['filesystem', replica, await guidOf(replica)],
      ['snapshot', `${replica}@own-1`, await guidOf(`${replica}@own-1`)],
      ['filesystem', `${replica}/foreign`, await guidOf(`${replica}/foreign`)],
      ['snapshot', `${replica}/foreign@f1`, await guidOf(`${replica}/foreign@f1`)],
    ]);
    expect(operation!.items.find((i) => i.name === `${replica}/foreign`)!.note).toBe('not on the source: not replicated by this task');
    // The digest is bound to the task: the same destruction under another task is not confirmed by it.
    const other = await runReplicationTask({ ...task, id: randomUUID() }, root(), { dryRun: true, confirmation: refused.refusal!.confirmation });
    expect(other.result).toBe('REFUSED');
    expect(other.refusal!.confirmation).not.toBe(refused.refusal!.confirmation);

    // Something new appears under the replica after the admin read the list: the old digest no longer covers it.
    await sshOk(b(), 'root', `zfs create '${replica}/later'`);
    const stale = await runReplicationTask(task, root(), { confirmation: refused.refusal!.confirmation });
    expect(stale.result).toBe('REFUSED');
    expect(stale.refusal!.confirmation).not.toBe(refused.refusal!.confirmation);
    expect(stale.refusal!.wouldLose.join('\n')).toContain(`${replica}/later`);
    expect(await datasetsUnder(replica)).toEqual([replica, `${replica}/foreign`, `${replica}/later`]);

    const confirmed = await runReplicationTask(task, root(), { confirmation: stale.refusal!.confirmation });
    expect(confirmed.error).toBeNull();
    expect(confirmed.result).toBe('FINISHED');
    expect(await datasetsUnder(replica)).toEqual([replica]);
    expect(await snapshotsOf(b(), replica)).toEqual(['s1']);
  });

  it('a change on the destination between the plan and the destroy refuses the run, names it, and destroys nothing', async () => {
    const name = 'dp-meanwhile';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1"');
    await sshOk(b(), 'root', `zfs create -p '${replica}' && zfs snapshot '${replica}@own-1'`);
    const task = bed.task(name);
    const refused = await runReplicationTask(task, root());
    expect(refused.result).toBe('REFUSED');

    // The confirmed run lists the destination once to plan; right after, someone creates a child there.
    const nas = async (id: string): Promise<EngineNas> => {
      const real = await bed.nasFor('root')(id);
      if (id !== bed.destinationId) return real;
      let listings = 0;
      const runner = {
        label: real.host.runner.label,
        async run(argv: readonly string[], options?: RunOptions) {
          const result = await real.host.runner.run(argv, options);
          if (argv[1] === 'list' && argv.includes('all') && ++listings === 1) await sshOk(b(), 'root', `zfs create '${replica}/meanwhile'`);
          return result;
        },
      };
      return { ...real, host: { ...real.host, runner } };
    };
    const report = await runReplicationTask(task, { nas }, { confirmation: refused.refusal!.confirmation });
    expect(report.result).toBe('REFUSED');
    expect(report.refusal!.changes.map((c) => [c.change, c.item.name])).toEqual([['added', `${replica}/meanwhile`]]);
    expect(report.error!.message).toContain(`new: ${replica}/meanwhile`);
    expect(await datasetsUnder(replica)).toEqual([replica, `${replica}/meanwhile`]);
    expect(await snapshotsOf(b(), replica)).toEqual(['own-1']);
  });
});

describe('the snapshot screens', () => {
  it('destroy: a task-held snapshot is refused as its common base; the rest goes after the confirmation, with what zfs said it frees', async () => {
    const host = await bed.hosts.host(b(), 'root');
    const connectionId = bed.destinationId;
    const dataset = 'backup/dp-screens';
    const taskTag = `zfs-replication:${randomUUID()}`;
    await sshOk(b(), 'root', `zfs destroy -r '${dataset}' 2>/dev/null; zfs create '${dataset}' && head -c 65536 /dev/urandom > "/${dataset}/a" && zfs snapshot '${dataset}@s1' && head -c 131072 /dev/urandom > "/${dataset}/x" && zfs snapshot '${dataset}@s2' && rm "/${dataset}/x" && zfs snapshot '${dataset}@s3' && zfs hold '${taskTag}' '${dataset}@s1'`);

    const plan = await planSnapshotDestroy({ host, connectionId }, [`${dataset}@s1`, `${dataset}@s2`], { taskName: () => 'Nightly' });
    expect(plan.refused).toEqual([{ name: `${dataset}@s1`, reason: `common base of task "Nightly" (held by ${taskTag})` }]);
    expect(plan.operations.map((op) => [op.command, op.items.map((i) => [i.name, i.guid])])).toEqual([[`/usr/sbin/zfs destroy -v -p ${dataset}@s2`, [[`${dataset}@s2`, await guidOf(`${dataset}@s2`)]]]]);
    expect(plan.reclaimBytes).toBeGreaterThan(0);
    await expect(executeConfirmedDestruction({ host, connectionId }, plan, undefined)).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    expect(await snapshotsOf(b(), dataset)).toEqual(['s1', 's2', 's3']);
    const done = await executeConfirmedDestruction({ host, connectionId }, plan, plan.digest);
    expect(done.destroyed).toEqual([`${dataset}@s2`]);
    expect(await snapshotsOf(b(), dataset)).toEqual(['s1', 's3']);

    // Roll back: what goes is listed; a snapshot taken after the plan was shown refuses it; a fresh plan runs.
    await sshOk(b(), 'root', `head -c 262144 /dev/urandom > "/${dataset}/after" && zpool sync backup`);
    const rollback = await planRollbackTo({ host, connectionId }, `${dataset}@s1`);
    expect(rollback.operations[0]!.items.map((i) => [i.kind, i.name])).toEqual([['snapshot', `${dataset}@s3`], ['written-data', dataset]]);
    expect(rollback.operations[0]!.items[1]!.bytes).toBeGreaterThan(200_000);
    await sshOk(b(), 'root', `zfs snapshot '${dataset}@s4'`);
    await expect(executeConfirmedDestruction({ host, connectionId }, rollback, rollback.digest)).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED', message: expect.stringContaining(`new: ${dataset}@s4`) });
    expect(await snapshotsOf(b(), dataset)).toEqual(['s1', 's3', 's4']);
    const fresh = await planRollbackTo({ host, connectionId }, `${dataset}@s1`);
    await executeConfirmedDestruction({ host, connectionId }, fresh, fresh.digest);
    expect(await snapshotsOf(b(), dataset)).toEqual(['s1']);
    await sshOk(b(), 'root', `zfs release '${taskTag}' '${dataset}@s1' && zfs destroy -r '${dataset}'`);
  });
});
