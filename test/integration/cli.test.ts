import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireTaskLock } from '../../electron/services/replication/task-lock.ts';
import { probeHostKey } from '../../electron/services/ssh/probe-host-key.ts';
import { openConfStore } from '../../electron/services/store/open-conf-store.ts';
import type { ReplicationTask } from '../../shared/task-schemas.ts';
import { sshOk } from '../nas/testbed.ts';
import { connectionTo, sshApp } from './support/ssh-app.ts';
import { nasVm } from './support/zfs-hosts.ts';

// The CLI as cron runs it: a separate process reading the same settings file the app writes, against the VMs.
const root = path.resolve(import.meta.dirname, '..', '..');
const cliPath = path.join(root, 'electron', 'cli', 'zfs-replication.ts');
const run = promisify(execFile);
let configDir: string;
let task: ReplicationTask;
const name = 'cli-docs';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliPath, ...args], { env: { ...process.env, ZRD_CONFIG_DIR: configDir }, timeout: 600_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-cli-it-'));
  const store = openConfStore(configDir);
  const a = nasVm('nas-a');
  const b = nasVm('nas-b');
  const source = store.saveConnection({ name: 'nas-a', host: a.host, port: a.port, username: 'admin', privilege: 'sudo', auth: { kind: 'key-file', keyPath: a.keyPath } });
  const destination = store.saveConnection({ name: 'nas-b', host: b.host, port: b.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: b.keyPath } });
  for (const [connection, vm] of [[source, a], [destination, b]] as const) store.pinHostKey(connection.id, await probeHostKey(vm.host, vm.port));
  task = store.saveTask({
    name,
    sourceConnectionId: source.id,
    sources: [{ name: `tank/${name}` }],
    destinationConnectionId: destination.id,
    destinationParent: `backup/${name}`,
    transport: { kind: 'relay' },
    selection: { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'] },
  });
  await sshOk(b, 'root', `zfs destroy -r 'backup/${name}' 2>/dev/null; true`);
  await sshOk(a, 'root', `zfs destroy -r 'tank/${name}' 2>/dev/null; zfs create 'tank/${name}' && echo one > '/tank/${name}/f' && zfs snapshot 'tank/${name}@auto-2026-11-21_10-00' && zfs snapshot 'tank/${name}@manual'`);
});
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

describe('zfs-replication CLI', () => {
  it('lists what the app saved, and says PENDING before any run', async () => {
    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('nas-a  admin@127.0.0.1');
    expect(list.stdout).toContain(`${name}  nas-a:tank/${name} -> nas-b:backup/${name}  (relay)`);
    const status = await cli('status', '--json');
    expect(JSON.parse(status.stdout).tasks[0]).toMatchObject({ task: name, state: 'PENDING', lastRun: null });
  });

  it('--dry-run prints the plan and the commands, and changes nothing', async () => {
    const dry = await cli('run', name, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`tank/${name} -> backup/${name}/${name}: full @auto-2026-11-21_10-00`);
    expect(dry.stdout).toContain('$ /usr/sbin/zfs create -p');
    expect(await sshOk(nasVm('nas-b'), 'root', `zfs list 'backup/${name}' 2>&1 || true`)).toContain('does not exist');
  });

  it('run is quiet on success (cron), records the run, and logs to the task log', async () => {
    const first = await cli('run', name);
    expect(first).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await sshOk(nasVm('nas-b'), 'root', `zfs list -H -o name -t snapshot -r 'backup/${name}'`)).trim()).toBe(`backup/${name}/${name}@auto-2026-11-21_10-00`);
    const status = JSON.parse((await cli('status', name, '--json')).stdout);
    expect(status.tasks[0]).toMatchObject({ state: 'FINISHED', lastRun: { result: 'FINISHED' } });
    expect(readFileSync(path.join(configDir, 'logs', `${task.id}.log`), 'utf8')).toContain('Result: FINISHED.');
  });

  it('a diverged destination exits 3 with the list and the digest; --confirm with it proceeds', async () => {
    await sshOk(nasVm('nas-b'), 'root', `zfs snapshot 'backup/${name}/${name}@local'`);
    await sshOk(nasVm('nas-a'), 'root', `echo two >> '/tank/${name}/f' && zfs snapshot 'tank/${name}@auto-2026-11-21_11-00'`);
    const refused = await cli('run', name);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`- backup/${name}/${name}@local`);
    const digest = /--confirm ([0-9a-f]+)/.exec(refused.stderr)?.[1];
    expect(digest).toBeTruthy();
    expect((await cli('status', name)).code).toBe(1);
    const confirmed = await cli('run', name, '--confirm', digest!);
    expect(confirmed.code).toBe(0);
    expect((await sshOk(nasVm('nas-b'), 'root', `zfs list -H -o name -t snapshot -s createtxg -r 'backup/${name}'`)).trim().split('\n')).toEqual([
      `backup/${name}/${name}@auto-2026-11-21_10-00`,
      `backup/${name}/${name}@auto-2026-11-21_11-00`,
    ]);
  });

  it('two cron runs at once: one works, the other exits 4 and says the task is busy', async () => {
    await sshOk(nasVm('nas-a'), 'root', `head -c 262144 /dev/urandom >> '/tank/${name}/f' && zfs snapshot 'tank/${name}@auto-2026-11-21_12-00'`);
    const [one, two] = await Promise.all([cli('run', name), cli('run', name)]);
    expect([one.code, two.code].sort()).toEqual([0, 4]);
    expect((one.code === 4 ? one : two).stderr).toContain('already running');
  });

  it('doctor checks the task end to end; reset --dry-run names our holds and changes nothing', async () => {
    const doctor = await cli('doctor', name, '--json');
    expect(doctor.code).toBe(0);
    const report = JSON.parse(doctor.stdout);
    expect(report.checks.length).toBeGreaterThan(5);
    expect(report.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
    const reset = await cli('reset', name, '--dry-run', '--json');
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout).released.source).toEqual([`tank/${name}@auto-2026-11-21_12-00`]);
    expect(await sshOk(nasVm('nas-a'), 'root', `zfs holds -H 'tank/${name}@auto-2026-11-21_12-00'`)).toContain(task.id);
  });

  it('snapshot runs the periodic snapshot tasks: a new schema snapshot appears on the source', async () => {
    const store = openConfStore(configDir);
    const snapshotTask = store.saveSnapshotTask({
      connectionId: task.sourceConnectionId,
      dataset: `tank/${name}`,
      recursive: false,
      exclude: [],
      namingSchema: 'auto-%Y-%m-%d_%H-%M',
      schedule: { kind: 'cron', expression: '0 * * * *' },
      lifetime: { kind: 'custom', amount: 1, unit: 'years' },
    });
    const result = await cli('snapshot', snapshotTask.id, '--json');
    expect(result.code).toBe(0);
    const taken = JSON.parse(result.stdout).results[0].taken.snapshots[0] as string;
    expect(taken).toMatch(new RegExp(`^tank/${name}@auto-\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}$`));
    expect(await sshOk(nasVm('nas-a'), 'root', `zfs list -H -o name -t snapshot '${taken}'`)).toContain(taken);
  });

  it('status asks the source NAS: a run of another process shows as RUNNING with its owner; an unreachable NAS leaves its task as the history says', async () => {
    // The run in progress: the task lock on nas-a, held from this process as the app would hold it.
    const app = sshApp();
    const connection = connectionTo(nasVm('nas-a'), 'admin', 'sudo');
    await app.pin(connection);
    const lock = await acquireTaskLock({ taskId: task.id, taskName: name, runner: app.services.runnerFor(connection), by: 'app' });
    // A second task whose source NAS does not answer (nothing listens on that port).
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const store = openConfStore(configDir);
    const offline = store.saveConnection({ name: 'offline', host: '127.0.0.1', port: closedPort, username: 'root', auth: { kind: 'key-file', keyPath: nasVm('nas-a').keyPath } });
    const offlineTask = store.saveTask({ ...task, id: undefined, name: 'cli-offline', sourceConnectionId: offline.id });
    try {
      const text = await cli('status');
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toMatch(new RegExp(`^${name}  RUNNING  started by app on \\S+ \\(pid ${process.pid}\\) since \\S+  last run \\S+ FINISHED `, 'm'));
      expect(text.stdout).toMatch(/^cli-offline {2}PENDING {2}never run {2}\(live state unknown: .*refused.*\)$/m);
      const json = JSON.parse((await cli('status', '--json')).stdout);
      expect(json.tasks.find((t: { task: string }) => t.task === name)).toMatchObject({ state: 'RUNNING', lock: 'held', lockError: null, running: { owner: expect.stringContaining(`(pid ${process.pid})`) } });
      expect(json.tasks.find((t: { task: string }) => t.task === 'cli-offline')).toMatchObject({ state: 'PENDING', running: null, lock: 'unknown', lockError: { code: 'HOST_UNREACHABLE' } });
    } finally {
      await lock.release();
      store.removeTask(offlineTask.id);
      store.removeConnection(offline.id);
      await app.dispose();
    }
    const after = await cli('status', name, '--json');
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).tasks).toEqual([expect.objectContaining({ state: 'FINISHED', running: null, lock: 'free', lockError: null })]);
  });

  it('bad usage exits 2 with a hint', async () => {
    expect((await cli('run')).code).toBe(2);
    const unknown = await cli('run', 'no-such-task');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('zfs-replication list');
  });
});
