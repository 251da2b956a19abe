import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHostKey } from '../../electron/services/ssh/probe-host-key.ts';
import { openConfStore } from '../../electron/services/store/open-conf-store.ts';
import type { RunRecord } from '../../shared/task-schemas.ts';
import { USERS, sshOk, type VmInfo } from '../nas/testbed.ts';
import { nasVm } from './support/zfs-hosts.ts';
import { destroyTreeScript } from './support/zfs-scripts.ts';

// Headless from nothing, as an admin on a server without a screen does it, every step a `zfs-replication` process:
// an empty settings folder; nas-a and nas-b added with their host keys pinned by fingerprint (read on the "console")
// and the app's key installed with the password on stdin; a task from a JSON file; a run; the daemon running two
// scheduled times without overlap; SIGTERM mid-transfer leaving it resumable; the next run resuming; and
// `status --monitor` going CRITICAL once the replica is stale. Small data and a schedule every minute keep it short.

const root = path.resolve(import.meta.dirname, '..', '..');
const cliPath = path.join(root, 'electron', 'cli', 'zfs-replication.ts');
const name = 'headless';
const source = `tank/${name}`;
const replica = `backup/${name}/${name}`;
let work: string;
let configDir: string;
const daemons: ChildProcessWithoutNullStreams[] = [];
const log = (line: string) => console.log(`[headless-it] ${line}`);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ZRD_CONFIG_DIR: configDir, ZRD_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const result = await cli(args, input);
  if (result.code !== 0) throw new Error(`zfs-replication ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function startDaemon(): ChildProcessWithoutNullStreams & { output: () => string } {
  const child = spawn(process.execPath, [cliPath, 'daemon'], { env: { ...process.env, ZRD_CONFIG_DIR: configDir } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  daemons.push(child);
  return Object.assign(child, { output: () => output });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, everyMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The Nagios check with tight thresholds (one missed time is CRITICAL, no grace): short tests of both states. */
const monitor = () => cli(['status', '--monitor', '--warn', '1', '--crit', '1', '--grace', '0s']);

/** The run history as the settings folder has it (written by whichever process ran the task). */
function runs(): RunRecord[] {
  const store = openConfStore(configDir);
  return store.history.list(store.getTask(name).id);
}

/** The SHA256 fingerprint of the host key of `type`, read on the NAS itself (the admin's console). */
async function consoleFingerprint(vm: VmInfo, type: string): Promise<string> {
  const file = `/etc/ssh/ssh_host_${type.replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ecdsa')}_key.pub`;
  const line = await sshOk(vm, 'root', `ssh-keygen -lf ${file}`);
  return line.split(/\s+/)[1]!;
}

async function appPublicKey(): Promise<string> {
  return readFileSync(path.join(configDir, 'keys', 'id_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'zrd-headless-it-'));
  configDir = path.join(work, 'settings');
  // A run before this one (a re-run on the same VMs) leaves held snapshots: they are released before the destroy.
  await sshOk(nasVm('nas-b'), 'root', `${destroyTreeScript(`backup/${name}`)}\nzfs create -p 'backup/${name}'`);
  await sshOk(nasVm('nas-a'), 'root', `${destroyTreeScript(source)}\nzfs create '${source}' && head -c 1048576 /dev/urandom > '/${source}/one' && zfs snapshot '${source}@first'`);
});

afterAll(async () => {
  for (const daemon of daemons) if (daemon.exitCode === null) daemon.kill('SIGKILL');
  // Leave root's authorized_keys on the shared VMs as they were: remove the app key this test installed.
  try {
    const key = await appPublicKey();
    for (const vm of [nasVm('nas-a'), nasVm('nas-b')]) await sshOk(vm, 'root', `grep -vxF '${key}' ~/.ssh/authorized_keys > ~/.ssh/ak.tmp; cat ~/.ssh/ak.tmp > ~/.ssh/authorized_keys; rm -f ~/.ssh/ak.tmp`);
  } catch {
    // No key was made (an early failure).
  }
  // The trees go too: the VMs are shared by the suites after this one.
  await sshOk(nasVm('nas-b'), 'root', destroyTreeScript(`backup/${name}`)).catch(() => undefined);
  await sshOk(nasVm('nas-a'), 'root', destroyTreeScript(source)).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('headless: from an empty settings folder to a monitored daemon', () => {
  it('adds both NAS with pinned fingerprints and the app key installed with the password on stdin', async () => {
    for (const vm of [nasVm('nas-a'), nasVm('nas-b')]) {
      // What the app will see, compared with what the NAS's console says (as the admin is told to do).
      const probed = await probeHostKey(vm.host, vm.port);
      const fingerprint = await consoleFingerprint(vm, probed.type);
      expect(fingerprint).toBe(probed.sha256);
      const added = await ok(['connection', 'add', vm.name, '--host', vm.host, '--port', String(vm.port), '--user', 'root', '--fingerprint', fingerprint]);
      expect(added).toContain(`pinned ${vm.name}'s host key`);
      // A wrong fingerprint is refused and pins nothing.
      const wrong = await cli(['connection', 'trust', vm.name, '--fingerprint', `SHA256:${'A'.repeat(43)}`]);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/host key/i);
      const installed = await ok(['connection', 'install-key', vm.name, '--password-stdin'], `${USERS.root.password}\n`);
      expect(installed).toMatch(/installed the app's key on root@/);
      expect(await ok(['connection', 'test', vm.name])).toMatch(new RegExp(`^${vm.name}: logged in`));
    }
    const list = JSON.parse(await ok(['connection', 'list', '--json'])).connections as Array<{ name: string; hostKey: unknown; auth: { kind: string } }>;
    expect(list.map((c) => [c.name, c.auth.kind, c.hostKey !== null])).toEqual([['nas-a', 'app-key', true], ['nas-b', 'app-key', true]]);
    expect(readFileSync(path.join(configDir, 'config.json'), 'utf8')).not.toContain(USERS.root.password);
  });

  it('creates the task from a JSON file and runs it', async () => {
    const file = path.join(work, 'task.json');
    writeFileSync(file, JSON.stringify({
      name,
      sourceConnection: 'nas-a',
      sources: [{ name: source }],
      destinationConnection: 'nas-b',
      destinationParent: `backup/${name}`,
      transport: { kind: 'relay' },
      selection: { kind: 'all' },
      schedule: { kind: 'cron', expression: '* * * * *' },
      retries: 0,
    }));
    expect(await ok(['task', 'add', '--file', file])).toContain(`created ${name}  nas-a:${source} -> nas-b:backup/${name}`);
    expect(await ok(['run', name])).toBe('');
    expect((await sshOk(nasVm('nas-b'), 'root', `zfs list -H -o name -t snapshot '${replica}'`)).trim()).toBe(`${replica}@first`);
  });

  it('the daemon runs scheduled times one after the other; a second daemon stands by (one scheduler per folder); SIGTERM mid-transfer', async () => {
    const daemon = startDaemon();
    const before = runs().length;
    await until('the daemon to run the schedules', () => /running the schedules/.test(daemon.output()), 60_000, 500);
    const second = startDaemon();
    await until('the second daemon to stand by', () => /standing by/.test(second.output()), 60_000, 500);
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    // The first scheduled time (a no-op: the task's run above sent everything) must finish; the next one is the
    // transfer stopped by SIGTERM below. (Waiting for two finished times before a third minute for the SIGTERM cost a
    // whole minute of the suite for nothing the two times below do not show.)
    await until('the first scheduled run', () => runs().slice(before).some((r) => r.by === 'daemon' && r.result === 'FINISHED'), 140_000, 2000);

    // SIGTERM mid-transfer: new data, slowed down so the next scheduled run is still sending when the signal comes.
    await ok(['task', 'edit', name, '--bandwidth-limit', '256']);
    await sshOk(nasVm('nas-a'), 'root', `head -c 12582912 /dev/urandom > '/${source}/two' && zfs snapshot '${source}@second'`);
    await until('the scheduled run to be receiving', async () => (await sshOk(nasVm('nas-b'), 'root', `pgrep -f 'zfs (recv|receive) .*${name}' || true`)).trim() !== '', 150_000, 1500);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
    log(daemon.output().trim().split('\n').slice(-4).join('\n'));
    expect(daemon.output()).toMatch(/SIGTERM received: cancelling 1 run\(s\) in flight; their transfers resume at the next run/);
    expect(daemon.output()).toContain('zfs-replication daemon stopped.');
    const token = (await sshOk(nasVm('nas-b'), 'root', `zfs get -H -o value receive_resume_token '${replica}'`)).trim();
    expect(token).not.toBe('-');
    expect(runs().at(-1)).toMatchObject({ by: 'daemon', result: 'FAILED', error: { code: 'CANCELLED' } });

    // Every scheduled time ran once, one after the other: the ones before the cancelled transfer finished (one, or two
    // when the data above landed after a minute began), each started after the previous ended, in minutes of its own.
    const scheduled = runs().slice(before).filter((r) => r.by === 'daemon');
    log(`scheduled runs: ${scheduled.map((r) => `${r.startedAt}..${r.finishedAt} ${r.result}`).join(', ')}`);
    expect(scheduled.length).toBeGreaterThanOrEqual(2);
    expect(scheduled.slice(0, -1).map((r) => r.result)).toEqual(scheduled.slice(0, -1).map(() => 'FINISHED'));
    for (const [previous, next] of scheduled.slice(1).map((r, i) => [scheduled[i]!, r] as const)) {
      expect(Date.parse(previous.finishedAt)).toBeLessThanOrEqual(Date.parse(next.startedAt));
      expect(new Date(previous.startedAt).getUTCMinutes()).not.toBe(new Date(next.startedAt).getUTCMinutes());
    }
    // A scheduled minute, then a slowed transfer stopped mid-way: its own waits add up to a few minutes.
  }, 600_000);

  it('status --monitor: CRITICAL once the replica missed its schedule (the daemon is stopped, its last run cancelled)', async () => {
    // The last success started before the minute of the stopped run: that scheduled time passed without a success,
    // so the check needs no minute of its own to wait for.
    // Tight thresholds keep this short: the defaults (WARNING 1, CRITICAL 2 missed times) are unit-tested.
    const stale = await monitor();
    expect(stale.code).toBe(2);
    expect(stale.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stale.stdout).toMatch(/^CRITICAL: headless missed \d+ scheduled runs?, last replicated \d+ (s|min) ago; last run failed: /);
  });

  it('the next run resumes the interrupted transfer', async () => {
    await ok(['task', 'edit', name, '--bandwidth-limit', 'none']);
    expect(await ok(['run', name, '--dry-run'])).toContain('resume interrupted transfer');
    expect(await ok(['run', name])).toBe('');
    expect((await sshOk(nasVm('nas-b'), 'root', `zfs get -H -o value receive_resume_token '${replica}'`)).trim()).toBe('-');
    expect((await sshOk(nasVm('nas-b'), 'root', `zfs list -H -o name -t snapshot -s createtxg '${replica}'`)).trim().split('\n')).toEqual([`${replica}@first`, `${replica}@second`]);
    const [a, b] = await Promise.all([
      sshOk(nasVm('nas-a'), 'root', `sha256sum '/${source}/two' | cut -d' ' -f1`),
      sshOk(nasVm('nas-b'), 'root', `zfs mount '${replica}' 2>/dev/null; sha256sum "$(zfs get -H -o value mountpoint '${replica}')/two" | cut -d' ' -f1`),
    ]);
    expect(b.trim()).toBe(a.trim());
  });

  it('status --monitor: OK right after a run', async () => {
    // Every minute with no grace, a replica is on schedule only until the next minute after its run started, so the
    // check had to wait for a fresh minute (up to 45 s). Hourly, a run leaves the rest of the hour: only its last
    // 20 seconds are waited out (a run that began late could end past the boundary and rightly be CRITICAL).
    await ok(['task', 'edit', name, '--schedule', '0 * * * *']);
    const secondsLeft = 3600 - (Math.floor(Date.now() / 1000) % 3600);
    if (secondsLeft < 20) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 500));
    expect(await ok(['run', name])).toBe('');
    const fresh = await monitor();
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^OK: 1 scheduled replica on schedule \| 'headless_lag'=\d+s\n$/);
  });
});
