import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyDataset, planDestroyDataset } from '../../electron/services/zfs/destroy.ts';
import { createBookmark, createDataset, createSnapshots, loadKey } from '../../electron/services/zfs/operations.ts';
import { listDatasets } from '../../electron/services/zfs/datasets.ts';
import { destroysOf, planRollback, rollback, type RollbackPlan } from '../../electron/services/zfs/rollback.ts';
import { listSnapshots } from '../../electron/services/zfs/snapshots.ts';
import type { ZfsHost } from '../../electron/services/zfs/zfs-host.ts';
import { AppFailure } from '../../shared/result.ts';
import { sshOk } from '../nas/testbed.ts';
import { nasVm, openZfsHosts, scratchName, type TestUser } from './support/zfs-hosts.ts';

// The VMs run under TCG on two shared cores: a few commands can take minutes.
const slow = 600_000;

const hosts = openZfsHosts();
afterAll(() => hosts.close());

describe.each<TestUser>(['root', 'admin'])('rollback as %s', (user) => {
  let host: ZfsHost;
  let dataset: string;
  beforeAll(async () => {
    const vm = nasVm('nas-a');
    host = await hosts.host(vm, user);
    dataset = scratchName(vm.pool, `rollback-${user}`);
    await createDataset(host, { dataset });
    await createSnapshots(host, { snapshots: [`${dataset}@one`] });
    await createSnapshots(host, { snapshots: [`${dataset}@two`] });
    await createBookmark(host, { source: `${dataset}@two`, bookmark: `${dataset}#two` });
    // Some data after the last snapshot: what a rollback discards. `written` counts synced data only, so sync.
    await sshOk(vm, 'root', `head -c 200000 /dev/urandom > '/${dataset}/after-two' && zpool sync ${vm.pool}`);
  }, slow);
  afterAll(async () => {
    const plan = await planDestroyDataset(host, { dataset, recursive: true });
    await destroyDataset(host, { dataset, recursive: true, confirmation: plan });
  }, slow);

  it('needs a confirmation that lists what will be lost, and refuses a stale one', async () => {
    const target = `${dataset}@one`;
    const plan = await planRollback(host, target);
    expect(plan).toMatchObject({
      snapshot: target,
      destroysSnapshots: [`${dataset}@two`],
      destroysBookmarks: [`${dataset}#two`],
      destroysClones: [],
    });
    expect(plan.discardsWrittenBytes).toBeGreaterThan(100_000);

    const refused = await rollback(host, { snapshot: target }).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(AppFailure);
    expect((refused as AppFailure).code).toBe('CONFIRMATION_REQUIRED');
    expect((refused as AppFailure).appError.details).toMatchObject({ destroys: destroysOf(plan), reclaimBytes: plan.discardsWrittenBytes });

    const stale: RollbackPlan = { ...plan, destroysSnapshots: [] };
    await expect(rollback(host, { snapshot: target, confirmation: stale })).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    expect((await listSnapshots(host, dataset)).length).toBe(3);

    await rollback(host, { snapshot: target, confirmation: plan });
    expect((await listSnapshots(host, dataset)).map((s) => s.name)).toEqual([target]);
    expect((await planRollback(host, target)).discardsWrittenBytes).toBeLessThan(100_000);
  }, slow);
});

describe('load-key', () => {
  it('loads a passphrase key from stdin', async () => {
    const vm = nasVm('nas-a');
    const host = await hosts.host(vm, 'root');
    const dataset = scratchName(vm.pool, 'secret');
    await sshOk(vm, 'root', `printf '%s\\n' 'integration passphrase' | zfs create -o encryption=on -o keyformat=passphrase -o keylocation=prompt '${dataset}' && zfs unmount '${dataset}' && zfs unload-key '${dataset}'`);
    try {
      expect((await listDatasets(host, { root: dataset, depth: 0 }))[0]?.keyStatus).toBe('unavailable');
      await expect(loadKey(host, { dataset, passphrase: 'wrong passphrase' })).rejects.toBeInstanceOf(AppFailure);
      await loadKey(host, { dataset, passphrase: 'integration passphrase' });
      expect((await listDatasets(host, { root: dataset, depth: 0 }))[0]?.keyStatus).toBe('available');
    } finally {
      await sshOk(vm, 'root', `zfs destroy -r '${dataset}'`);
    }
  }, slow);
});
