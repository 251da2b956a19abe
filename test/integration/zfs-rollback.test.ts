import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeConfirmedDestruction, planDatasetDestroy, planRollbackTo } from '../../electron/services/snapshots/snapshot-destruction.ts';
import { createBookmark, createDataset, createSnapshots, loadKey } from '../../electron/services/zfs/operations.ts';
import { listDatasets } from '../../electron/services/zfs/datasets.ts';
import { listSnapshots } from '../../electron/services/zfs/snapshots.ts';
import type { ZfsHost } from '../../electron/services/zfs/zfs-host.ts';
import { AppFailure } from '../../shared/result.ts';
import { sshOk } from '../nas/testbed.ts';
import { nasVm, openZfsHosts, scratchName, type TestUser } from './support/zfs-hosts.ts';

// The VMs run under TCG on two shared cores: a few commands can take minutes.
const slow = 600_000;

const hosts = openZfsHosts();
const connectionId = 'zfs-rollback-test';
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
    const plan = await planDatasetDestroy({ host, connectionId }, dataset);
    await executeConfirmedDestruction({ host, connectionId }, plan, plan.digest);
  }, slow);

  it('needs a confirmation that lists what will be lost, and refuses a stale one', async () => {
    const target = `${dataset}@one`;
    const plan = await planRollbackTo({ host, connectionId }, target);
    const items = plan.operations[0]!.items;
    expect(items.map((i) => [i.kind, i.name])).toEqual([
      ['snapshot', `${dataset}@two`],
      ['bookmark', `${dataset}#two`],
      ['written-data', dataset],
    ]);
    expect(items.at(-1)!.bytes).toBeGreaterThan(100_000);

    const refused = await executeConfirmedDestruction({ host, connectionId }, plan, undefined).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(AppFailure);
    expect((refused as AppFailure).code).toBe('CONFIRMATION_REQUIRED');
    const details = (refused as AppFailure).appError.details;
    expect(details && 'plan' in details ? details.plan : undefined).toEqual(plan);

    // Stale: a snapshot taken after the plan was shown would go too; the confirmed plan does not cover it.
    await createSnapshots(host, { snapshots: [`${dataset}@three`] });
    const stale = await executeConfirmedDestruction({ host, connectionId }, plan, plan.digest).then(() => null, (e: unknown) => e);
    expect((stale as AppFailure).code).toBe('CONFIRMATION_REQUIRED');
    expect((stale as AppFailure).message).toContain(`new: ${dataset}@three`);
    expect((await listSnapshots(host, dataset)).length).toBe(4);

    const fresh = await planRollbackTo({ host, connectionId }, target);
    await executeConfirmedDestruction({ host, connectionId }, fresh, fresh.digest);
    expect((await listSnapshots(host, dataset)).map((s) => s.name)).toEqual([target]);
    expect((await planRollbackTo({ host, connectionId }, target)).operations[0]!.items.filter((i) => (i.bytes ?? 0) > 100_000)).toEqual([]);
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
