import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyDataset, destroySnapshots, planDestroyDataset, type SnapshotProtection } from '../../electron/services/zfs/destroy.ts';
import { listHolds } from '../../electron/services/zfs/holds.ts';
import { createBookmark, createDataset, createSnapshots, holdSnapshots, releaseSnapshots } from '../../electron/services/zfs/operations.ts';
import { listSnapshots } from '../../electron/services/zfs/snapshots.ts';
import type { ZfsHost } from '../../electron/services/zfs/zfs-host.ts';
import { sshOk } from '../nas/testbed.ts';
import { destroyTreeScript } from './support/zfs-scripts.ts';
import { counting, nasVm, openZfsHosts, scratchName, type TestUser } from './support/zfs-hosts.ts';

// The VMs run under TCG on two shared cores: a few commands can take minutes.
const slow = 600_000;

const hosts = openZfsHosts();
afterAll(() => hosts.close());

async function cleanup(host: ZfsHost, dataset: string) {
  const plan = await planDestroyDataset(host, { dataset, recursive: true }).catch(() => null);
  if (plan) await destroyDataset(host, { dataset, recursive: true, confirmation: plan });
}

describe('2,000 snapshots', () => {
  // One `zfs snapshot` takes one snapshot per dataset, so the 2,000 are spread over 50 datasets: 40 recursive
  // snapshots of the tree, each one atomic command through the app, then one listing of all of them.
  const childCount = 49;
  const rounds = 40;
  let host: ZfsHost;
  let dataset: string;
  beforeAll(async () => {
    const vm = nasVm('nas-a');
    host = await hosts.host(vm, 'root');
    dataset = scratchName(vm.pool, 'many');
    await sshOk(vm, 'root', `zfs create "${dataset}" && for i in $(seq -w 1 ${childCount}); do zfs create "${dataset}/child $i" || exit 1; done`, { timeoutMs: 600_000 });
  }, slow);
  // 2,000 snapshots take minutes to destroy under TCG: one pass, without the app's dry run first.
  afterAll(() => sshOk(nasVm('nas-a'), 'root', destroyTreeScript(dataset), { timeoutMs: 2 * slow }), 2 * slow);

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

  it('lists what a snapshot destroy would free, and keeps it', async () => {
    const dry = await destroySnapshots(host, { snapshots: [`${dataset}@old 1`, `${dataset}@old 2`], dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, destroys: [`${dataset}@old 1`, `${dataset}@old 2`], protections: [] });
    expect(dry.reclaimBytes).toBeGreaterThanOrEqual(0);
    expect((await listSnapshots(host, dataset)).length).toBe(4);
    const done = await destroySnapshots(host, { snapshots: [`${dataset}@old 1`, `${dataset}@old 2`] });
    expect(done.destroys).toEqual(dry.destroys);
    expect((await listSnapshots(host, dataset)).map((s) => s.shortName)).toEqual(['base', 'next']);
  }, slow);

  it('a hold blocks destroy: ZFS refuses it, the app refuses it earlier, force with a reason releases and destroys', async () => {
    const snapshot = `${dataset}@base`;
    await holdSnapshots(host, { tag: 'zrd:task-1', snapshots: [snapshot] });
    const holds = await listHolds(host, [snapshot]);
    expect(holds.map((h) => [h.snapshot, h.tag])).toEqual([[snapshot, 'zrd:task-1']]);
    expect((await listSnapshots(host, dataset)).find((s) => s.name === snapshot)?.userRefs).toBe(1);

    // Without the app's protection list, ZFS itself refuses.
    await expect(destroySnapshots(host, { snapshots: [snapshot] })).rejects.toMatchObject({ code: 'BUSY' });

    const protections: SnapshotProtection[] = [
      { snapshot, kind: 'hold', reason: 'held by zrd:task-1', holdTags: holds.map((h) => h.tag) },
    ];
    const { host: watched, runner } = counting(host);
    await expect(destroySnapshots(watched, { snapshots: [snapshot], protections })).rejects.toMatchObject({
      code: 'CONFIRMATION_REQUIRED',
      appError: { details: { protections } },
    });
    expect(runner.calls).toEqual([]);

    const dry = await destroySnapshots(host, { snapshots: [snapshot], protections, dryRun: true });
    expect(dry).toMatchObject({ destroys: [snapshot], protections });
    expect((await listHolds(host, [snapshot])).length).toBe(1);

    const forced = await destroySnapshots(host, { snapshots: [snapshot], protections, force: { reason: 'integration test' } });
    expect(forced).toMatchObject({ destroys: [snapshot], forceReason: 'integration test' });
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
