import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { createCore, type Core } from '../../../../../electron/services/core.ts';
import type { DoctorReport, PromoteReport, ResetReport } from '../../../../../electron/services/replication/task-maintenance.ts';
import { dispatch, type Handlers } from '../../../../../electron/services/rpc/dispatcher.ts';
import type { TakeSnapshotsResult } from '../../../../../electron/services/snapshots/periodic-snapshots.ts';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import type { DoctorReportSchema, EventName, PromoteReportSchema, ResetReportSchema, TakeSnapshotsResultSchema } from '../../../../../shared/contract.ts';
import { decideRetention } from '../../../../../shared/retention.ts';
import type { Connection } from '../../../../../shared/schemas.ts';
import { FakeNas } from './fake-nas.ts';

// The maintenance, periodic snapshot and runTask verbs through the dispatcher every transport uses, on the real
// services (store, registry, engine, task runs) with both NAS scripted at the runner seam.

// The reports cross as schema-checked plain data: the schemas describe the services' types exactly.
expectTypeOf<z.output<typeof DoctorReportSchema>>().toEqualTypeOf<DoctorReport>();
expectTypeOf<z.output<typeof ResetReportSchema>>().toEqualTypeOf<ResetReport>();
expectTypeOf<z.output<typeof PromoteReportSchema>>().toEqualTypeOf<PromoteReport>();
expectTypeOf<z.output<typeof TakeSnapshotsResultSchema>>().toEqualTypeOf<TakeSnapshotsResult>();

let configDir: string;
let services: Core;
let source: FakeNas;
let destination: FakeNas;
let connections: { source: Connection; destination: Connection };
const events: Array<{ name: EventName; payload: unknown }> = [];
/** What the handler itself returned last, before the dispatcher checked it against the response schema. */
let returned: unknown;

beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-task-verbs-'));
  source = new FakeNas('root@src.example:22', 'tank');
  destination = new FakeNas('root@dst.example:22', 'backup');
  const store = openConfStore(configDir);
  connections = {
    source: store.saveConnection({ name: 'src', host: 'src.example', username: 'root', privilege: 'root' }),
    destination: store.saveConnection({ name: 'dst', host: 'dst.example', username: 'root', privilege: 'root' }),
  };
  services = createCore({
    store,
    configDir,
    versions: { app: 'test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
    runnerFor: (connection) => (connection.id === connections.source.id ? source : destination),
  });
  events.length = 0;
  services.bus.subscribe((name, payload) => events.push({ name, payload }));
});
afterEach(async () => {
  await services.dispose();
  rmSync(configDir, { recursive: true, force: true });
});

const spied = (): Handlers =>
  new Proxy(services.handlers, {
    get: (target, verb: keyof Handlers) => async (request: never) => (returned = await (target[verb] as unknown as (r: never) => unknown)(request)),
  });
const call = (verb: string, request: unknown): Promise<any> => dispatch(spied(), verb, request);
async function value(verb: string, request: unknown): Promise<any> {
  const result = await call(verb, request);
  if (!result.ok) throw new Error(`${verb}: ${result.error.code} ${result.error.message}`);
  // The response schema kept everything the service returned, and it is plain JSON data (no Date, no class).
  expect(result.value).toEqual(JSON.parse(JSON.stringify(returned)));
  return result.value;
}

/** tank/data@auto-YYYY-MM-DD_HH-MM (UTC) → the same name one minute later. */
function minuteAfter(full: string): string {
  const [dataset, short] = full.split('@') as [string, string];
  const [, y, mo, d, h, mi] = /^auto-(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})$/.exec(short)!.map(Number);
  const next = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi! + 1)).toISOString();
  return `${dataset}@auto-${next.slice(0, 10)}_${next.slice(11, 13)}-${next.slice(14, 16)}`;
}

/** Saves a task sending tank/data from src to backup/r on dst. */
function saveTaskOf(overrides: Record<string, unknown>): Promise<any> {
  return value('saveTask', {
    name: 'nightly',
    sourceConnectionId: connections.source.id,
    sources: [{ name: 'tank/data' }],
    destinationConnectionId: connections.destination.id,
    destinationParent: 'backup/r',
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    ...overrides,
  });
}

/** tank/data@s1 replicated to backup/r/data@s1, both held by the task, replica read-only: a healthy task. */
async function replicatedTask(overrides: Record<string, unknown> = {}): Promise<{ id: string; tag: string }> {
  const task = await saveTaskOf(overrides);
  const tag = `zfs-replication:${task.id}`;
  source.addDataset('tank');
  source.addDataset('tank/data');
  const s1 = source.addSnapshot('tank/data', 's1', { holds: [tag] });
  destination.addDataset('backup');
  destination.addDataset('backup/r');
  destination.addDataset('backup/r/data', { readonly: true });
  destination.addSnapshot('backup/r/data', 's1', { guid: s1.guid, holds: [tag] });
  return { id: task.id, tag };
}

describe('doctorTask', () => {
  it('a healthy task: every check passes, and nothing changes on either NAS', async () => {
    const task = await replicatedTask();
    const report = await value('doctorTask', { taskId: task.id });
    expect(report.checks.filter((c: { status: string }) => c.status !== 'ok')).toEqual([]);
    expect(report).toMatchObject({ taskId: task.id, status: 'ok' });
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual([
      'ssh-source',
      'ssh-destination',
      'privilege-source',
      'privilege-destination',
      'zfs-versions',
      'pool-source-tank',
      'pool-destination-backup',
      'lock',
      'destination-readonly',
      'base:backup/r/data',
      'holds:backup/r/data',
    ]);
    expect([...source.changes(), ...destination.changes()]).toEqual([]);
  });

  it('an unreachable destination fails its checks; the report still comes back with the hint', async () => {
    const task = await replicatedTask();
    destination.unreachable = true;
    const report = await value('doctorTask', { taskId: task.id });
    expect(report.status).toBe('fail');
    expect(report.checks.find((c: { id: string }) => c.id === 'ssh-destination')).toMatchObject({ status: 'fail', detail: 'root@dst.example:22 does not answer.', hint: 'Check that the NAS is on and reachable.' });
  });

  it('a held lock shows as a warning with its owner', async () => {
    const task = await replicatedTask();
    source.lock = { held: true, owner: 'cli on cron-box (pid 7) since 2026-11-21T10:00:00.000Z' };
    const report = await value('doctorTask', { taskId: task.id });
    expect(report.checks.find((c: { id: string }) => c.id === 'lock')).toMatchObject({ status: 'warn', detail: 'A run is in progress: started by cli on cron-box (pid 7) since 2026-11-21T10:00:00.000Z.' });
  });

  it('an unknown task is NOT_FOUND; a malformed id never reaches the service', async () => {
    const unknown = await call('doctorTask', { taskId: randomUUID() });
    expect(unknown.ok === false && unknown.error.code).toBe('NOT_FOUND');
    const malformed = await call('doctorTask', { taskId: 'nightly; reboot' });
    expect(malformed.ok === false && malformed.error.code).toBe('INVALID_REQUEST');
  });
});

describe('repairTask', () => {
  it('a healthy task: nothing to repair, nothing applied', async () => {
    const task = await replicatedTask();
    const report = await value('repairTask', { taskId: task.id });
    expect(report).toMatchObject({ actions: [], applied: false, run: null, error: null });
    expect([...source.changes(), ...destination.changes()]).toEqual([]);
  });

  it('a lost hold: proposed with a confirmation; applied only when exactly that confirmation comes back', async () => {
    const task = await replicatedTask();
    destination.snapshot('backup/r/data@s1')!.holds = [];
    const proposed = await value('repairTask', { taskId: task.id });
    expect(proposed.actions).toEqual(['hold backup/r/data@s1 on dst (root@dst.example:22)']);
    expect(proposed.holds.destination).toEqual({ hold: ['backup/r/data@s1'], release: [] });
    expect(proposed.datasets).toEqual([expect.objectContaining({ base: { name: 's1', kind: 'snapshot' }, abortedResume: null })]);
    expect(proposed).toMatchObject({ applied: false, error: { code: 'CONFIRMATION_REQUIRED', details: { confirmation: proposed.confirmation } } });

    const dry = await value('repairTask', { taskId: task.id, dryRun: true, confirmation: proposed.confirmation });
    expect(dry).toMatchObject({ applied: false, error: null });
    const wrong = await value('repairTask', { taskId: task.id, confirmation: 'not-the-digest' });
    expect(wrong).toMatchObject({ applied: false, error: { code: 'CONFIRMATION_REQUIRED' } });
    expect(destination.changes()).toEqual([]);

    const applied = await value('repairTask', { taskId: task.id, confirmation: proposed.confirmation });
    expect(applied).toMatchObject({ applied: true, error: null, run: null });
    expect(destination.changes()).toEqual([['/usr/sbin/zfs', 'hold', task.tag, 'backup/r/data@s1']]);
    expect(destination.snapshot('backup/r/data@s1')!.holds).toEqual([task.tag]);
  });
});

describe('resetTask', () => {
  it('dry run names the holds and lock files and changes nothing; the reset removes them; a held lock is BUSY', async () => {
    const task = await replicatedTask();
    const lockFile = `/tmp/zfs-replication-${task.id}.lock`;
    source.lockFiles = [lockFile, `${lockFile}.owner`];
    const dry = await value('resetTask', { taskId: task.id, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, released: { source: ['tank/data@s1'], destination: ['backup/r/data@s1'] }, lockFiles: [lockFile, `${lockFile}.owner`], unmarked: [] });
    expect(dry.commands).toEqual([`/usr/sbin/zfs release ${task.tag} tank/data@s1`, `/usr/sbin/zfs release ${task.tag} backup/r/data@s1`]);
    expect([...source.changes(), ...destination.changes()]).toEqual([]);
    expect(source.lockFiles).toHaveLength(2);

    const done = await value('resetTask', { taskId: task.id });
    expect(done).toMatchObject({ dryRun: false, released: dry.released, lockFiles: dry.lockFiles });
    expect(source.snapshot('tank/data@s1')!.holds).toEqual([]);
    expect(destination.snapshot('backup/r/data@s1')!.holds).toEqual([]);
    expect(source.lockFiles).toEqual([]);

    source.lock = { held: true, owner: 'app on desk (pid 3) since now' };
    const busy = await call('resetTask', { taskId: task.id });
    expect(busy.ok === false && busy.error).toMatchObject({ code: 'BUSY', message: expect.stringContaining('app on desk (pid 3) since now') });
  });
});

describe('promoteTask', () => {
  it('dry run returns the plan and the failback without changing anything; the promote makes the replica writable under the task lock', async () => {
    const task = await replicatedTask();
    const dry = await value('promoteTask', { taskId: task.id, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, promoted: [], mounted: [] });
    expect(dry.commands[0]).toMatch(/^\/usr\/sbin\/zfs set readonly=off 'zfs-replication:promoted=.* promoted .* by app' backup\/r\/data$/);
    expect(dry.failback).toEqual([
      {
        from: 'backup/r/data',
        to: 'tank/data',
        base: 's1',
        rollbackDestroys: [],
        commands: ["/usr/sbin/zfs snapshot 'backup/r/data@failback-<time>'", "/usr/sbin/zfs send -I backup/r/data@s1 'backup/r/data@failback-<time>' | /usr/sbin/zfs receive -s -u tank/data"],
      },
    ]);
    expect([...source.changes(), ...destination.changes()]).toEqual([]);

    const done = await value('promoteTask', { taskId: task.id });
    expect(done).toMatchObject({ dryRun: false, promoted: ['backup/r/data'], mounted: ['backup/r/data'] });
    const replica = destination.datasets.get('backup/r/data')!;
    expect(replica.readonly).toBe(false);
    expect(replica.promoted).toMatch(new RegExp(`^${task.id} promoted `));
    // Taken and released again: no run can be in the middle of a transfer while the replica changes hands.
    expect(source.calls.some((c) => c.argv[0] === 'sh' && c.argv[2]!.includes('flock -n 9'))).toBe(true);
    expect(source.lock.held).toBe(false);

    const doctor = await value('doctorTask', { taskId: task.id });
    expect(doctor.checks.find((c: { id: string }) => c.id === 'promoted')).toMatchObject({ status: 'fail' });
  });
});

describe('periodic snapshot tasks', () => {
  const snapshotTask = () => ({
    connectionId: connections.source.id,
    dataset: 'tank/data',
    recursive: false,
    namingSchema: 'auto-%Y-%m-%d_%H-%M',
    schedule: { kind: 'manual' },
    lifetime: { kind: 'custom', amount: 1, unit: 'days' },
  });

  it('save creates, save with the id updates in place, remove deletes (its snapshots stay)', async () => {
    const first = await value('saveSnapshotTask', snapshotTask());
    const second = await value('saveSnapshotTask', { ...snapshotTask(), dataset: 'tank/other' });
    expect(first).toMatchObject({ dataset: 'tank/data', recursive: false, exclude: [] });
    const updated = await value('saveSnapshotTask', { ...snapshotTask(), id: first.id, lifetime: { kind: 'forever' } });
    expect(updated).toMatchObject({ id: first.id, lifetime: { kind: 'forever' } });
    expect(await value('listSnapshotTasks', {})).toEqual([updated, second]);
    const refused = await call('saveSnapshotTask', { ...snapshotTask(), namingSchema: 'no-date' });
    expect(refused.ok === false && refused.error.code).toBe('INVALID_REQUEST');
    expect(await value('removeSnapshotTask', { id: first.id })).toEqual({ removed: true });
    expect(await value('removeSnapshotTask', { id: first.id })).toEqual({ removed: false });
    expect(await value('listSnapshotTasks', {})).toEqual([second]);
  });

  it('runSnapshotTask: the dry run names the snapshot and the prune and changes nothing; the run takes it, then prunes', async () => {
    source.addDataset('tank');
    source.addDataset('tank/data');
    for (const name of ['auto-2020-01-01_00-00', 'manual', 'auto-2020-01-02_00-00']) source.addSnapshot('tank/data', name);
    const task = await value('saveSnapshotTask', snapshotTask());

    const dry = await value('runSnapshotTask', { taskId: task.id, dryRun: true });
    const name = dry.taken.snapshots[0] as string;
    expect(dry.taken).toMatchObject({ snapshots: [expect.stringMatching(/^tank\/data@auto-\d{4}-\d{2}-\d{2}_\d{2}-\d{2}$/)], dryRun: true });
    // Without the new snapshot the newest schema snapshot is kept: the dry run prunes only the older one.
    expect(dry.pruned).toMatchObject({ dryRun: true, destroyed: ['tank/data@auto-2020-01-01_00-00'], reclaimBytes: 4096 });
    const decisions = dry.pruned.plan.datasets[0].decisions;
    expect(decisions.find((d: { name: string }) => d.name === 'auto-2020-01-01_00-00')).toMatchObject({
      name: 'auto-2020-01-01_00-00',
      time: Date.UTC(2020, 0, 1),
      fate: 'prune',
      reason: { kind: 'expired', on: Date.UTC(2020, 0, 2) },
      prunableAt: Date.UTC(2020, 0, 2),
    });
    expect(decisions.find((d: { name: string }) => d.name === 'manual')).toMatchObject({ fate: 'keep', reason: { kind: 'not-in-schema' }, prunableAt: null });
    expect(source.changes()).toEqual([]);

    const run = await value('runSnapshotTask', { taskId: task.id });
    // The name the dry run gave, or the next minute's when a minute began between the two calls (the schema names the
    // minute the snapshot is taken in: comparing with the dry run's alone failed whenever the minute turned).
    const taken = run.taken.snapshots[0] as string;
    expect([name, minuteAfter(name)]).toContain(taken);
    expect(run.taken.snapshots).toEqual([taken]);
    expect(run.pruned.destroyed).toEqual(['tank/data@auto-2020-01-01_00-00', 'tank/data@auto-2020-01-02_00-00']);
    expect(source.datasets.get('tank/data')!.snapshots.map((s) => s.name)).toEqual(['manual', taken.slice('tank/data@'.length)]);
    expect(events).toContainEqual({ name: 'log', payload: expect.objectContaining({ level: 'info', message: expect.stringContaining(`Periodic snapshot ${taken}; pruned`) }) });
  });

  it('pruneSnapshotTask: dry run lists, the prune destroys; a held snapshot stays; an unknown task is NOT_FOUND', async () => {
    source.addDataset('tank');
    source.addDataset('tank/data');
    source.addSnapshot('tank/data', 'auto-2020-01-01_00-00');
    source.addSnapshot('tank/data', 'auto-2020-01-02_00-00', { holds: ['zfs-replication:other-task'] });
    source.addSnapshot('tank/data', 'auto-2020-01-03_00-00');
    source.addSnapshot('tank/data', 'auto-2020-01-04_00-00');
    const task = await value('saveSnapshotTask', snapshotTask());

    const dry = await value('pruneSnapshotTask', { taskId: task.id, dryRun: true });
    expect(dry).toMatchObject({ taskId: task.id, pruned: { dryRun: true, destroyed: ['tank/data@auto-2020-01-01_00-00', 'tank/data@auto-2020-01-03_00-00'] } });
    expect(dry.pruned.commands).toEqual(['/usr/sbin/zfs destroy -n -v -p tank/data@auto-2020-01-01_00-00,auto-2020-01-03_00-00']);
    expect(source.changes()).toEqual([]);

    const done = await value('pruneSnapshotTask', { taskId: task.id });
    expect(done.pruned.destroyed).toEqual(dry.pruned.destroyed);
    expect(source.datasets.get('tank/data')!.snapshots.map((s) => s.name)).toEqual(['auto-2020-01-02_00-00', 'auto-2020-01-04_00-00']);

    const unknown = await call('pruneSnapshotTask', { taskId: randomUUID() });
    expect(unknown.ok === false && unknown.error.code).toBe('NOT_FOUND');
  });
});

describe('runTask, a no-op cron cycle at the runner seam', () => {
  const kind = (c: { argv: string[]; via?: string }) => (c.argv[0] === 'sh' ? (c.argv[2]!.includes('flock -n 9') ? 'lock' : c.argv[2]!.includes('uname -s') ? 'probe' : 'sh') : `zfs ${c.argv[1]}`);

  it("lists the source inside the lock's shell, under the lock: one channel on the source, one listing per side", async () => {
    const task = await replicatedTask();
    const report = await value('runTask', { taskId: task.id });
    expect(report).toMatchObject({ result: 'FINISHED', error: null });
    expect(report.datasets.map((d: { plan: { status: string } }) => d.plan.status)).toEqual(['up-to-date']);
    const sourceCalls = source.calls.filter((c) => kind(c) !== 'probe');
    expect(sourceCalls.map((c) => [kind(c), c.via ?? null])).toEqual([
      ['lock', null],
      ['zfs list', 'the task lock'],
    ]);
    // The very listing the planner would have run itself (the replication listing of the source root).
    expect(sourceCalls[1]!.argv).toEqual(['/usr/sbin/zfs', 'list', '-H', '-p', '-t', 'all', '-o', expect.stringMatching(/^name,type,guid,createtxg,/), '-s', 'createtxg', '-r', 'tank/data']);
    expect(destination.calls.filter((c) => kind(c) !== 'probe').map(kind)).toEqual(['zfs list']);
    expect(source.lock.held).toBe(false);
  });

  it('a source listing that fails inside the lock fails the run as it did on its own channel', async () => {
    const task = await replicatedTask();
    source.datasets.delete('tank/data');
    const report = await value('runTask', { taskId: task.id });
    expect(report.result).toBe('FAILED');
    expect(report.error).toMatchObject({ code: 'DATASET_NOT_FOUND', message: 'Source dataset tank/data does not exist on src (root@src.example:22).' });
    expect(source.calls.filter((c) => c.via).map(kind)).toEqual(['zfs list']);
    expect(source.lock.held).toBe(false);
  });

  it('a dry run takes no lock and lists the source on its own', async () => {
    const task = await replicatedTask();
    await value('runTask', { taskId: task.id, dryRun: true });
    expect(source.calls.filter((c) => kind(c) !== 'probe').map((c) => [kind(c), c.via ?? null])).toEqual([['zfs list', null]]);
  });
});

describe('runTask with destinationKey', () => {
  const key = 'c0ffee'.repeat(10) + 'beef';

  async function encryptedTask(): Promise<{ id: string }> {
    const task = await replicatedTask({ encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex' } });
    // The replicas live under an encryption root made with the task key; locked, as after a reboot.
    Object.assign(destination.datasets.get('backup/r')!, { encryption: 'aes-256-gcm', encryptionRoot: 'backup/r', keyStatus: 'unavailable', key });
    Object.assign(destination.datasets.get('backup/r/data')!, { encryption: 'aes-256-gcm', encryptionRoot: 'backup/r', keyStatus: 'unavailable' });
    return task;
  }

  it('without a stored or given key the run fails asking for it, before anything changes', async () => {
    const task = await encryptedTask();
    const report = await value('runTask', { taskId: task.id });
    expect(report).toMatchObject({ result: 'FAILED', error: { code: 'INVALID_REQUEST', details: { needs: 'destinationKey' } } });
    expect(destination.changes()).toEqual([]);
    const empty = await call('runTask', { taskId: task.id, destinationKey: '' });
    expect(empty.ok === false && empty.error.code).toBe('INVALID_REQUEST');
  });

  it('reaches the engine: zfs load-key gets it on stdin; it is in no command, report, store, history, log or event', async () => {
    const task = await encryptedTask();
    const report = await value('runTask', { taskId: task.id, destinationKey: key });
    expect(report).toMatchObject({ result: 'FINISHED', error: null });
    expect(report.datasets).toEqual([expect.objectContaining({ destination: 'backup/r/data', abortedResume: null, plan: expect.objectContaining({ status: 'up-to-date' }) })]);
    const loadKey = destination.calls.filter((c) => c.argv[1] === 'load-key');
    expect(loadKey).toEqual([{ argv: ['/usr/sbin/zfs', 'load-key', '-L', 'prompt', 'backup/r'], stdin: `${key}\n` }]);
    expect(destination.datasets.get('backup/r/data')!.keyStatus).toBe('available');

    const runs = await value('listRuns', { taskId: task.id });
    expect(runs).toEqual([expect.objectContaining({ result: 'FINISHED' })]);
    const logFile = readFileSync(path.join(configDir, 'logs', `${task.id}.log`), 'utf8');
    expect(logFile).toContain('Result: FINISHED.');
    const everywhere = {
      argv: [...source.calls, ...destination.calls].map((c) => c.argv),
      report,
      store: readFileSync(services.store.path, 'utf8'),
      runs,
      logFile,
      events,
    };
    expect(JSON.stringify(everywhere)).not.toContain(key);
    expect(JSON.stringify(everywhere)).not.toContain(key.slice(0, 16));
  });

  it('a stored key is kept in the secrets file, never config.json, and reaches the engine from there', async () => {
    const stored = await replicatedTask({ encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex', key } });
    Object.assign(destination.datasets.get('backup/r')!, { encryption: 'aes-256-gcm', encryptionRoot: 'backup/r', keyStatus: 'unavailable', key });
    Object.assign(destination.datasets.get('backup/r/data')!, { encryption: 'aes-256-gcm', encryptionRoot: 'backup/r', keyStatus: 'unavailable' });
    expect(readFileSync(services.store.path, 'utf8')).not.toContain(key);
    expect(readFileSync(services.store.secrets.path, 'utf8')).toContain(key);
    const report = await value('runTask', { taskId: stored.id });
    expect(report).toMatchObject({ result: 'FINISHED', error: null });
    expect(destination.calls.filter((c) => c.argv[1] === 'load-key')).toEqual([{ argv: ['/usr/sbin/zfs', 'load-key', '-L', 'prompt', 'backup/r'], stdin: `${key}\n` }]);
    expect(readFileSync(path.join(configDir, 'history', `${stored.id}.jsonl`), 'utf8')).not.toContain(key);
  });

  it('a wrong key is refused by ZFS and named as such', async () => {
    const task = await encryptedTask();
    const report = await value('runTask', { taskId: task.id, destinationKey: 'ab'.repeat(32) });
    expect(report).toMatchObject({ result: 'FAILED', error: { code: 'INVALID_REQUEST', message: "ZFS refused the task's key for backup/r on dst (root@dst.example:22)." } });
  });
});

describe('reviewReplicationTask', () => {
  const names = ['10', '11', '12', '13', '14'].map((h) => `auto-2026-12-01_${h}-00`);

  /** Source with five hourly snapshots, the first three replicated; the task's hold on the newest replicated one. */
  async function schemaTask(destinationLifetime: Record<string, unknown>) {
    const task = await saveTaskOf({ name: 'hourly', selection: { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'] }, destinationLifetime });
    const tag = `zfs-replication:${task.id}`;
    source.addDataset('tank');
    source.addDataset('tank/data');
    destination.addDataset('backup');
    destination.addDataset('backup/r');
    destination.addDataset('backup/r/data', { readonly: true });
    names.forEach((name, i) => {
      const s = source.addSnapshot('tank/data', name, i === 2 ? { holds: [tag] } : {});
      if (i <= 2) destination.addSnapshot('backup/r/data', name, { guid: s.guid, ...(i === 2 ? { holds: [tag] } : {}) });
    });
    return task;
  }

  it('shows both sides, what the next run sends and what it prunes on the destination, and changes nothing', async () => {
    const task = await schemaTask({ kind: 'custom', amount: 1, unit: 'hours' });
    const review = await value('reviewReplicationTask', { taskId: task.id });
    expect(review.datasets).toHaveLength(1);
    const [d] = review.datasets;
    expect(d.plan).toMatchObject({ status: 'ready', base: names[2] });
    // -I from the base: both snapshots after it.
    expect(d.sends).toEqual([names[3], names[4]]);
    // A day and more old: the lifetime of an hour has ended for the two older replicas; the common base stays.
    expect(d.prunes).toEqual([names[0], names[1]]);
    const reasons = (side: { decisions: Array<{ name: string; fate: string; reason: { kind: string } }> }) => side.decisions.map((x) => `${x.name} ${x.fate} ${x.reason.kind}`);
    expect(reasons(d.destination)).toEqual([`${names[0]} prune expired`, `${names[1]} prune expired`, `${names[2]} keep common-base`]);
    // No periodic task prunes the source: kept, the base and what the next run sends said so.
    expect(reasons(d.source)).toEqual([`${names[0]} keep forever`, `${names[1]} keep forever`, `${names[2]} keep common-base`, `${names[3]} keep not-yet-replicated`, `${names[4]} keep not-yet-replicated`]);
    expect(d.source.prunedBy).toBe('No periodic snapshot task prunes tank/data: every snapshot stays.');
    expect(d.destination.prunedBy).toBe('This task prunes the destination: kept 1 hour.');
    // The request the run decides on comes with it: decided again (the review's inline edit), the same fates; under
    // another policy, others.
    expect(d.source.request).toBeNull();
    expect(decideRetention(d.destination.request).map((x) => x.fate)).toEqual(d.destination.decisions.map((x: { fate: string }) => x.fate));
    expect(decideRetention({ ...d.destination.request, policy: { kind: 'forever' } }).map((x) => x.fate)).toEqual(['keep', 'keep', 'keep']);
    // Every mark has a time on the shared axis (from the names here).
    expect(d.source.decisions.every((x: { time: number | null }) => x.time !== null)).toBe(true);
    expect([...source.changes(), ...destination.changes()]).toEqual([]);
  });

  it("the source as its periodic snapshot task prunes it, with this task's guards; a destination not there yet is sent in full", async () => {
    const task = await schemaTask({ kind: 'forever' });
    await value('saveSnapshotTask', { connectionId: connections.source.id, dataset: 'tank/data', recursive: false, exclude: [], namingSchema: 'auto-%Y-%m-%d_%H-%M', schedule: { kind: 'manual' }, lifetime: { kind: 'grid', last: 1 } });
    let review = await value('reviewReplicationTask', { taskId: task.id });
    const reasons = (side: { decisions: Array<{ name: string; fate: string; reason: { kind: string } }> }) => side.decisions.map((x) => `${x.name} ${x.fate} ${x.reason.kind}`);
    expect(reasons(review.datasets[0].source)).toEqual([`${names[0]} prune outside-grid`, `${names[1]} prune outside-grid`, `${names[2]} keep common-base`, `${names[3]} keep not-yet-replicated`, `${names[4]} keep not-yet-replicated`]);
    // The guard decides; the policy alone keeps the newest by its rule.
    expect(review.datasets[0].source.decisions[4].policyReason).toEqual({ kind: 'rule', rule: 'last', n: 1 });
    expect(review.datasets[0].source.prunedBy).toMatch(/^The periodic snapshot task of tank\/data \(auto-%Y-%m-%d_%H-%M\) prunes the source: keep 1 last\.$/);
    expect(review.datasets[0].prunes).toEqual([]);
    expect(review.datasets[0].destination.prunedBy).toBe('This task keeps every snapshot on the destination (kept forever).');

    destination.datasets.delete('backup/r/data');
    review = await value('reviewReplicationTask', { taskId: task.id });
    expect(review.datasets[0].plan).toMatchObject({ status: 'ready', base: null });
    expect(review.datasets[0].sends).toEqual(names);
    expect(review.datasets[0].destination).toMatchObject({ exists: false, decisions: [], prunedBy: 'Not on the destination yet: the next run sends tank/data in full.' });
  });
});
