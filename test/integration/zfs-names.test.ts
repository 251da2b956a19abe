import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDatasets } from '../../electron/services/zfs/datasets.ts';
import { executeConfirmedDestruction, planDatasetDestroy } from '../../electron/services/snapshots/snapshot-destruction.ts';
import { createDataset, createSnapshots, holdSnapshots, rename, setProperties } from '../../electron/services/zfs/operations.ts';
import { getProperties } from '../../electron/services/zfs/properties.ts';
import { listSnapshots } from '../../electron/services/zfs/snapshots.ts';
import type { ZfsHost } from '../../electron/services/zfs/zfs-host.ts';
import { AppFailure } from '../../shared/result.ts';
import { counting, nasVm, openZfsHosts, scratchName, type TestUser } from './support/zfs-hosts.ts';

// Names with spaces go through every command intact; names that could do harm never reach the NAS.

// The VMs run under TCG on two shared cores: a few commands can take minutes.
const slow = 600_000;

const hosts = openZfsHosts();
afterAll(() => hosts.close());

describe.each<TestUser>(['root', 'admin'])('names as %s', (user) => {
  let host: ZfsHost;
  let pool: string;
  beforeAll(async () => {
    const vm = nasVm('nas-a');
    pool = vm.pool;
    host = await hosts.host(vm, user);
  }, slow);

  it('round-trips a dataset name with spaces through create, list, snapshot, rename, properties and destroy', async () => {
    const name = scratchName(pool, `with  spaces ${user}`);
    await createDataset(host, { dataset: name, properties: { 'com.example:note': 'Grüße, 世界 and a "quote"' } });
    const [listed] = await listDatasets(host, { root: name, depth: 0 });
    expect(listed).toMatchObject({ name, type: 'filesystem', mountpoint: `/${name}` });

    await createSnapshots(host, { snapshots: [`${name}@first snap`] });
    expect((await listSnapshots(host, name)).map((s) => [s.dataset, s.shortName])).toEqual([[name, 'first snap']]);

    const renamed = `${name} renamed`;
    await rename(host, { from: name, to: renamed });
    await setProperties(host, renamed, { 'com.example:owner': "O'Brien; $(id)" });
    const properties = await getProperties(host, [renamed], ['com.example:note', 'com.example:owner']);
    expect(properties.map((p) => [p.property, p.value, p.source.kind])).toEqual([
      ['com.example:note', 'Grüße, 世界 and a "quote"', 'local'],
      ['com.example:owner', "O'Brien; $(id)", 'local'],
    ]);

    const target = { host, connectionId: 'zfs-names-test' };
    const plan = await planDatasetDestroy(target, renamed);
    expect(plan.operations.flatMap((op) => op.items.map((i) => i.name))).toEqual([renamed, `${renamed}@first snap`]);
    await expect(executeConfirmedDestruction(target, plan, undefined)).rejects.toMatchObject({
      code: 'CONFIRMATION_REQUIRED',
      appError: { details: { plan } },
    });
    const outcome = await executeConfirmedDestruction(target, plan, plan.digest);
    expect([...outcome.destroyed].sort()).toEqual([renamed, `${renamed}@first snap`].sort());
    expect((await listDatasets(host, { root: pool, depth: 1 })).map((d) => d.name)).not.toContain(renamed);
  }, slow);

  it('refuses $(...), ;, backquotes, quotes, newlines and unicode before any command runs', async () => {
    const { host: watched, runner } = counting(host);
    const attempts: Array<() => Promise<unknown>> = [
      () => createDataset(watched, { dataset: `${pool}/$(touch /tmp/pwned)` }),
      () => createDataset(watched, { dataset: `${pool}/a;touch /tmp/pwned` }),
      () => createDataset(watched, { dataset: `${pool}/\`id\`` }),
      () => createDataset(watched, { dataset: `${pool}/it's` }),
      () => createDataset(watched, { dataset: `${pool}/a\nb` }),
      () => createDataset(watched, { dataset: `${pool}/é` }),
      () => createSnapshots(watched, { snapshots: [`${pool}@x|reboot`] }),
      () => holdSnapshots(watched, { tag: '-r', snapshots: [`${pool}@x`] }),
      () => listSnapshots(watched, `-${pool}`),
      () => setProperties(watched, pool, { 'x;y': '1' }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppFailure);
      expect((error as AppFailure).code).toBe('INVALID_NAME');
    }
    expect(runner.calls).toEqual([]);
  }, slow);
});
