import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeConfirmedDestruction, planDatasetDestroy, planSnapshotDestroy } from '../../electron/services/snapshots/snapshot-destruction.ts';
import { buildDestroyArgv } from '../../electron/services/zfs/destroy.ts';
import { listHolds } from '../../electron/services/zfs/holds.ts';
import { createBookmark, createDataset, createSnapshots, holdSnapshots, releaseSnapshots } from '../../electron/services/zfs/operations.ts';
import { listSnapshots } from '../../electron/services/zfs/snapshots.ts';
import type { ZfsHost } from '../../electron/services/zfs/zfs-host.ts';
import { sshOk } from '../nas/testbed.ts';
import { destroyOwnPoolScript, poolOfItsOwnScript } from './support/zfs-scripts.ts';
import { counting, nasVm, openZfsHosts, scratchName, type TestUser } from './support/zfs-hosts.ts';

// The VMs run under TCG on two shared cores: a few commands can take minutes.
const slow = 600_000;

const hosts = openZfsHosts();
afterAll(() => hosts.close());

const connectionId = 'zfs-snapshots-test';

async function cleanup(host: ZfsHost, dataset: string) {
  const plan = await planDatasetDestroy({ host, connectionId }, dataset).catch(() => null);
  if (plan) await executeConfirmedDestruction({ host, connectionId }, plan, plan.digest);
}

describe('2,000 snapshots', () => {
  // One `zfs snapshot` takes one snapshot per dataset, so the 2,000 are spread over 50 datasets: 40 recursive
  // snapshots of the tree, each one atomic command through the app, then one listing of all of them.
  const childCount = 49;
  const rounds = 40;
  // A pool of the test's own (poolOfItsOwnScript: mounted, gone with one `zpool destroy`).
  const pool = `zrdit${randomUUID().slice(0, 8)}`;
  let host: ZfsHost;
  let dataset: string;
  beforeAll(async () => {
    const vm = nasVm('nas-a');
    host = await hosts.host(vm, 'root');
    dataset = `${pool}/zrd-it many`;
    const children = Array.from({ length: childCount }, (_, i) => `${dataset}/child ${String(i + 1).padStart(2, '0')}`);
    const script = `set -e\n${poolOfItsOwnScript(pool, [dataset, ...children])}\ntest "$(zfs list -H -o name -r "${dataset}" | wc -l)" = ${childCount + 1}\n`;
    await sshOk(vm, 'root', 'sh', { input: script, timeoutMs: 600_000 });
  }, slow);
  afterAll(() => sshOk(nasVm('nas-a'), 'root', destroyOwnPoolScript(pool), { timeoutMs: slow }), slow);

  it('are taken by 40 recursive commands and listed by one', async () => {
    const { host: watched, runner } = counting(host);
    let started = performance.now();
    for (let round = 0; round < rounds; round++) {
      await createSnapshots(watched, { snapshots: [`${dataset}@auto-2024-01-01_00-${String(round).padStart(2, '0')}`], recursive: true });
    }
    const createMs = performance.now() - started;
    started = performance.now();
    const listed = await listSnapshots(watched, dataset, { recursive: true }, { timeoutMs: 600_000 });
    const listMs = performance.now() - started;
    console.log(`2,000 snapshots: taken by ${rounds} recursive commands in ${(createMs / 1000).toFixed(1)} s, listed by one in ${(listMs / 1000).toFixed(1)} s`);
    expect(runner.calls.length).toBe(rounds + 1);
    expect(listed.length).toBe((childCount + 1) * rounds);
    expect(new Set(listed.map((s) => s.dataset)).size).toBe(childCount + 1);
    // A recursive snapshot is atomic: every dataset's snapshot of one round shares its createtxg.
    const round0 = listed.filter((s) => s.shortName === 'auto-2024-01-01_00-00');
    expect(round0.length).toBe(childCount + 1);
    expect(new Set(round0.map((s) => s.createtxg)).size).toBe(1);
  }, 2 * slow);
});

describe.each<TestUser>(['root', 'admin'])('holds and destroy as %s', (user) => {
  let host: ZfsHost;
  let dataset: string;
  beforeAll(async () => {
    const vm = nasVm('nas-a');
    host = await hosts.host(vm, user);
    dataset = scratchName(vm.pool, `holds-${user}`);
    await createDataset(host, { dataset });
    // One snapshot of a dataset per command.
    for (const name of ['base', 'next', 'old 1', 'old 2']) await createSnapshots(host, { snapshots: [`${dataset}@${name}`] });
  }, slow);
  afterAll(() => cleanup(host, dataset), slow);

  it('lists what a snapshot destroy would free, and keeps it until the plan is confirmed', async () => {
    const target = { host, connectionId };
    const plan = await planSnapshotDestroy(target, [`${dataset}@old 1`, `${dataset}@old 2`]);
    expect(plan.operations.flatMap((op) => op.items.map((i) => i.name))).toEqual([`${dataset}@old 1`, `${dataset}@old 2`]);
    expect(plan.refused).toEqual([]);
    expect(plan.reclaimBytes).toBeGreaterThanOrEqual(0);
    await expect(executeConfirmedDestruction(target, plan, undefined)).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    expect((await listSnapshots(host, dataset)).length).toBe(4);
    const done = await executeConfirmedDestruction(target, plan, plan.digest);
    expect(done.destroyed).toEqual([`${dataset}@old 1`, `${dataset}@old 2`]);
    expect((await listSnapshots(host, dataset)).map((s) => s.shortName)).toEqual(['base', 'next']);
  }, slow);

  it('a hold blocks destroy: the plan refuses it with the reason (a task hold is its common base), ZFS refuses it too; released, it goes', async () => {
    const snapshot = `${dataset}@base`;
    const taskTag = 'zfs-replication:11111111-2222-4333-8444-555555555555';
    await holdSnapshots(host, { tag: 'zrd:task-1', snapshots: [snapshot] });
    await holdSnapshots(host, { tag: taskTag, snapshots: [snapshot] });
    const holds = await listHolds(host, [snapshot]);
    expect(holds.map((h) => [h.snapshot, h.tag]).sort()).toEqual([[snapshot, taskTag], [snapshot, 'zrd:task-1']]);
    expect((await listSnapshots(host, dataset)).find((s) => s.name === snapshot)?.userRefs).toBe(2);

    // ZFS itself refuses to destroy a held snapshot.
    await expect(host.runner.run(buildDestroyArgv(host.capabilities.tools, snapshot))).rejects.toMatchObject({ code: 'BUSY' });

    const { host: watched, runner } = counting(host);
    const plan = await planSnapshotDestroy({ host: watched, connectionId }, [snapshot], { taskName: () => 'Nightly' });
    expect(plan.operations).toEqual([]);
    expect(plan.refused).toEqual([{ name: snapshot, reason: expect.stringContaining('common base of task "Nightly"') }]);
    expect(plan.refused[0]!.reason).toContain('held by "zrd:task-1"');
    await expect(executeConfirmedDestruction({ host: watched, connectionId }, plan, plan.digest)).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    expect(runner.calls.filter((argv) => argv[1] === 'destroy' && !argv.includes('-n'))).toEqual([]);

    await releaseSnapshots(host, { tag: 'zrd:task-1', snapshots: [snapshot] });
    await releaseSnapshots(host, { tag: taskTag, snapshots: [snapshot] });
    const free = await planSnapshotDestroy({ host, connectionId }, [snapshot]);
    expect(free.refused).toEqual([]);
    expect((await executeConfirmedDestruction({ host, connectionId }, free, free.digest)).destroyed).toEqual([snapshot]);
    expect((await listSnapshots(host, dataset)).map((s) => s.shortName)).toEqual(['next']);
  }, slow);

  it('bookmarks a snapshot, and release undoes a hold', async () => {
    const snapshot = `${dataset}@next`;
    await createBookmark(host, { source: snapshot, bookmark: `${dataset}#next mark` });
    await holdSnapshots(host, { tag: 'keep me', snapshots: [snapshot] });
    await releaseSnapshots(host, { tag: 'keep me', snapshots: [snapshot] });
    const listed = await listSnapshots(host, dataset);
    expect(listed.map((s) => [s.type, s.shortName, s.userRefs])).toEqual([
      ['snapshot', 'next', 0],
      ['bookmark', 'next mark', null],
    ]);
    expect(listed[0]!.guid).toBe(listed[1]!.guid);
  }, slow);
});
