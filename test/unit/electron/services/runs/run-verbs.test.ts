import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../../../electron/services/core.ts';
import type { EventClient } from '../../../../../electron/services/events/event-hub.ts';
import type { CommandRunner, RunOptions } from '../../../../../electron/services/ssh/command-runner.ts';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import type { EventName } from '../../../../../shared/contract.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import type { Connection } from '../../../../../shared/schemas.ts';
import { FakeNas } from '../tasks/fake-nas.ts';

// Runs as objects through the dispatcher, on the real core (registry, task runs, event hub, task log) with both
// NAS scripted at the runner seam. A gate holds the run in the middle (after the task lock, at the tool check) so
// the test sees it running.

/** Holds matching commands until opened; a cancelled run's command fails as the SSH runner's would. */
class Gate {
  #open = true;
  #waiting: Array<() => void> = [];
  reached = 0;
  close(): void {
    this.#open = false;
  }
  open(): void {
    this.#open = true;
    for (const resume of this.#waiting.splice(0)) resume();
  }
  async pass(signal: AbortSignal | undefined): Promise<void> {
    this.reached++;
    if (this.#open) return;
    await new Promise<void>((resolve, reject) => {
      this.#waiting.push(resolve);
      signal?.addEventListener('abort', () => reject(new AppFailure('CANCELLED', 'The command was cancelled.')), { once: true });
    });
  }
}

function gated(nas: FakeNas, gate: Gate, when: (argv: readonly string[]) => boolean): CommandRunner {
  return {
    label: nas.label,
    run: async (argv: readonly string[], options: RunOptions = {}) => {
      if (when(argv)) await gate.pass(options.signal);
      return nas.run(argv, options);
    },
  };
}

let configDir: string;
let core: Core;
let source: FakeNas;
let destination: FakeNas;
let gate: Gate;
let connections: { source: Connection; destination: Connection };
const inbox = () => {
  const got: Array<{ name: EventName; payload: any }> = [];
  const client = core.connectClient((name, payload) => got.push({ name, payload }));
  return { got, client, names: () => got.map((e) => e.name) };
};
const call = (verb: string, request: unknown, client: EventClient | null = null): Promise<any> => core.call(verb, request, { client });
async function value(verb: string, request: unknown, client: EventClient | null = null): Promise<any> {
  const result = await call(verb, request, client);
  if (!result.ok) throw new Error(`${verb}: ${result.error.code} ${result.error.message}`);
  return result.value;
}
const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-run-verbs-'));
  source = new FakeNas('root@src.example:22', 'tank');
  destination = new FakeNas('root@dst.example:22', 'backup');
  gate = new Gate();
  const store = openConfStore(configDir);
  connections = {
    source: store.saveConnection({ name: 'src', host: 'src.example', username: 'root', privilege: 'root' }),
    destination: store.saveConnection({ name: 'dst', host: 'dst.example', username: 'root', privilege: 'root' }),
  };
  // The source's listing runs once the lock is held: the run is "in the middle" there.
  const atListing = (argv: readonly string[]) => argv[0]!.endsWith('zfs') && argv[1] === 'list';
  const sourceRunner = gated(source, gate, atListing);
  core = createCore({
    store,
    configDir,
    by: 'app',
    versions: { app: 'test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
    runnerFor: (connection) => (connection.id === connections.source.id ? sourceRunner : destination),
  });
});
afterEach(async () => {
  gate.open();
  await core.dispose();
  rmSync(configDir, { recursive: true, force: true });
});

const taskInput = () => ({
  name: 'nightly',
  sourceConnectionId: connections.source.id,
  sources: [{ name: 'tank/data' }],
  destinationConnectionId: connections.destination.id,
  destinationParent: 'backup/r',
  transport: { kind: 'relay' },
  selection: { kind: 'all' },
});

/** tank/data@s1 replicated to backup/r/data@s1, held on both sides: every run is "up to date". */
async function replicatedTask(): Promise<{ id: string }> {
  const task = await value('saveTask', taskInput());
  const tag = `zfs-replication:${task.id}`;
  source.addDataset('tank');
  source.addDataset('tank/data');
  const s1 = source.addSnapshot('tank/data', 's1', { holds: [tag] });
  destination.addDataset('backup');
  destination.addDataset('backup/r');
  destination.addDataset('backup/r/data', { readonly: true });
  destination.addSnapshot('backup/r/data', 's1', { guid: s1.guid, holds: [tag] });
  return task;
}

describe('runs as objects', () => {
  it('startRun answers at once with the run id; its events reach the subscribed window only; the log has each line while it runs', async () => {
    const task = await replicatedTask();
    const watcher = inbox();
    const other = inbox();
    gate.close();
    const run = await value('startRun', { kind: 'replication', taskId: task.id }, watcher.client);
    expect(run).toMatchObject({ runId: expect.any(String), kind: 'replication', taskId: task.id, taskName: 'nightly', state: 'running', by: 'app' });
    await until(() => gate.reached > 0 && source.lock.held);

    // In the middle of the run: state everywhere says so, and the log file already has the run's first lines.
    expect(await value('getRun', { runId: run.runId })).toMatchObject({ state: 'running' });
    expect((await value('listTasks', {}))[0]).toMatchObject({ state: 'RUNNING', activeRun: { runId: run.runId } });
    const logSoFar = readFileSync(path.join(configDir, 'logs', `${task.id}.log`), 'utf8');
    expect(logSoFar).toContain(`Run of "nightly" started by app (run ${run.runId}).`);
    expect(logSoFar).not.toContain('Result:');
    const busy = await call('startRun', { kind: 'replication', taskId: task.id });
    expect(busy.ok === false && busy.error).toMatchObject({ code: 'BUSY', message: expect.stringContaining(run.runId) });

    gate.open();
    await until(() => watcher.names().includes('runFinished'));
    const runEvents = watcher.got.filter((e) => e.name.startsWith('run'));
    expect(runEvents[0]).toMatchObject({ name: 'runStarted', payload: { run: { runId: run.runId } } });
    expect(runEvents.every((e) => (e.payload.run?.runId ?? e.payload.runId) === run.runId)).toBe(true);
    expect(watcher.got).toContainEqual({ name: 'runStep', payload: expect.objectContaining({ runId: run.runId, dataset: 'tank/data', destination: 'backup/r/data', step: 'planned', detail: 'up to date' }) });
    expect(watcher.got).toContainEqual({ name: 'runLog', payload: expect.objectContaining({ runId: run.runId, message: 'Result: FINISHED.' }) });
    expect(watcher.got.find((e) => e.name === 'runFinished')).toMatchObject({ payload: { run: { state: 'finished' }, result: { kind: 'replication', report: { result: 'FINISHED' } } } });
    // The other window saw the task's state change, none of the run's own events.
    expect(other.names().filter((n) => n.startsWith('run'))).toEqual([]);
    await until(() => other.got.filter((e) => e.name === 'status').length === 2);
    expect(other.got.filter((e) => e.name === 'status').map((e) => [e.payload.state, e.payload.runId])).toEqual([
      ['RUNNING', run.runId],
      ['FINISHED', run.runId],
    ]);
    expect(readFileSync(path.join(configDir, 'logs', `${task.id}.log`), 'utf8')).toContain('Result: FINISHED.');
  });

  it('cancelRun stops the run (cancelled, the lock released); starting again runs to the end', async () => {
    const task = await replicatedTask();
    const dashboard = inbox();
    await value('subscribeRuns', {}, dashboard.client);
    gate.close();
    const first = await value('startRun', { kind: 'replication', taskId: task.id, subscribe: false });
    await until(() => gate.reached > 0 && source.lock.held);
    expect(source.lock.held).toBe(true);
    expect(await value('cancelRun', { runId: first.runId })).toEqual({ cancelled: true });
    await until(() => dashboard.names().includes('runFinished'));
    expect(dashboard.got.find((e) => e.name === 'runFinished')!.payload.run).toMatchObject({ runId: first.runId, state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(await value('cancelRun', { runId: first.runId })).toEqual({ cancelled: false });
    await until(() => !source.lock.held);

    gate.open();
    const again = await value('startRun', { kind: 'replication', taskId: task.id });
    await until(() => dashboard.got.filter((e) => e.name === 'runFinished').length === 2);
    expect(dashboard.got.filter((e) => e.name === 'runFinished').at(-1)!.payload.run).toMatchObject({ runId: again.runId, state: 'finished' });
    expect((await value('listRuns', { taskId: task.id })).map((r: { result: string }) => r.result)).toEqual(['FAILED', 'FINISHED']);
    expect((await value('listActiveRuns', {})).map((r: { runId: string }) => r.runId)).toEqual([again.runId, first.runId]);
  });

  it('the blocking runTask is a run too: its events carry an id, and cancelTask stops it', async () => {
    const task = await replicatedTask();
    const dashboard = inbox();
    await value('subscribeRuns', {}, dashboard.client);
    gate.close();
    const blocking = call('runTask', { taskId: task.id });
    await until(() => gate.reached > 0 && source.lock.held);
    expect(await value('cancelTask', { taskId: task.id })).toEqual({ cancelled: true });
    const result = await blocking;
    expect(result).toMatchObject({ ok: true, value: { result: 'FAILED', error: { code: 'CANCELLED' } } });
    expect(dashboard.got.find((e) => e.name === 'runStarted')!.payload.run.runId).toEqual(expect.any(String));
  });

  it('planTask dry-runs a draft without saving it; a subscription needs a window; unknown runs are NOT_FOUND', async () => {
    await replicatedTask();
    const before = await value('listTasks', {});
    const draft = { ...taskInput(), name: 'draft' };
    const plan = await value('planTask', { task: draft });
    expect(plan).toMatchObject({ result: 'DRY_RUN', datasets: [expect.objectContaining({ source: 'tank/data', destination: 'backup/r/data' })] });
    expect(await value('listTasks', {})).toEqual(before);
    expect([...source.changes(), ...destination.changes()]).toEqual([]);
    // A bad name is refused (by the request schema, or by the engine before any command): never a plan.
    const bad = await call('planTask', { task: { ...draft, sources: [{ name: 'tank/x;reboot' }] } });
    expect(bad.ok ? bad.value.error.code : bad.error.code).toMatch(/^INVALID_(NAME|REQUEST)$/);

    const noWindow = await call('subscribeRuns', {});
    expect(noWindow.ok === false && noWindow.error.code).toBe('INVALID_REQUEST');
    const unknown = await call('getRun', { runId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.ok === false && unknown.error.code).toBe('NOT_FOUND');
  });

  it('a periodic snapshot task runs as a run of kind snapshot with its own log', async () => {
    source.addDataset('tank');
    source.addDataset('tank/data');
    const snapshotTask = await value('saveSnapshotTask', { connectionId: connections.source.id, dataset: 'tank/data', recursive: false, namingSchema: 'auto-%Y-%m-%d_%H-%M', schedule: { kind: 'manual' }, lifetime: { kind: 'forever' } });
    const window = inbox();
    const run = await value('startRun', { kind: 'snapshot', taskId: snapshotTask.id }, window.client);
    expect(run).toMatchObject({ kind: 'snapshot', state: 'running' });
    await until(() => window.names().includes('runFinished'));
    expect(window.got.at(-1)).toMatchObject({ payload: { run: { state: 'finished' }, result: { kind: 'snapshot', report: { taken: { snapshots: [expect.stringMatching(/^tank\/data@auto-/)] } } } } });
    const log = await value('readTaskLog', { taskId: snapshotTask.id });
    expect(log.text).toMatch(/Took tank\/data@auto-/);
  });
});

describe('task logs through the contract', () => {
  it('readTaskLog reads from an offset; tailTaskLog sends new lines to that window only, until untail', async () => {
    const task = await replicatedTask();
    await value('runTask', { taskId: task.id });
    const first = await value('readTaskLog', { taskId: task.id });
    expect(first.text).toContain('Result: FINISHED.');
    expect(first).toMatchObject({ offset: 0, nextOffset: first.size, restarted: false, path: path.join(configDir, 'logs', `${task.id}.log`) });
    expect((await value('readTaskLog', { taskId: task.id, offset: first.nextOffset })).text).toBe('');

    const follower = inbox();
    const bystander = inbox();
    expect(await value('tailTaskLog', { taskId: task.id }, follower.client)).toEqual({ offset: first.size });
    await value('runTask', { taskId: task.id });
    await until(() => follower.got.filter((e) => e.name === 'taskLog').map((e) => e.payload.text).join('').includes('Result: FINISHED.'));
    expect(follower.got.find((e) => e.name === 'taskLog')!.payload).toMatchObject({ taskId: task.id, offset: first.size });
    expect(bystander.names()).not.toContain('taskLog');
    expect(await value('untailTaskLog', { taskId: task.id }, follower.client)).toEqual({ stopped: true });
    expect(await value('untailTaskLog', { taskId: task.id }, follower.client)).toEqual({ stopped: false });
    const unknown = await call('readTaskLog', { taskId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.ok === false && unknown.error.code).toBe('NOT_FOUND');
  });
});
