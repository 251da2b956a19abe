import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/services/core.ts';
import { dispatch } from '../../electron/services/rpc/dispatcher.ts';
import { openConfStore } from '../../electron/services/store/open-conf-store.ts';
import type { EventName } from '../../shared/contract.ts';
import { sshOk } from '../nas/testbed.ts';
import { holdsOf, propertyOf, snapshotsOf } from './support/replication-bed.ts';
import { nasVm } from './support/zfs-hosts.ts';

// The contract's NAS verbs end to end, as the renderer calls them (through the dispatcher every transport uses),
// against the VMs: first contact, fingerprint confirm, key install by password, probing, listing, a task run.
let configDir: string;
let services: Core;
const events: Array<{ name: EventName; payload: any }> = [];
const call = async (verb: string, request: unknown): Promise<any> => dispatch(services.handlers, verb, request);
const value = async (verb: string, request: unknown): Promise<any> => {
  const result = await call(verb, request);
  if (!result.ok) throw new Error(`${verb}: ${result.error.code} ${result.error.message}`);
  return result.value;
};

beforeAll(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-contract-it-'));
  services = createCore({
    store: openConfStore(configDir),
    configDir,
    versions: { app: 'test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  });
  services.bus.subscribe((name, payload) => events.push({ name, payload }));
});
afterAll(async () => {
  await services.dispose();
  rmSync(configDir, { recursive: true, force: true });
});

describe('contract verbs on the VMs', () => {
  let a: any;
  let b: any;
  let task: any;

  it('first contact: an unconfirmed host key blocks with its fingerprint; confirming pins it', async () => {
    const vm = nasVm('nas-a');
    a = await value('saveConnection', { name: 'nas-a', host: vm.host, port: vm.port, username: 'admin', privilege: 'sudo' });
    // Before the guided setup the app has no key: the error says to run it.
    const noKey = await call('testConnection', { connectionId: a.id });
    expect(noKey.ok === false && noKey.error.code).toBe('AUTH_FAILED');
    expect(noKey.error.hint).toContain('guided key setup');
    // The password login refuses an unconfirmed host key and shows its fingerprint.
    const blocked = await call('installAppKey', { connectionId: a.id, password: 'zrd-admin' });
    expect(blocked.ok === false && blocked.error.code).toBe('HOST_KEY_UNCONFIRMED');
    const key = await value('probeHostKey', { connectionId: a.id });
    expect(key.sha256).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(blocked.error.details).toMatchObject({ via: 'app', connectionId: a.id, presented: { sha256: key.sha256 } });
    const pinned = await value('confirmHostKey', { connectionId: a.id, sha256: key.sha256 });
    expect(pinned.hostKey).toMatchObject({ type: key.type, sha256: key.sha256 });
  });

  it("a wrong password is AUTH_FAILED; the right one installs the app's key, step by step", async () => {
    const wrong = await call('installAppKey', { connectionId: a.id, password: 'not-it' });
    expect(wrong.ok === false && wrong.error.code).toBe('AUTH_FAILED');
    const installed = await value('installAppKey', { connectionId: a.id, password: 'zrd-admin' });
    expect(installed.keyLoginMs).toBeGreaterThan(0);
    const steps = events.filter((e) => e.name === 'keyExchangeStep' && e.payload.status === 'done').map((e) => e.payload.step);
    expect(steps).toEqual(expect.arrayContaining(['password-login', 'install-key', 'verify-key-login']));
    expect(JSON.stringify(events)).not.toContain('zrd-admin');
  });

  it('testConnection, pools, datasets and snapshots through the app key with sudo', async () => {
    const probe = await value('testConnection', { connectionId: a.id });
    expect(probe.zfsVersion).toMatch(/^zfs-2\.3/);
    expect(probe.os).toBe('Linux');
    const pools = await value('listPools', { connectionId: a.id });
    expect(pools).toEqual([expect.objectContaining({ name: 'tank', health: 'ONLINE' })]);
    await sshOk(nasVm('nas-a'), 'root', "zfs destroy -r tank/contract 2>/dev/null; zfs create tank/contract && zfs snapshot tank/contract@one");
    const datasets = await value('listDatasets', { connectionId: a.id, root: 'tank/contract' });
    expect(datasets.map((d: { name: string }) => d.name)).toEqual(['tank/contract']);
    const snapshots = await value('listSnapshots', { connectionId: a.id, dataset: 'tank/contract' });
    expect(snapshots).toEqual([expect.objectContaining({ name: 'tank/contract@one', type: 'snapshot' })]);
    // Refused at the contract's boundary, by field, before any command (issue 11 item 7).
    const refused = await call('listSnapshots', { connectionId: a.id, dataset: 'tank/x;reboot' });
    expect(refused.ok === false && refused.error.code).toBe('INVALID_REQUEST');
    expect(refused.ok === false && JSON.stringify(refused.error.details)).toContain('dataset');
  });

  it('a task saved through the contract runs (dry run, then for real) with progress and history', async () => {
    const vm = nasVm('nas-b');
    b = await value('saveConnection', { name: 'nas-b', host: vm.host, port: vm.port, username: 'root', auth: { kind: 'key-file', keyPath: vm.keyPath } });
    await value('confirmHostKey', { connectionId: b.id, sha256: (await value('probeHostKey', { connectionId: b.id })).sha256 });
    await sshOk(vm, 'root', 'zfs destroy -r backup/contract 2>/dev/null; true');
    task = await value('saveTask', {
      name: 'contract',
      sourceConnectionId: a.id,
      sources: [{ name: 'tank/contract' }],
      destinationConnectionId: b.id,
      destinationParent: 'backup/contract',
      transport: { kind: 'relay' },
      selection: { kind: 'all' },
    });
    const dry = await value('runTask', { taskId: task.id, dryRun: true });
    expect(dry.result).toBe('DRY_RUN');
    expect(dry.datasets[0].plan.status).toBe('ready');
    const report = await value('runTask', { taskId: task.id });
    expect(report.result).toBe('FINISHED');
    expect(report.datasets[0].abortedResume).toBeNull();
    const runs = await value('listRuns', { taskId: task.id });
    expect(runs.map((r: { result: string }) => r.result)).toEqual(['FINISHED']);
    const listed = await value('listTasks', {});
    expect(listed[0]).toMatchObject({ state: 'FINISHED', lastRun: { result: 'FINISHED' } });
    expect(events.some((e) => e.name === 'status' && e.payload.taskId === task.id && e.payload.state === 'FINISHED')).toBe(true);
    const allow = await value('zfsAllowCommands', { taskId: task.id });
    expect(allow.source).toContain('zfs allow -u admin');
    expect(allow.source).toContain('send');
  });

  it('doctor, reset (dry run), repair and promote (dry run) of that task', async () => {
    const replica = 'backup/contract/contract';
    const vmB = nasVm('nas-b');
    const doctor = await value('doctorTask', { taskId: task.id });
    expect(doctor.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
    expect(doctor.checks.find((c: { id: string }) => c.id === 'privilege-source').detail).toContain('sudo -n zfs works');
    expect(doctor.checks.find((c: { id: string }) => c.id === 'lock')).toMatchObject({ status: 'ok', detail: 'No run in progress.' });
    expect(doctor.checks.find((c: { id: string }) => c.id === `holds:${replica}`)).toMatchObject({ status: 'ok' });

    const reset = await value('resetTask', { taskId: task.id, dryRun: true });
    expect(reset).toMatchObject({ dryRun: true, released: { source: ['tank/contract@one'], destination: [`${replica}@one`] }, unmarked: [] });
    expect(await holdsOf(nasVm('nas-a'), 'tank/contract@one')).toContain(task.id);
    expect(await holdsOf(vmB, `${replica}@one`)).toContain(task.id);

    const healthy = await value('repairTask', { taskId: task.id });
    expect(healthy).toMatchObject({ actions: [], applied: false, run: null, error: null });
    // A hold lost on the destination: proposed, and applied only with the confirmation of exactly that list.
    await sshOk(vmB, 'root', `zfs release 'zfs-replication:${task.id}' '${replica}@one'`);
    const proposed = await value('repairTask', { taskId: task.id });
    expect(proposed.actions).toEqual([`hold ${replica}@one on nas-b (root@${vmB.host}:${vmB.port})`]);
    expect(proposed).toMatchObject({ applied: false, error: { code: 'CONFIRMATION_REQUIRED' } });
    expect(await holdsOf(vmB, `${replica}@one`)).not.toContain(task.id);
    const applied = await value('repairTask', { taskId: task.id, confirmation: proposed.confirmation });
    expect(applied).toMatchObject({ applied: true, error: null });
    expect(await holdsOf(vmB, `${replica}@one`)).toContain(task.id);

    const promote = await value('promoteTask', { taskId: task.id, dryRun: true });
    expect(promote).toMatchObject({ dryRun: true, promoted: [], mounted: [] });
    expect(promote.commands[0]).toContain(`readonly=off`);
    expect(promote.failback).toEqual([expect.objectContaining({ from: replica, to: 'tank/contract', base: 'one', rollbackDestroys: [] })]);
    expect(await propertyOf(vmB, replica, 'readonly')).toBe('on');

    const unknown = await call('doctorTask', { taskId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.ok === false && unknown.error.code).toBe('NOT_FOUND');
  });

  it('a periodic snapshot task saved, pruned (dry run), run and removed', async () => {
    const vmA = nasVm('nas-a');
    await sshOk(vmA, 'root', 'zfs snapshot tank/contract@auto-2020-01-01_00-00 && zfs snapshot tank/contract@auto-2020-01-02_00-00');
    const saved = await value('saveSnapshotTask', {
      connectionId: a.id,
      dataset: 'tank/contract',
      recursive: false,
      namingSchema: 'auto-%Y-%m-%d_%H-%M',
      schedule: { kind: 'manual' },
      lifetime: { kind: 'custom', amount: 1, unit: 'days' },
    });
    expect(await value('listSnapshotTasks', {})).toEqual([saved]);

    // A replication task sends tank/contract and has not sent these yet: the prune keeps them for it, and says so.
    const guarded = await value('pruneSnapshotTask', { taskId: saved.id, dryRun: true });
    expect(guarded.pruned).toMatchObject({ dryRun: true, destroyed: [] });
    const older = guarded.pruned.plan.datasets[0].decisions.find((d: { name: string }) => d.name === 'auto-2020-01-01_00-00' || d.name.endsWith('@auto-2020-01-01_00-00'));
    expect(older).toMatchObject({ fate: 'keep', reason: { kind: 'not-yet-replicated', taskIds: [task.id] }, policyReason: { kind: 'expired' } });
    // Without that task (deleted here: nothing on the NAS changes), the policy alone decides.
    expect(await value('removeTask', { id: task.id })).toEqual({ removed: true });

    // The newest schema snapshot always stays: the dry run prunes only the older one, and destroys nothing.
    const dry = await value('pruneSnapshotTask', { taskId: saved.id, dryRun: true });
    expect(dry.pruned).toMatchObject({ dryRun: true, destroyed: ['tank/contract@auto-2020-01-01_00-00'] });
    expect(await snapshotsOf(vmA, 'tank/contract')).toEqual(['one', 'auto-2020-01-01_00-00', 'auto-2020-01-02_00-00']);

    const run = await value('runSnapshotTask', { taskId: saved.id });
    const taken = run.taken.snapshots[0] as string;
    expect(taken).toMatch(/^tank\/contract@auto-\d{4}-\d{2}-\d{2}_\d{2}-\d{2}$/);
    expect(run.pruned.destroyed).toEqual(['tank/contract@auto-2020-01-01_00-00', 'tank/contract@auto-2020-01-02_00-00']);
    expect(await snapshotsOf(vmA, 'tank/contract')).toEqual(['one', taken.slice('tank/contract@'.length)]);

    expect(await value('removeSnapshotTask', { id: saved.id })).toEqual({ removed: true });
    expect(await value('listSnapshotTasks', {})).toEqual([]);
  });

  it('runTask with destinationKey: an encrypt-on-destination task that does not store its key; the key is kept nowhere', async () => {
    const vmB = nasVm('nas-b');
    await sshOk(vmB, 'root', 'zfs destroy -r backup/contract-enc 2>/dev/null; true');
    const encrypted = await value('saveTask', {
      name: 'contract-enc',
      sourceConnectionId: a.id,
      sources: [{ name: 'tank/contract' }],
      destinationConnectionId: b.id,
      destinationParent: 'backup/contract-enc',
      transport: { kind: 'relay' },
      selection: { kind: 'all' },
      encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex' },
    });
    const key = randomBytes(32).toString('hex');
    const missing = await value('runTask', { taskId: encrypted.id });
    expect(missing).toMatchObject({ result: 'FAILED', error: { code: 'INVALID_REQUEST', details: { needs: 'destinationKey' } } });

    const report = await value('runTask', { taskId: encrypted.id, destinationKey: key });
    expect(report).toMatchObject({ result: 'FINISHED', error: null });
    expect(await propertyOf(vmB, 'backup/contract-enc/contract', 'encryptionroot')).toBe('backup/contract-enc');
    expect(await propertyOf(vmB, 'backup/contract-enc', 'keyformat')).toBe('hex');

    const kept = {
      store: readFileSync(services.store.path, 'utf8'),
      runs: await value('listRuns', { taskId: encrypted.id }),
      log: readFileSync(path.join(configDir, 'logs', `${encrypted.id}.log`), 'utf8'),
      events,
      report,
    };
    expect(kept.runs.map((r: { result: string }) => r.result)).toEqual(['FAILED', 'FINISHED']);
    expect(JSON.stringify(kept)).not.toContain(key);
  });
});
