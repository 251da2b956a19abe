import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReplicationTask, type EngineEvent, type RunReport } from '../../electron/services/replication/replication-engine.ts';
import { remoteLockPath } from '../../electron/services/replication/task-lock.ts';
import { probeHostKey } from '../../electron/services/ssh/probe-host-key.ts';
import { keepaliveEnv } from '../../electron/services/ssh/ssh-connect.ts';
import { openConfStore } from '../../electron/services/store/open-conf-store.ts';
import type { ReplicationTask, ReplicationTaskInput } from '../../shared/task-schemas.ts';
import { cutPeerLink, healPeerLink, rebootVm, setLink, sshExec, sshOk, type VmInfo } from '../nas/testbed.ts';
import { destroyTreeScript } from './support/zfs-scripts.ts';
import { a, b, checksum, freshSource, openReplicationBed, propertyOf, snapshotsOf, type ReplicationBed } from './support/replication-bed.ts';

// The fault matrix: what happens to a replication when the world misbehaves mid-transfer, on the real VMs.
// Every case interrupts a transfer of 8 MiB of random data (slowed to 512 KiB/s, so the fault lands mid-stream),
// checks that the run fails with an error that says what happened (within a bounded time when nothing closes the
// connection), repairs the fault, runs again and checks that the run resumed (zfs send -t) and that the data on
// nas-b has the checksum of the data on nas-a. The VMs are shared with every other test of the run: every case
// repairs what it broke in a finally block.
//
// A dead link (no FIN, no RST) is noticed by keepalives: the app's ssh2 connections and the source's ssh to the
// destination in direct mode both give up after 3 unanswered keepalives (keepalivePolicy). The product's 15 s apart
// means a minute per case; this file sets 3 s (ZRD_SSH_KEEPALIVE_SECONDS, the same knob an admin has), so a run must
// fail within ~12 s of the link dying (asserted: under 45 s, the VMs being emulated).

vi.setConfig({ testTimeout: 600_000, hookTimeout: 300_000 });

const MiB = 1024 * 1024;
const dataMiB = 8;
const limitKiBps = 512;
const keepaliveSeconds = 3;
const deadLinkBoundMs = 45_000;
const direct = { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'root' } as const;

let bed: ReplicationBed;
beforeAll(async () => {
  vi.stubEnv(keepaliveEnv, String(keepaliveSeconds));
  bed = await openReplicationBed({ directUsers: ['root'] });
});
const caseNames = ['fault-cut-relay', 'fault-cut-direct', 'fault-reboot', 'fault-full-relay', 'fault-full-direct', 'fault-kill'];
afterAll(async () => {
  await bed?.close();
  vi.unstubAllEnvs();
  // Every tree this file made, holds released first (the VMs are shared with the rest of the run).
  await sshOk(a(), 'root', caseNames.map((name) => destroyTreeScript(`tank/${name}`)).join('\n'));
  await sshOk(b(), 'root', caseNames.map((name) => destroyTreeScript(`backup/${name}-replica`)).join('\n'));
});

const deps = (emit?: (event: EngineEvent) => void) => ({ nas: bed.nasFor('root'), ...(emit ? { emit } : {}) });

/** tank/NAME with one snapshot s1 of 8 MiB of random data; no replica yet. */
const seed = (name: string) => freshSource(name, `zfs create -o compression=off "$D" && head -c ${dataMiB * MiB} /dev/urandom > "/$D/data.bin" && zfs snapshot "$D@s1"`);

/** Runs the task and calls `fault` once when the stream has moved past `afterBytes`; the time of the fault is returned. */
async function runWithFault(task: ReplicationTask, fault: () => Promise<unknown> | unknown, afterBytes = MiB): Promise<{ report: RunReport; faultAt: number; failedAfterMs: number }> {
  let faultAt = 0;
  let faulting: Promise<unknown> | null = null;
  const report = await runReplicationTask(task, deps((event) => {
    if (event.kind === 'progress' && event.bytesSent > afterBytes && !faulting) {
      faultAt = Date.now();
      faulting = Promise.resolve().then(fault);
    }
  }));
  const failedAfterMs = Date.now() - faultAt;
  await faulting;
  expect(faultAt, `the fault never fired: the transfer ended before ${afterBytes} bytes moved`).toBeGreaterThan(0);
  return { report, faultAt, failedAfterMs };
}

/** After a fault the destination's half of the stream may take a moment to see its end: wait until no receive of ours runs. */
async function receiveEnded(vm: VmInfo, name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await sshExec(vm, 'root', `pgrep -f 'zfs (receive|recv) .*${name}' || true`, { reuse: false });
    if (r.code === 0 && r.stdout.trim() === '') return;
    if (Date.now() > deadline) throw new Error(`${vm.name}: a zfs receive of ${name} still runs 120 s after the fault: ${r.stdout.trim()} ${r.stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** The next run resumes the interrupted stream, sends less than all of it, and the replica matches the source. */
async function expectResumed(task: ReplicationTask, name: string, replica: string): Promise<RunReport> {
  // Nothing destroyed by the failed run: the source snapshot is there, and so is the partial receive (its token).
  expect(await snapshotsOf(a(), `tank/${name}`)).toEqual(['s1']);
  expect(await propertyOf(b(), replica, 'receive_resume_token')).toMatch(/^1-/);
  const resumed = await runReplicationTask({ ...task, bandwidthLimitKiBps: null }, deps());
  expect(resumed.error).toBeNull();
  expect(resumed.result).toBe('FINISHED');
  expect(resumed.datasets[0]!.commands[0]).toMatch(/zfs send -t 1-/);
  expect(resumed.bytesSent).toBeGreaterThan(0);
  expect(resumed.bytesSent).toBeLessThan(dataMiB * MiB);
  expect(await propertyOf(b(), replica, 'receive_resume_token')).toBe('-');
  expect(await snapshotsOf(b(), replica)).toEqual(['s1']);
  expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));
  return resumed;
}

function slowTask(name: string, overrides: Partial<ReplicationTaskInput> = {}): ReplicationTask {
  return bed.task(name, { bandwidthLimitKiBps: limitKiBps, ...overrides });
}

describe('network cut between the NAS boxes mid-transfer', () => {
  it('relay: nas-b unplugged (the app-to-destination path) → fails within the keepalive bound, naming nas-b; resumes once plugged back', async () => {
    const name = 'fault-cut-relay';
    const replica = `backup/${name}-replica/${name}`;
    await seed(name);
    const task = slowTask(name);
    try {
      const { report, failedAfterMs } = await runWithFault(task, () => setLink(b(), false));
      console.log(`relay cut: failed ${(failedAfterMs / 1000).toFixed(1)} s after the cable was pulled: ${report.error?.message}`);
      expect(report.result).toBe('FAILED');
      expect(report.error?.code).toBe('HOST_UNREACHABLE');
      expect(report.error?.hint).toMatch(/resumes/);
      expect(report.error?.message).toContain(`${b().port}`);
      expect(report.error?.message).toMatch(/stopped answering|timed out|not responding/i);
      expect(failedAfterMs).toBeLessThan(deadLinkBoundMs);
    } finally {
      await setLink(b(), true);
    }
    await receiveEnded(b(), name);
    await expectResumed(task, name, replica);
  });

  it('direct: the nas-a → nas-b path cut (both still reachable from the app) → fails within the keepalive bound, naming nas-b; resumes once healed', async () => {
    const name = 'fault-cut-direct';
    const replica = `backup/${name}-replica/${name}`;
    await seed(name);
    const task = slowTask(name, { transport: direct });
    let frozen = 0;
    try {
      const { report, failedAfterMs } = await runWithFault(task, () => { frozen = cutPeerLink(a(), b()); });
      console.log(`direct cut: ${frozen} connection(s) frozen; failed ${(failedAfterMs / 1000).toFixed(1)} s after the cut: ${report.error?.message}`);
      expect(frozen).toBeGreaterThan(0);
      expect(report.result).toBe('FAILED');
      expect(report.error?.code).toBe('HOST_UNREACHABLE');
      expect(report.error?.hint).toMatch(/resumes/);
      expect(report.error?.message).toContain('nas-b');
      expect(report.error?.message).toMatch(/stopped answering|timed out|not responding/i);
      expect(failedAfterMs).toBeLessThan(deadLinkBoundMs);
    } finally {
      healPeerLink(a(), b());
    }
    await receiveEnded(b(), name);
    await expectResumed(task, name, replica);
  });
});

describe('destination NAS rebooted mid-transfer', () => {
  it('direct: nas-b reboots → the run fails saying the connection closed; after it is back (same host keys, pool imported) the next run resumes', async () => {
    const name = 'fault-reboot';
    const replica = `backup/${name}-replica/${name}`;
    await seed(name);
    const task = slowTask(name, { transport: direct });
    const hostKeyBefore = await probeHostKey(b().host, b().port);
    let rebooted: { seconds: number } | null = null;
    // The reset button, not `systemctl reboot`: under load a clean reboot took longer to stop sshd than the rest of
    // the stream took to arrive (seen: the run finished). A reset interrupts at once; the source's keepalives notice.
    // It also loses what nas-b had not yet written out (up to one transaction group, 5 s): pressed after 5 MiB, so
    // that some of the stream is on disk and the resume sends less than all of it (at 1 MiB it resent everything).
    const { report, failedAfterMs } = await runWithFault(task, async () => { rebooted = await rebootVm(b(), { how: 'reset' }); }, 5 * MiB);
    console.log(`reboot: failed ${(failedAfterMs / 1000).toFixed(1)} s after the reboot began (${report.error?.message}); nas-b back after ${rebooted!.seconds} s`);
    expect(report.result).toBe('FAILED');
    expect(report.error?.message).toMatch(/nas-b|127\.0\.0\.1/);
    // The same machine came back: the app's pin and nas-a's known_hosts still match.
    expect((await probeHostKey(b().host, b().port)).sha256).toBe(hostKeyBefore.sha256);
    expect((await sshOk(b(), 'root', `zpool list -H -o name,health ${b().pool}`)).trim()).toBe(`${b().pool}\tONLINE`);
    await expectResumed(task, name, replica);
  });
});

describe('destination pool full mid-receive', () => {
  // A pool of its own on nas-b, on a 128 MiB file, filled until ~4 MiB are left: the 8 MiB stream runs out of
  // space half way. The filler is a reservation, not data (writing 120 MiB takes long on an emulated disk): the pool
  // is just as full to a receive. Destroying the filler makes room and the next run resumes.
  const pool = 'zrdfull';
  const file = `/var/tmp/${pool}.img`;
  beforeAll(async () => {
    await sshOk(b(), 'root', `zpool destroy -f ${pool} 2>/dev/null; rm -f ${file}; truncate -s 128M ${file} && zpool create -O compression=off -O mountpoint=/${pool} ${pool} ${file}`);
  });
  afterAll(async () => {
    await sshExec(b(), 'root', `zpool destroy -f ${pool}; rm -f ${file}`);
  });

  /** Leaves about `leftMiB` free in the pool, in a filler dataset that can be destroyed to make room. */
  async function fill(leftMiB: number): Promise<void> {
    await sshOk(b(), 'root', `zfs destroy -r ${pool}/filler 2>/dev/null; avail=$(zfs get -H -p -o value available ${pool}) && ` +
      `zfs create -o refreservation=$((avail - ${leftMiB * MiB})) ${pool}/filler && zfs get -H -p -o value available ${pool}`);
  }

  for (const transport of ['relay', 'direct'] as const) {
    it(`${transport}: a clear "no space" error naming the pool; after space is freed the next run resumes`, async () => {
      const name = `fault-full-${transport}`;
      const replica = `${pool}/${name}-replica/${name}`;
      await seed(name);
      await sshOk(b(), 'root', `zfs destroy -r ${pool}/${name}-replica 2>/dev/null; true`);
      await fill(4);
      const task = bed.task(name, { destinationParent: `${pool}/${name}-replica`, ...(transport === 'direct' ? { transport: direct } : {}) });
      const report = await runReplicationTask(task, deps());
      console.log(`pool full (${transport}): ${report.error?.code}: ${report.error?.message}`);
      expect(report.result).toBe('FAILED');
      expect(report.error?.code).toBe('NO_SPACE');
      expect(report.error?.hint).toMatch(/resumes/);
      expect(report.error?.message).toContain(`"${pool}"`);
      // nas-b as the test bed's runner names it: its login and port.
      expect(report.error?.message).toContain(`${b().port}`);
      await sshOk(b(), 'root', `zfs destroy -r ${pool}/filler`);
      await receiveEnded(b(), name);
      expect(await propertyOf(b(), replica, 'receive_resume_token')).toMatch(/^1-/);
      const resumed = await runReplicationTask(task, deps());
      expect(resumed.error).toBeNull();
      expect(resumed.datasets[0]!.commands[0]).toMatch(/zfs send -t 1-/);
      expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));
      // The replica goes with the pool in afterAll (its snapshot carries the task's hold).
    });
  }
});

describe('the app process killed mid-run', () => {
  const cliPath = path.resolve(import.meta.dirname, '..', '..', 'electron', 'cli', 'zfs-replication.ts');
  let configDir: string;
  beforeAll(() => {
    configDir = mkdtempSync(path.join(tmpdir(), 'zrd-fault-cli-'));
  });
  afterAll(() => rmSync(configDir, { recursive: true, force: true }));

  function cli(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>; stderr: () => string } {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ZRD_CONFIG_DIR: configDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, done, stderr: () => stderr };
  }

  /** The last "N.N MiB" the CLI's --verbose progress line printed (0 before the first). */
  function lastProgressMiB(stderr: string): number {
    const sizes = [...stderr.matchAll(/: ([\d.]+) (B|KiB|MiB|GiB)( of |\s+at )/g)];
    const last = sizes.at(-1);
    if (!last) return 0;
    return Number(last[1]) * ({ B: 1 / MiB, KiB: 1 / 1024, MiB: 1, GiB: 1024 } as const)[last[2] as 'B' | 'KiB' | 'MiB' | 'GiB'];
  }

  it('SIGKILL of a CLI run mid-transfer → no stale lock on the source, the next run resumes and the data matches', async () => {
    const name = 'fault-kill';
    const replica = `backup/${name}-replica/${name}`;
    await seed(name);
    const store = openConfStore(configDir);
    const source = store.saveConnection({ name: 'nas-a', host: a().host, port: a().port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: a().keyPath } });
    const destination = store.saveConnection({ name: 'nas-b', host: b().host, port: b().port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: b().keyPath } });
    for (const [connection, vm] of [[source, a()], [destination, b()]] as const) store.pinHostKey(connection.id, await probeHostKey(vm.host, vm.port));
    const task = store.saveTask({
      name,
      sourceConnectionId: source.id,
      sources: [{ name: `tank/${name}` }],
      destinationConnectionId: destination.id,
      destinationParent: `backup/${name}-replica`,
      transport: { kind: 'relay' },
      selection: { kind: 'all' },
      bandwidthLimitKiBps: limitKiBps,
    });

    // Mid-transfer by the CLI's own progress line (--verbose: "tank/…: 2.1 MiB of 8.0 MiB at …" on stderr), the bytes
    // the relay has passed on. (Polling the replica's `used` on nas-b lagged by a txg sync plus an ssh login per poll:
    // on a loaded CI machine the whole stream had arrived before the kill, and there was nothing left to resume.)
    const first = cli(['run', name, '--verbose']);
    const sentAtKill = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the CLI run never got 2 MiB across in 120 s: ${first.stderr()}`)), 120_000);
      first.child.stderr!.on('data', () => {
        const sent = lastProgressMiB(first.stderr());
        if (sent >= 2) { clearTimeout(timer); resolve(sent); }
      });
      first.child.on('close', () => { clearTimeout(timer); reject(new Error(`the CLI run ended before 2 MiB: ${first.stderr()}`)); });
    });
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    console.log(`CLI killed after ${sentAtKill.toFixed(1)} MiB of ${dataMiB} MiB`);

    // The lock on the source lives only as long as the dead process's ssh channel: free within seconds, and its
    // owner line (what "busy" messages and the doctor show) removed with it.
    const lock = remoteLockPath(task.id);
    const lockDeadline = Date.now() + 30_000;
    while ((await sshExec(a(), 'root', `flock -n ${lock} true && ! test -e ${lock}.owner`, { reuse: false })).code !== 0) {
      if (Date.now() > lockDeadline) throw new Error(`${lock} still held (or its owner line left) on nas-a 30 s after the run was killed: a stale lock`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await receiveEnded(b(), name);

    const status = cli(['status', '--json']);
    const statusOut = await status.done;
    expect(statusOut.code).toBe(0);
    expect(statusOut.stdout).not.toContain('RUNNING');

    expect(await snapshotsOf(b(), replica), 'the stream completed before the kill: nothing was interrupted').toEqual([]);
    expect(await propertyOf(b(), replica, 'receive_resume_token')).toMatch(/^1-/);
    store.saveTask({ ...task, bandwidthLimitKiBps: null });
    const second = cli(['run', name, '--json']);
    const out = await second.done;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/zfs send -t 1-/);
    expect(await propertyOf(b(), replica, 'receive_resume_token')).toBe('-');
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), `tank/${name}`, 'data.bin'));
  });
});
