import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../electron/services/app-services.ts';
import { dispatch } from '../../electron/services/rpc/dispatcher.ts';
import { openConfStore } from '../../electron/services/store/open-conf-store.ts';
import type { EventName } from '../../shared/contract.ts';
import { sshOk } from '../nas/testbed.ts';
import { nasVm } from './support/zfs-hosts.ts';

// The contract's NAS verbs end to end, as the renderer calls them (through the dispatcher every transport uses),
// against the VMs: first contact, fingerprint confirm, key install by password, probing, listing, a task run.
let configDir: string;
let services: AppServices;
const events: Array<{ name: EventName; payload: any }> = [];
const call = async (verb: string, request: unknown): Promise<any> => dispatch(services.handlers, verb, request);
const value = async (verb: string, request: unknown): Promise<any> => {
  const result = await call(verb, request);
  if (!result.ok) throw new Error(`${verb}: ${result.error.code} ${result.error.message}`);
  return result.value;
};

beforeAll(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-contract-it-'));
  services = createAppServices({
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
    expect(blocked.error.details.sha256).toBe(key.sha256);
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
    const refused = await call('listSnapshots', { connectionId: a.id, dataset: 'tank/x;reboot' });
    expect(refused.ok === false && refused.error.code).toBe('INVALID_NAME');
  });

  it('a task saved through the contract runs (dry run, then for real) with progress and history', async () => {
    const vm = nasVm('nas-b');
    b = await value('saveConnection', { name: 'nas-b', host: vm.host, port: vm.port, username: 'root', auth: { kind: 'key-file', keyPath: vm.keyPath } });
    await value('confirmHostKey', { connectionId: b.id, sha256: (await value('probeHostKey', { connectionId: b.id })).sha256 });
    await sshOk(vm, 'root', 'zfs destroy -r backup/contract 2>/dev/null; true');
    const task = await value('saveTask', {
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
    const runs = await value('listRuns', { taskId: task.id });
    expect(runs.map((r: { result: string }) => r.result)).toEqual(['FINISHED']);
    const listed = await value('listTasks', {});
    expect(listed[0]).toMatchObject({ state: 'FINISHED', lastRun: { result: 'FINISHED' } });
    expect(events.some((e) => e.name === 'status' && e.payload.taskId === task.id && e.payload.state === 'FINISHED')).toBe(true);
    const allow = await value('zfsAllowCommands', { taskId: task.id });
    expect(allow.source).toContain('zfs allow -u admin');
    expect(allow.source).toContain('send');
  });
});
