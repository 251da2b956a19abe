import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReplicationTask, type EngineEvent } from '../../electron/services/replication/replication-engine.ts';
import { sshOk } from '../nas/testbed.ts';
import { a, b, checksum, freshSource, holdsOf, openReplicationBed, propertyOf, snapshotsOf, type ReplicationBed } from './support/replication-bed.ts';
import { formatBytes } from '../../shared/format-bytes.ts';

// The replication engine on the VMs, beyond full/incremental: encryption (raw and encrypt-on-destination),
// properties, naming-schema selection, resume after an interrupted stream, divergence, destination retention.

// Each test is several runs of a few ssh round trips each; under TCG with other VMs busy that can take minutes.
vi.setConfig({ testTimeout: 300_000 });

let bed: ReplicationBed;
beforeAll(async () => {
  bed = await openReplicationBed({ directUsers: ['root'] });
});
afterAll(async () => {
  await bed?.close();
});

const root = () => ({ nas: bed.nasFor('root') });

/** Unmounts a tree (children first) and unloads its keys: the state after a reboot. */
const lockTree = (dataset: string) => sshOk(b(), 'root', `for d in $(zfs list -H -o name -r '${dataset}' | sort -r); do zfs unmount "$d" 2>/dev/null; done; zfs unload-key -r '${dataset}'`);

describe('encryption', () => {
  it('as-source: an encrypted source is sent raw (-w) and arrives locked; load-key with its passphrase opens it', async () => {
    const name = 'gap-enc-raw';
    const passphrase = 'correct horse battery';
    await freshSource(name, `echo '${passphrase}' | zfs create -o encryption=on -o keyformat=passphrase -o keylocation=prompt "$D" && head -c 262144 /dev/urandom > "/$D/data.bin" && zfs snapshot "$D@s1"`);
    const task = bed.task(name);
    const replica = `backup/${name}-replica/${name}`;
    const first = await runReplicationTask(task, root());
    expect(first.error).toBeNull();
    expect(first.datasets[0]!.commands.join('\n')).toMatch(/zfs send -w /);
    expect(await propertyOf(b(), replica, 'keystatus')).toBe('unavailable');
    expect(await propertyOf(b(), replica, 'encryptionroot')).toBe(replica);
    expect(await propertyOf(b(), replica, 'encryption')).toBe('aes-256-gcm');

    await sshOk(a(), 'root', `head -c 65536 /dev/urandom >> '/tank/${name}/data.bin' && zfs snapshot 'tank/${name}@s2'`);
    const second = await runReplicationTask(task, root());
    expect(second.error).toBeNull();
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2']);
    await sshOk(b(), 'root', `echo '${passphrase}' | zfs load-key '${replica}'`);
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));
  });

  it('encrypt-on-destination: a plain source lands under an encryption root made with the task key; readable after load-key', async () => {
    const name = 'gap-enc-dest';
    const key = 'ab'.repeat(32);
    const parent = `backup/${name}-replica`;
    const replica = `${parent}/${name}`;
    await freshSource(name, 'zfs create "$D" && zfs create "$D/child" && head -c 262144 /dev/urandom > "/$D/data.bin" && zfs snapshot -r "$D@s1"');
    const task = bed.task(name, { sources: [{ name: `tank/${name}`, recursive: true }], encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex', key } });

    const dry = await runReplicationTask(task, root(), { dryRun: true });
    expect(dry.error).toBeNull();
    expect(dry.datasets[0]!.commands[0]).toBe(`/usr/sbin/zfs create -o encryption=on -o keyformat=hex -o keylocation=prompt ${parent}`);
    expect(dry.datasets[0]!.commands.join('\n')).not.toContain(key);

    const first = await runReplicationTask(task, root());
    expect(first.error).toBeNull();
    for (const dataset of [replica, `${replica}/child`]) {
      expect(await propertyOf(b(), dataset, 'encryption')).toBe('aes-256-gcm');
      expect(await propertyOf(b(), dataset, 'encryptionroot')).toBe(parent);
    }
    expect(await propertyOf(b(), parent, 'keyformat')).toBe('hex');

    // Locked again (as after a reboot): the next run loads the key itself, then replicates the increment.
    await lockTree(parent);
    expect(await propertyOf(b(), replica, 'keystatus')).toBe('unavailable');
    await sshOk(a(), 'root', `echo more >> '/tank/${name}/data.bin' && zfs snapshot -r 'tank/${name}@s2'`);
    const second = await runReplicationTask(task, root());
    expect(second.error).toBeNull();
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2']);

    await lockTree(parent);
    await sshOk(b(), 'root', `echo '${key}' | zfs load-key -L prompt '${parent}'`);
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));

    // A wrong key is refused clearly and nothing is sent.
    await lockTree(parent);
    const wrong = await runReplicationTask({ ...task, encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex', key: 'cd'.repeat(32) } }, root());
    expect(wrong.error?.code).toBe('INVALID_REQUEST');
    expect(wrong.error?.message).toContain("refused the task's key");
  });
});

it('properties: replicated (-p), excluded (-x) and overridden (-o)', async () => {
  const name = 'gap-props';
  await freshSource(name, 'zfs create -o compression=gzip -o org.zrd-test:label=hello "$D" && echo x > "/$D/f" && zfs snapshot "$D@s1"');
  const task = bed.task(name, { properties: { replicate: true, exclude: ['compression'], override: { 'org.zrd-test:role': 'replica', recordsize: '65536' } } });
  const replica = `backup/${name}-replica/${name}`;
  const report = await runReplicationTask(task, root());
  expect(report.error).toBeNull();
  const rows = (await sshOk(b(), 'root', `zfs get -H -p -o property,value,source compression,org.zrd-test:label,org.zrd-test:role,recordsize '${replica}'`))
    .trim()
    .split('\n')
    .map((line) => line.split('\t'));
  const got = Object.fromEntries(rows.map(([property, value, source]) => [property, { value, source }]));
  expect(got['org.zrd-test:label']).toEqual({ value: 'hello', source: 'received' });
  expect(got['compression']!.value).not.toBe('gzip');
  expect(got['compression']!.source).not.toBe('received');
  expect(got['org.zrd-test:role']).toEqual({ value: 'replica', source: 'local' });
  expect(got['recordsize']).toEqual({ value: '65536', source: 'local' });
});

it(`properties on a long incremental: the -I stops one short, the last -i carries -p; every snapshot and the newest properties arrive, the replica stays read-only`, async () => {
  const name = 'gap-props-long';
  const replica = `backup/${name}-replica/${name}`;
  await freshSource(name, 'zfs create -o org.zrd-test:label=one "$D" && echo 0 > "/$D/f" && zfs snapshot "$D@s00"');
  const task = bed.task(name, { properties: { replicate: true, exclude: [], override: {} }, destinationLifetime: { kind: 'forever' } });
  expect((await runReplicationTask(task, root())).error).toBeNull();

  // 20 more snapshots; the label changes halfway. Only the final step's -p brings it across.
  await sshOk(a(), 'root', `D='tank/${name}'; for i in $(seq -w 1 20); do echo $i >> "/$D/f"; [ $i = 10 ] && zfs set org.zrd-test:label=two "$D"; zfs snapshot "$D@s$i"; done`);
  const report = await runReplicationTask(task, root());
  expect(report.error).toBeNull();
  expect(report.datasets[0]!.plan.steps).toEqual([
    { kind: 'incremental', from: 's00', to: 's19', intermediates: true },
    { kind: 'incremental', from: 's19', to: 's20', intermediates: false },
  ]);
  const [longStep, lastStep] = report.datasets[0]!.commands.filter((c) => c.includes(' send '));
  expect(longStep).not.toMatch(/ send [^|]*-p /);
  expect(longStep).toContain('-x readonly');
  expect(lastStep).toMatch(/ send [^|]*-p /);
  expect(await snapshotsOf(b(), replica)).toEqual(Array.from({ length: 21 }, (_, i) => `s${String(i).padStart(2, '0')}`));
  expect(await checksum(b(), replica, 'f')).toBe(await checksum(a(), `tank/${name}`, 'f'));
  expect(await propertyOf(b(), replica, 'org.zrd-test:label')).toBe('two');
  expect(await propertyOf(b(), replica, 'readonly')).toBe('on');
});

it('holds on a tree with an excluded child: -r only where the listing proves it exact; the excluded child is never held', async () => {
  const name = 'gap-hold-excl';
  const replica = `backup/${name}-replica/${name}`;
  await freshSource(name, 'zfs create "$D" && zfs create "$D/a" && zfs create "$D/a/deep" && zfs create "$D/skip" && zfs snapshot -r "$D@s1"');
  const task = bed.task(name, { sources: [{ name: `tank/${name}`, recursive: true, exclude: [`tank/${name}/skip`] }] });
  const tag = task.id;
  expect((await runReplicationTask(task, root())).error).toBeNull();
  await sshOk(a(), 'root', `zfs snapshot -r 'tank/${name}@s2'`);
  const second = await runReplicationTask(task, root());
  expect(second.error).toBeNull();
  const heldWith = async (vm: typeof a, tree: string) =>
    (await sshOk(vm(), 'root', `zfs list -H -o name -t snapshot -r '${tree}' | xargs zfs holds -H`))
      .split('\n')
      .filter((line) => line.includes(tag))
      .map((line) => line.split('\t')[0]!.slice(tree.length))
      .sort();
  // Source: tank/X/skip@s2 exists and is not the task's, so neither the root nor a -r above skip may be used;
  // a (with a/deep) is exact. Destination: the replica tree is all the task's.
  expect(await heldWith(a, `tank/${name}`)).toEqual(['/a/deep@s2', '/a@s2', '@s2']);
  expect(await heldWith(b, replica)).toEqual(['/a/deep@s2', '/a@s2', '@s2']);
  expect(await holdsOf(a(), `tank/${name}/skip@s2`)).toBe('');
  expect(await snapshotsOf(b(), `${replica}/a/deep`)).toEqual(['s1', 's2']);
});

it('naming schema: only matching snapshots are sent, with -i chained over the others', async () => {
  const name = 'gap-naming';
  await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@auto-2020-01-01_00-00" && echo 2 >> "/$D/f" && zfs snapshot "$D@manual-1" && echo 3 >> "/$D/f" && zfs snapshot "$D@auto-2020-01-02_00-00"');
  const task = bed.task(name, { selection: { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'] }, destinationLifetime: { kind: 'forever' } });
  const report = await runReplicationTask(task, root());
  expect(report.error).toBeNull();
  expect(report.datasets[0]!.plan).toMatchObject({
    status: 'ready',
    steps: [
      { kind: 'full', snapshot: 'auto-2020-01-01_00-00' },
      { kind: 'incremental', from: 'auto-2020-01-01_00-00', to: 'auto-2020-01-02_00-00', intermediates: false },
    ],
  });
  expect(await snapshotsOf(b(), `backup/${name}-replica/${name}`)).toEqual(['auto-2020-01-01_00-00', 'auto-2020-01-02_00-00']);
  expect(await checksum(b(), `backup/${name}-replica/${name}`, 'f')).toBe(await checksum(a(), `tank/${name}`, 'f'));
});

describe('resume', () => {
  /** Starts a slow direct run (~30 s for 1 MiB, room for a slow ssh under load) and kills the source's zfs send once bytes flow. */
  async function interruptedRun(name: string) {
    const task = bed.task(name, { transport: { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'root' }, bandwidthLimitKiBps: 32 });
    let killing: Promise<string> | null = null;
    const emit = (event: EngineEvent) => {
      if (event.kind === 'progress' && event.bytesSent > 100_000 && !killing) {
        killing = sshOk(a(), 'root', `kill $(pgrep -f '^/usr/sbin/zfs send .*tank/${name}@s1$')`);
      }
    };
    const report = await runReplicationTask(task, { nas: bed.nasFor('root'), emit });
    await killing;
    return { task, report };
  }

  it('a transfer killed mid-stream leaves a resume token; the next run resumes with zfs send -t and the data matches', async () => {
    const name = 'gap-resume';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create -o compression=off "$D" && head -c 1048576 /dev/urandom > "/$D/data.bin" && zfs snapshot "$D@s1"');
    const { task, report } = await interruptedRun(name);
    expect(report.result).toBe('FAILED');
    expect(report.error?.resumable).toBe(true);
    expect(report.error?.hint).toContain('resumes');
    expect(await propertyOf(b(), replica, 'receive_resume_token')).toMatch(/^1-/);

    const resumed = await runReplicationTask({ ...task, bandwidthLimitKiBps: null }, root());
    expect(resumed.error).toBeNull();
    expect(resumed.datasets[0]!.commands[0]).toMatch(/zfs send -t 1-/);
    expect(resumed.bytesSent).toBeGreaterThan(0);
    expect(resumed.bytesSent).toBeLessThan(1_048_576);
    expect(await propertyOf(b(), replica, 'receive_resume_token')).toBe('-');
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));
    expect(await holdsOf(b(), `${replica}@s1`)).toContain(task.id);

    // The cron cycle's next run: a small increment (one record rewritten, well under 1 MiB by its `written`) goes
    // through this computer, which costs less than the source's NAS-to-NAS login; the data still matches.
    await sshOk(a(), 'root', `echo more >> '/tank/${name}/data.bin' && zfs snapshot 'tank/${name}@s2'`);
    const logs: string[] = [];
    const small = await runReplicationTask({ ...task, bandwidthLimitKiBps: null }, { nas: bed.nasFor('root'), emit: (event) => void (event.kind === 'log' && logs.push(event.message)) });
    expect(small.error).toBeNull();
    expect(logs.join('\n')).toContain('1 of 1 incremental stream(s) are 1.0 MiB or less: they go through this computer');
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2']);
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));
  });

  it('a token whose source snapshot is gone is aborted (zfs receive -A) and the run starts over', async () => {
    const name = 'gap-resume-gone';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create -o compression=off "$D" && head -c 1048576 /dev/urandom > "/$D/data.bin" && zfs snapshot "$D@s1"');
    const { task, report } = await interruptedRun(name);
    expect(report.result).toBe('FAILED');
    expect(await propertyOf(b(), replica, 'receive_resume_token')).toMatch(/^1-/);
    await sshOk(a(), 'root', `zfs destroy 'tank/${name}@s1' && echo new >> '/tank/${name}/data.bin' && zfs snapshot 'tank/${name}@s2'`);

    const again = await runReplicationTask({ ...task, bandwidthLimitKiBps: null }, root());
    expect(again.error).toBeNull();
    expect(again.datasets[0]!.abortedResume).toContain('no longer exists');
    expect(again.datasets[0]!.commands[0]).toBe(`/usr/sbin/zfs receive -A ${replica}`);
    expect(again.datasets[0]!.plan).toMatchObject({ status: 'ready', base: null, steps: [{ kind: 'full', snapshot: 's2' }] });
    expect(await snapshotsOf(b(), replica)).toEqual(['s2']);
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));
  });
});

describe('divergence', () => {
  it('destination rolled back: not a divergence, the plan continues from the older common snapshot', async () => {
    const name = 'gap-rolledback';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1" && echo 2 >> "/$D/f" && zfs snapshot "$D@s2"');
    const task = bed.task(name);
    expect((await runReplicationTask(task, root())).error).toBeNull();
    await sshOk(a(), 'root', `echo 3 >> '/tank/${name}/f' && zfs snapshot 'tank/${name}@s3'`);
    expect((await runReplicationTask(task, root())).error).toBeNull();
    await sshOk(b(), 'root', `zfs release 'zfs-replication:${task.id}' '${replica}@s3' && zfs rollback -r '${replica}@s1'`);

    const report = await runReplicationTask(task, root());
    expect(report.error).toBeNull();
    expect(report.refusal).toBeNull();
    expect(report.datasets[0]!.plan).toEqual({ status: 'ready', base: 's1', destructive: null, newest: 's3', steps: [{ kind: 'incremental', from: 's1', to: 's3', intermediates: true }] });
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2', 's3']);
    expect(await checksum(b(), replica, 'f')).toBe(await checksum(a(), `tank/${name}`, 'f'));
  });

  it('destination written after receive: refused with the bytes; the confirmation rolls back and proceeds', async () => {
    const name = 'gap-written';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1"');
    const task = bed.task(name);
    expect((await runReplicationTask(task, root())).error).toBeNull();
    await sshOk(b(), 'root', `zfs set readonly=off '${replica}' && zfs mount '${replica}' && head -c 65536 /dev/urandom > "$(zfs get -H -o value mountpoint '${replica}')/local.bin" && zpool sync backup`);
    const written = Number(await propertyOf(b(), replica, 'written'));
    expect(written).toBeGreaterThan(65536);
    await sshOk(a(), 'root', `echo 2 >> '/tank/${name}/f' && zfs snapshot 'tank/${name}@s2'`);

    const refused = await runReplicationTask(task, root());
    expect(refused.result).toBe('REFUSED');
    const lost = `${formatBytes(written)} written to ${replica} since @s1`;
    expect(refused.refusal?.wouldLose).toEqual([lost]);
    expect(refused.refusal?.divergence).toEqual([{ dataset: replica, divergence: [{ reason: 'written-since-base', base: 's1', bytes: written }], resolution: { kind: 'rollback', to: `${replica}@s1` } }]);
    expect(refused.refusal?.destruction.operations.map((op) => [op.command, op.items.map((i) => [i.kind, i.name, i.bytes])])).toEqual([
      [`/usr/sbin/zfs rollback -r ${replica}@s1`, [['written-data', replica, written]]],
    ]);
    expect(await snapshotsOf(b(), replica)).toEqual(['s1']);

    const confirmed = await runReplicationTask(task, root(), { confirmation: refused.refusal!.confirmation });
    expect(confirmed.error).toBeNull();
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2']);
    expect(await checksum(b(), replica, 'f')).toBe(await checksum(a(), `tank/${name}`, 'f'));
    expect((await sshOk(b(), 'root', `ls "$(zfs get -H -o value mountpoint '${replica}')"`)).trim()).toBe('f');
  });

  it('destination with snapshots but none in common: refused with the list; the confirmation destroys and resends in full', async () => {
    const name = 'gap-nocommon';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1"');
    await sshOk(b(), 'root', `zfs create -p '${replica}' && zfs snapshot '${replica}@own-1' && zfs snapshot '${replica}@own-2'`);
    const task = bed.task(name);

    const refused = await runReplicationTask(task, root());
    expect(refused.result).toBe('REFUSED');
    expect(refused.refusal?.destruction.operations.map((op) => [op.command, op.items.map((i) => [i.kind, i.name])])).toEqual([
      [`/usr/sbin/zfs destroy -v -p -r ${replica}`, [['filesystem', replica], ['snapshot', `${replica}@own-1`], ['snapshot', `${replica}@own-2`]]],
    ]);
    expect(refused.refusal?.wouldLose).toHaveLength(3);
    expect(refused.refusal?.divergence).toEqual([
      { dataset: replica, divergence: [{ reason: 'no-common-snapshot', snapshots: [`${replica}@own-1`, `${replica}@own-2`] }], resolution: { kind: 'destroy-dataset', dataset: replica } },
    ]);
    expect(await snapshotsOf(b(), replica)).toEqual(['own-1', 'own-2']);

    const confirmed = await runReplicationTask(task, root(), { confirmation: refused.refusal!.confirmation });
    expect(confirmed.error).toBeNull();
    expect(confirmed.datasets[0]!.plan).toMatchObject({ status: 'ready', base: null, destructive: { kind: 'destroy-dataset' }, steps: [{ kind: 'full', snapshot: 's1' }] });
    expect(await snapshotsOf(b(), replica)).toEqual(['s1']);
  });
});

it('destination lifetime prunes expired snapshots before sending, never the held base', async () => {
  const name = 'gap-retention';
  const replica = `backup/${name}-replica/${name}`;
  await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@auto-2020-01-01_00-00" && echo 2 >> "/$D/f" && zfs snapshot "$D@auto-2020-01-02_00-00"');
  const task = bed.task(name, { selection: { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'] }, destinationLifetime: { kind: 'custom', amount: 1, unit: 'hours' } });
  const first = await runReplicationTask(task, root());
  expect(first.error).toBeNull();
  expect(first.datasets[0]!.prune).toEqual([]);
  expect(await snapshotsOf(b(), replica)).toEqual(['auto-2020-01-01_00-00', 'auto-2020-01-02_00-00']);

  await sshOk(a(), 'root', `echo 3 >> '/tank/${name}/f' && zfs snapshot 'tank/${name}@auto-2020-01-03_00-00'`);
  const second = await runReplicationTask(task, root());
  expect(second.error).toBeNull();
  // Both older snapshots expired; the held base (the last common one) stays, so the incremental still applies.
  expect(second.datasets[0]!.prune).toEqual(['auto-2020-01-01_00-00']);
  expect(second.datasets[0]!.commands[0]).toBe(`/usr/sbin/zfs destroy -v -p ${replica}@auto-2020-01-01_00-00`);
  expect(await snapshotsOf(b(), replica)).toEqual(['auto-2020-01-02_00-00', 'auto-2020-01-03_00-00']);
  expect(await holdsOf(b(), `${replica}@auto-2020-01-03_00-00`)).toContain(task.id);
});
