import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReplicationTask } from '../../electron/services/replication/replication-engine.ts';
import { doctorTask, promoteTask, repairTask, resetTask } from '../../electron/services/replication/task-maintenance.ts';
import { sshOk } from '../nas/testbed.ts';
import { a, b, checksum, freshSource, holdsOf, openReplicationBed, propertyOf, snapshotsOf, type ReplicationBed } from './support/replication-bed.ts';

// doctor / repair / reset / promote (retadm's maintenance verbs) on the VMs.

// Each test is several runs of a few ssh round trips each; under TCG with other VMs busy that can take minutes.
vi.setConfig({ testTimeout: 300_000 });

let bed: ReplicationBed;
beforeAll(async () => {
  bed = await openReplicationBed({ directUsers: ['admin'] });
});
afterAll(async () => {
  await bed?.close();
});

const root = () => ({ nas: bed.nasFor('root') });
const statusOf = (report: Awaited<ReturnType<typeof doctorTask>>) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

describe('doctor', () => {
  it('a healthy task (direct, admin with sudo): every check passes', async () => {
    const name = 'mnt-doctor-ok';
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1"');
    const task = bed.task(name, { transport: { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'admin' } });
    expect((await runReplicationTask(task, { nas: bed.nasFor('admin') })).error).toBeNull();
    const report = await doctorTask(task, { nas: bed.nasFor('admin') });
    const replica = `backup/${name}-replica/${name}`;
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(report.status).toBe('ok');
    expect(Object.keys(statusOf(report))).toEqual([
      'ssh-source',
      'ssh-destination',
      'privilege-source',
      'privilege-destination',
      'zfs-versions',
      'pool-source-tank',
      'pool-destination-backup',
      'lock',
      'ssh-source-to-destination',
      'destination-readonly',
      `base:${replica}`,
      `holds:${replica}`,
    ]);
    expect(report.checks.find((c) => c.id === 'privilege-source')?.detail).toContain('sudo -n zfs works');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('finds missing holds, a writable replica, a held lock with its owner, and a broken NAS-to-NAS login', async () => {
    const name = 'mnt-doctor-bad';
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1"');
    const task = bed.task(name);
    expect((await runReplicationTask(task, root())).error).toBeNull();
    await sshOk(b(), 'root', `zfs release 'zfs-replication:${task.id}' '${replica}@s1' && zfs set readonly=off '${replica}'`);
    const lock = `/tmp/zfs-replication-${task.id}.lock`;
    const flockPid = (await sshOk(a(), 'root', `echo 'cli on laptop (pid 42)' > ${lock}.owner; nohup flock ${lock} sleep 20 </dev/null >/dev/null 2>&1 & echo $!; sleep 1`)).trim();
    const report = await doctorTask({ ...task, transport: { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'nobody' } }, root());
    const status = statusOf(report);
    expect(status[`holds:${replica}`]).toBe('warn');
    expect(report.checks.find((c) => c.id === `holds:${replica}`)?.detail).toContain(`${replica}@s1`);
    expect(status['destination-readonly']).toBe('warn');
    expect(status['lock']).toBe('warn');
    expect(report.checks.find((c) => c.id === 'lock')?.detail).toContain('cli on laptop (pid 42)');
    expect(status['ssh-source-to-destination']).toBe('fail');
    expect(report.status).toBe('fail');
    await sshOk(a(), 'root', `kill ${flockPid}; true`);
  });
});

describe('repair', () => {
  it('after a destination rollback: finds the older common snapshot, restores holds, and applies only with the confirmation', async () => {
    const name = 'mnt-repair';
    const source = `tank/${name}`;
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1" && echo 2 >> "/$D/f" && zfs snapshot "$D@s2"');
    const task = bed.task(name);
    const tag = `zfs-replication:${task.id}`;
    expect((await runReplicationTask(task, root())).error).toBeNull();
    await sshOk(b(), 'root', `zfs release '${tag}' '${replica}@s2' && zfs rollback -r '${replica}@s1'`);
    await sshOk(a(), 'root', `echo 3 >> '/${source}/f' && zfs snapshot '${source}@s3'`);

    const proposed = await repairTask(task, root());
    expect(proposed.applied).toBe(false);
    expect(proposed.error?.code).toBe('CONFIRMATION_REQUIRED');
    expect(proposed.datasets).toMatchObject([{ source, destination: replica, base: { name: 's1', kind: 'snapshot' } }]);
    expect(proposed.actions).toEqual([
      `hold ${source}@s1 on root@nas-a`,
      `hold ${replica}@s1 on root@nas-b`,
      `release the stale hold on ${source}@s2 on root@nas-a`,
      `send ${source} -I @s1 -> @s3`,
    ]);
    expect(await snapshotsOf(b(), replica)).toEqual(['s1']);

    const applied = await repairTask(task, root(), { confirmation: proposed.confirmation });
    expect(applied.error).toBeNull();
    expect(applied.applied).toBe(true);
    expect(applied.run?.result).toBe('FINISHED');
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2', 's3']);
    expect(await holdsOf(a(), `${source}@s3`)).toContain(task.id);
    expect(await holdsOf(b(), `${replica}@s3`)).toContain(task.id);
    expect(await holdsOf(a(), `${source}@s1`)).not.toContain(task.id);
    expect(await holdsOf(a(), `${source}@s2`)).not.toContain(task.id);

    // Lost base: the source snapshot is gone but its bookmark remains: still incremental, from the bookmark.
    await sshOk(a(), 'root', `zfs bookmark '${source}@s3' '${source}#s3' && zfs release '${tag}' '${source}@s3' && zfs destroy '${source}@s3' && echo 4 >> '/${source}/f' && zfs snapshot '${source}@s4'`);
    const fromBookmark = await repairTask(task, root());
    expect(fromBookmark.datasets[0]!.base).toEqual({ name: 's3', kind: 'bookmark' });
    expect(fromBookmark.actions).toEqual([`send ${source} -i #s3 -> @s4`]);
    const done = await repairTask(task, root(), { confirmation: fromBookmark.confirmation });
    expect(done.error).toBeNull();
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2', 's3', 's4']);
    expect(await checksum(b(), replica, 'f')).toBe(await checksum(a(), source, 'f'));
    expect(await holdsOf(b(), `${replica}@s3`)).not.toContain(task.id);
    expect((await repairTask(task, root())).actions).toEqual([]);
  });
});

describe('reset', () => {
  it('removes our holds on both sides and the stale lock files, never data; refuses while a run holds the lock', async () => {
    const name = 'mnt-reset';
    const source = `tank/${name}`;
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1"');
    const task = bed.task(name);
    expect((await runReplicationTask(task, root())).error).toBeNull();
    const lock = `/tmp/zfs-replication-${task.id}.lock`;
    await sshOk(a(), 'root', `touch ${lock} && echo 'app on crashed-laptop' > ${lock}.owner`);

    const dry = await resetTask(task, root(), { dryRun: true });
    expect(dry.released).toEqual({ source: [`${source}@s1`], destination: [`${replica}@s1`] });
    expect(dry.lockFiles).toEqual([lock, `${lock}.owner`]);
    expect(await holdsOf(a(), `${source}@s1`)).toContain(task.id);

    const done = await resetTask(task, root());
    expect(done.released).toEqual(dry.released);
    expect(done.lockFiles).toEqual([lock, `${lock}.owner`]);
    expect(await holdsOf(a(), `${source}@s1`)).toBe('');
    expect(await holdsOf(b(), `${replica}@s1`)).toBe('');
    expect(await snapshotsOf(b(), replica)).toEqual(['s1']);
    expect((await sshOk(a(), 'root', `ls ${lock}* 2>/dev/null; true`)).trim()).toBe('');

    await sshOk(a(), 'root', `nohup flock ${lock} sleep 15 </dev/null >/dev/null 2>&1 & sleep 1`);
    await expect(resetTask(task, root())).rejects.toMatchObject({ code: 'BUSY' });
  });
});

describe('promote', () => {
  it('makes the replica writable, marks the relationship broken, and returns the failback plan', async () => {
    const name = 'mnt-promote';
    const source = `tank/${name}`;
    const replica = `backup/${name}-replica/${name}`;
    await freshSource(name, 'zfs create "$D" && echo 1 > "/$D/f" && zfs snapshot "$D@s1" && echo 2 >> "/$D/f" && zfs snapshot "$D@s2"');
    const task = bed.task(name);
    expect((await runReplicationTask(task, root())).error).toBeNull();
    // Taken on the source after the last replication, just before it failed: the failback would roll it back.
    await sshOk(a(), 'root', `echo 3 >> '/${source}/f' && zfs snapshot '${source}@s3'`);

    const dry = await promoteTask(task, root(), { dryRun: true });
    expect(dry.promoted).toEqual([]);
    expect(await propertyOf(b(), replica, 'readonly')).toBe('on');

    const report = await promoteTask(task, root());
    expect(report.promoted).toEqual([replica]);
    expect(report.mounted).toEqual([replica]);
    expect(await propertyOf(b(), replica, 'readonly')).toBe('off');
    expect(await propertyOf(b(), replica, 'zfs-replication:promoted')).toContain(task.id);
    await sshOk(b(), 'root', `echo failover-write > "$(zfs get -H -o value mountpoint '${replica}')/new.txt"`);
    expect(report.failback).toEqual([
      {
        from: replica,
        to: source,
        base: 's2',
        rollbackDestroys: [`${source}@s3`],
        commands: [
          `/usr/sbin/zfs snapshot '${replica}@failback-<time>'`,
          `/usr/sbin/zfs rollback -r ${source}@s2`,
          `/usr/sbin/zfs send -I ${replica}@s2 '${replica}@failback-<time>' | /usr/sbin/zfs receive -s -u ${source}`,
        ],
      },
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);

    // The broken relationship refuses to replicate over the promoted data, until reset.
    const run = await runReplicationTask(task, root());
    expect(run.result).toBe('FAILED');
    expect(run.error?.code).toBe('CONFLICT');
    expect(run.error?.message).toContain('promoted');
    const doctor = await doctorTask(task, root());
    expect(statusOf(doctor)['promoted']).toBe('fail');

    const reset = await resetTask(task, root());
    expect(reset.unmarked).toEqual([replica]);
    const after = await runReplicationTask(task, root());
    expect(after.result).toBe('REFUSED');
    expect(after.refusal?.wouldLose[0]).toContain(`written to ${replica} since @s2`);
  });
});
