import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/services/core.ts';
import type { EventClient } from '../../electron/services/events/event-hub.ts';
import { probeHostKey } from '../../electron/services/ssh/probe-host-key.ts';
import { openConfStore } from '../../electron/services/store/open-conf-store.ts';
import type { EventName } from '../../shared/contract.ts';
import type { ReplicationTask } from '../../shared/task-schemas.ts';
import { sshOk } from '../nas/testbed.ts';
import { checksum, propertyOf } from './support/replication-bed.ts';
import { nasVm } from './support/zfs-hosts.ts';

// Runs as objects on the VMs: a run started through the contract answers at once with its id; its progress and
// log lines arrive as events carrying that id while it runs; cancelling it leaves a resumable receive and the next
// run resumes it. The CLI's `watch` prints a run's lines while it is in progress, and a run killed mid-stream
// (kill -9) leaves every line it wrote in the task's log. A draft task is planned without being saved.

const root = path.resolve(import.meta.dirname, '..', '..');
const cliPath = path.join(root, 'electron', 'cli', 'zfs-replication.ts');
const name = 'runs-it';
const replica = `backup/${name}/${name}`;
let configDir: string;
let core: Core;
let task: ReplicationTask;
const events: Array<{ name: EventName; payload: any }> = [];
let window: EventClient;
const children: ChildProcess[] = [];

const call = async (verb: string, request: unknown): Promise<any> => core.call(verb, request, { client: window });
const value = async (verb: string, request: unknown): Promise<any> => {
  const result = await call(verb, request);
  if (!result.ok) throw new Error(`${verb}: ${result.error.code} ${result.error.message}`);
  return result.value;
};
const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 240_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
const ofRun = (runId: string, event: EventName) => events.filter((e) => e.name === event && (e.payload.run?.runId ?? e.payload.runId) === runId);
const logFile = () => path.join(configDir, 'logs', `${task.id}.log`);
const readLog = () => {
  try {
    return readFileSync(logFile(), 'utf8');
  } catch {
    return '';
  }
};

function cli(...args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ZRD_CONFIG_DIR: configDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, out: () => out };
}

beforeAll(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-runs-it-'));
  const store = openConfStore(configDir);
  const a = nasVm('nas-a');
  const b = nasVm('nas-b');
  const source = store.saveConnection({ name: 'nas-a', host: a.host, port: a.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: a.keyPath } });
  const destination = store.saveConnection({ name: 'nas-b', host: b.host, port: b.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: b.keyPath } });
  for (const [connection, vm] of [[source, a], [destination, b]] as const) store.pinHostKey(connection.id, await probeHostKey(vm.host, vm.port));
  // 1 MiB that does not compress, sent at 32 KiB/s: a run lasts about half a minute, time to watch it and stop it.
  task = store.saveTask({
    name,
    sourceConnectionId: source.id,
    sources: [{ name: `tank/${name}` }],
    destinationConnectionId: destination.id,
    destinationParent: `backup/${name}`,
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    bandwidthLimitKiBps: 32,
  });
  await sshOk(b, 'root', `zfs destroy -r 'backup/${name}' 2>/dev/null; true`);
  await sshOk(a, 'root', `zfs destroy -r 'tank/${name}' 2>/dev/null; zfs create -o compression=off 'tank/${name}' && head -c 1048576 /dev/urandom > '/tank/${name}/data.bin' && zfs snapshot 'tank/${name}@s1'`);
  core = createCore({
    store,
    configDir,
    by: 'app',
    versions: { app: 'test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  });
  window = core.connectClient((event, payload) => events.push({ name: event, payload }));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await core?.dispose();
  rmSync(configDir, { recursive: true, force: true });
});

describe('runs on the VMs', () => {
  it("starts at once with a run id, streams that run's progress and log lines, is cancelled, and the next run resumes", async () => {
    const started = Date.now();
    const run = await value('startRun', { kind: 'replication', taskId: task.id });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run).toMatchObject({ runId: expect.any(String), state: 'running', taskId: task.id, by: 'app' });

    // While it runs: its events, by its id.
    await until('progress of the run', () => ofRun(run.runId, 'runProgress').some((e) => e.payload.bytesSent > 100_000));
    expect(ofRun(run.runId, 'runStep')).toContainEqual(expect.objectContaining({ payload: expect.objectContaining({ dataset: `tank/${name}`, step: 'sending', detail: 'full @s1' }) }));
    expect(ofRun(run.runId, 'runLog').map((e) => e.payload.message)).toContain(`Run of "${name}" started by app (run ${run.runId}).`);
    expect((await value('getRun', { runId: run.runId })).state).toBe('running');
    expect(readLog()).toContain(`(run ${run.runId})`);

    expect(await value('cancelRun', { runId: run.runId })).toEqual({ cancelled: true });
    await until('the end of the cancelled run', () => ofRun(run.runId, 'runFinished').length > 0, 60_000);
    expect(ofRun(run.runId, 'runFinished')[0]!.payload.run).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(await propertyOf(nasVm('nas-b'), replica, 'receive_resume_token')).toMatch(/^1-/);

    // Again, at full speed: it resumes the interrupted stream (zfs send -t) and the data arrives whole.
    await value('saveTask', { ...task, bandwidthLimitKiBps: null });
    const again = await value('startRun', { kind: 'replication', taskId: task.id });
    await until('the end of the second run', () => ofRun(again.runId, 'runFinished').length > 0);
    const finished = ofRun(again.runId, 'runFinished')[0]!.payload;
    expect(finished.run.state).toBe('finished');
    expect(finished.result.report.result).toBe('FINISHED');
    expect(ofRun(again.runId, 'runLog').some((e) => /^Resumed send/.test(e.payload.message))).toBe(true);
    expect(await checksum(nasVm('nas-b'), replica, 'data.bin')).toBe(await checksum(nasVm('nas-a'), `tank/${name}`, 'data.bin'));
    expect((await value('listRuns', { taskId: task.id })).map((r: { result: string }) => r.result)).toEqual(['FAILED', 'FINISHED']);
  }, 600_000);

  it('`watch` prints the lines of a CLI run while it is in progress; killed with -9, that run leaves every line it wrote; the next run resumes', async () => {
    await sshOk(nasVm('nas-a'), 'root', `head -c 1048576 /dev/urandom > '/tank/${name}/data.bin' && zfs snapshot 'tank/${name}@s2'`);
    await value('saveTask', { ...task, bandwidthLimitKiBps: 32 });
    const watch = cli('watch', name);
    await until('watch to start', () => watch.out().includes('Ctrl-C to stop'), 60_000);
    const runner = cli('run', name, '--verbose');
    // The run is still going (its process alive, bytes flowing) when watch has already printed its first lines.
    await until('watch to print the CLI run', () => watch.out().includes('started by cli'));
    expect(runner.child.exitCode).toBeNull();
    // Enough bytes that the receive on nas-b has written some (a receive killed before its first records leaves no
    // resume token, and then there is nothing to resume): 128 KiB, as the cancel test above waits for 100 kB.
    const receivedEnough = () => [...runner.out().matchAll(/tank\/runs-it: ([\d.]+) (KiB|MiB)/g)].some((m) => Number(m[1]) * (m[2] === 'MiB' ? 1024 : 1) >= 128);
    await until('bytes of the CLI run', receivedEnough, 120_000);
    expect(runner.child.exitCode).toBeNull();
    const beforeKill = readLog();
    runner.child.kill('SIGKILL');
    await until('the CLI run to die', () => runner.child.signalCode === 'SIGKILL', 10_000);

    // Everything written before the kill is in the file (nothing was buffered for the end of the run).
    const afterKill = readLog();
    expect(afterKill.startsWith(beforeKill)).toBe(true);
    const cliLines = afterKill.slice(afterKill.lastIndexOf('started by cli'));
    expect(cliLines).toContain('started by cli');
    expect(cliLines).not.toContain('Result:');
    expect(watch.out()).toContain(beforeKill.slice(beforeKill.lastIndexOf('Run of')).split('\n')[0]);
    watch.child.kill('SIGINT');

    // The next run (at full speed) resumes; until the NAS notices the killed run's ssh session is gone, its lock
    // may still be held (BUSY): try again for a while.
    await value('saveTask', { ...task, bandwidthLimitKiBps: null });
    let finished: any = null;
    for (let attempt = 0; attempt < 20 && finished?.run.state !== 'finished'; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 5_000));
      const next = await value('startRun', { kind: 'replication', taskId: task.id });
      await until('the run after the kill', () => ofRun(next.runId, 'runFinished').length > 0);
      finished = ofRun(next.runId, 'runFinished')[0]!.payload;
      if (finished.run.state !== 'finished') expect(finished.run.error?.code).toBe('BUSY');
    }
    expect(finished.run.state).toBe('finished');
    expect(finished.result.report.datasets[0].commands.some((c: string) => / send -t /.test(c)) || ofRun(finished.run.runId, 'runLog').some((e) => /^Resumed send/.test(e.payload.message))).toBe(true);
    expect(await checksum(nasVm('nas-b'), replica, 'data.bin')).toBe(await checksum(nasVm('nas-a'), `tank/${name}`, 'data.bin'));
  }, 900_000);

  it('a draft task is planned without being saved, and nothing changes on either NAS', async () => {
    const before = await value('listTasks', {});
    const draft = { ...task, id: undefined, name: 'draft', destinationParent: `backup/${name}-draft`, bandwidthLimitKiBps: null };
    const plan = await value('planTask', { task: draft });
    expect(plan).toMatchObject({ result: 'DRY_RUN', error: null, datasets: [expect.objectContaining({ source: `tank/${name}`, destination: `backup/${name}-draft/${name}`, plan: expect.objectContaining({ status: 'ready' }) })] });
    expect(plan.datasets[0].commands.some((c: string) => c.includes(' send '))).toBe(true);
    expect(await value('listTasks', {})).toEqual(before);
    expect(await sshOk(nasVm('nas-b'), 'root', `zfs list -H -o name 'backup/${name}-draft' 2>&1 || true`)).toContain('dataset does not exist');
  });
});
