// Not a test: `node bench/replication.bench.ts` boots the two NAS VMs (test/nas/testbed.ts), measures, prints
// ratios and stops the VMs (also on error or Ctrl-C).
//
//  1. Throughput of one full send of the same random data: a raw OpenSSH pipe run from this machine
//     (`ssh nas-a zfs send | ssh nas-b zfs recv`, the baseline) against our engine in relay mode and in direct
//     mode. Goals: relay >= 0.95 and direct >= 0.98 of the raw throughput.
//  2. Wall time to replicate 100 small incremental snapshots (one engine run) with our engine against
//     syncoid (from Debian's sanoid package, unpacked into the cache by test/nas/syncoid.ts: nothing is installed on
//     this machine) on the same datasets, reset to the same state between runs.
//     Goal: ours / syncoid <= 0.5.
//
// Contenders alternate within each round (and the order rotates between rounds), so noise hits all of them alike.
// The VMs run under qemu TCG: absolute figures say little about real hardware, the ratios are what count.
// Other engineers' VMs on the same two cores distort everything: the script first waits (up to BENCH_WAIT_S,
// default 600 s) until no qemu-system process but its own runs, and marks every run during which one did.
//
// Besides wall time, every run records the CPU time our two qemu processes used (utime+stime from /proc): the
// guests' ssh crypto and zfs work, the bottleneck under TCG. It is far less sensitive to other VMs than wall time,
// so when the machine is shared the CPU ratios are the ones to read.
//
// Knobs (environment): BENCH_ROUNDS (3), BENCH_MIB (64), BENCH_SNAPSHOTS (100), BENCH_WAIT_S (600),
// BENCH_BUDGET_MIN (10: after this many minutes of measuring, incremental rounds after the first are skipped),
// BENCH_TRACE (1: print every remote command of our runs with its start and end, in seconds since the bench began).

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { runReplicationTask, type EngineEvent, type EngineNas, type RunReport } from '../electron/services/replication/replication-engine.ts';
import type { CommandRunner } from '../electron/services/ssh/command-runner.ts';
import { InMemoryHostKeyTrust } from '../electron/services/ssh/host-key.ts';
import { nasToNasSshArgv } from '../electron/services/ssh/key-exchange.ts';
import { createSshServices, type SshConnectionSettings, type SshServices } from '../electron/services/ssh/ssh-services.ts';
import { probeCapabilities } from '../electron/services/zfs/capabilities.ts';
import type { ZfsHost } from '../electron/services/zfs/zfs-host.ts';
import { ReplicationTaskSchema, type ReplicationTask, type ReplicationTaskInput } from '../shared/task-schemas.ts';
import { ensureSyncoid } from '../test/nas/syncoid.ts';
import { bootTestbed, sshOk, type Testbed, type VmInfo } from '../test/nas/testbed.ts';
import { qemuCpuSeconds } from './vm-cpu.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SIZE_MIB = Number(process.env.BENCH_MIB || 64);
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS || 100);
const WAIT_S = Number(process.env.BENCH_WAIT_S ?? 600);
const BUDGET_MIN = Number(process.env.BENCH_BUDGET_MIN || 10);
const TRACE = process.env.BENCH_TRACE === '1';
const GOALS = { relay: 0.95, direct: 0.98, incremental: 0.5 };
const COMMAND = 'export PATH=/opt/node24/node_modules/.bin:$PATH && node bench/replication.bench.ts';

const t0 = Date.now();
const clock = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const say = (message: string) => console.log(`[${clock()}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// ---------------------------------------------------------------------------------------------------------------
// Other qemu processes on this machine

let ourQemu = new Set<number>();

function foreignQemu(): Array<{ pid: number; name: string }> {
  const found: Array<{ pid: number; name: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || ourQemu.has(pid)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    // The program itself, not a shell or pgrep whose arguments mention it.
    if (!/(^|\/)qemu-system[^/]*$/.test(argv[0] ?? '')) continue;
    const nameAt = argv.indexOf('-name');
    found.push({ pid, name: nameAt >= 0 ? (argv[nameAt + 1] ?? '?') : '?' });
  }
  return found;
}

/** Waits until no foreign qemu runs, at most `budgetMs`. Returns the ms it waited and whether the machine is quiet. */
async function waitForQuiet(budgetMs: number, why: string): Promise<{ waitedMs: number; quiet: boolean }> {
  const started = Date.now();
  let lastSaid = 0;
  for (;;) {
    const others = foreignQemu();
    if (others.length === 0) return { waitedMs: Date.now() - started, quiet: true };
    const waited = Date.now() - started;
    if (waited >= budgetMs) {
      say(`still ${others.length} other qemu process(es) after ${f1(waited / 1000)} s: measuring anyway (figures are distorted; see the summary)`);
      return { waitedMs: waited, quiet: false };
    }
    if (Date.now() - lastSaid >= 30_000) {
      lastSaid = Date.now();
      say(`waiting ${why}: other qemu-system processes run on this machine (${others.map((o) => `${o.name} pid ${o.pid}`).join(', ')}); ` +
        `they share the 2 cores with ours and would distort the figures (${f1(waited / 1000)} of at most ${f1(budgetMs / 1000)} s waited)`);
    }
    await sleep(2000);
  }
}

const ourQemuCpuSeconds = (): number => qemuCpuSeconds(ourQemu);

/** Samples the process table while a contender runs: did any foreign qemu run meanwhile? */
function contentionWatch(): { stop(): boolean } {
  let seen = foreignQemu().length > 0;
  const timer = setInterval(() => {
    if (!seen && foreignQemu().length > 0) seen = true;
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      return seen || foreignQemu().length > 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Processes on this machine

function runLocal(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: stderr + String(e) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

async function runLocalOk(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await runLocal(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------------------------
// OpenSSH from this machine: one config naming both VMs (syncoid has one --sshport for both ends, so the ports
// must come from the config), and a wrapper `ssh` first on syncoid's PATH that passes it.

interface OpenSsh {
  dir: string;
  config: string;
  env: NodeJS.ProcessEnv;
  /** `ssh` words for a raw command over a persistent master connection (no handshake inside a timed run). */
  muxed(host: 'nas-a' | 'nas-b'): string;
  close(): void;
}

async function openSshSetup(a: VmInfo, b: VmInfo): Promise<OpenSsh> {
  const dir = mkdtempSync(join(tmpdir(), 'zrd-bench-'));
  const config = join(dir, 'ssh_config');
  writeFileSync(
    config,
    [
      `Host nas-a`, `  HostName ${a.host}`, `  Port ${a.port}`,
      `Host nas-b`, `  HostName ${b.host}`, `  Port ${b.port}`,
      `Host *`,
      `  User root`,
      `  IdentityFile ${a.keyPath}`,
      `  IdentitiesOnly yes`,
      `  StrictHostKeyChecking no`,
      `  UserKnownHostsFile /dev/null`,
      `  BatchMode yes`,
      `  LogLevel ERROR`,
      `  ConnectTimeout 30`,
      `  ServerAliveInterval 15`,
      // The cipher the app's ssh2 stack prefers too (the cheapest one in a TCG guest): same crypto for both.
      `  Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr`,
      `  KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256`,
      '',
    ].join('\n'),
  );
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${q(config)} "$@"\n`);
  chmodSync(join(bin, 'ssh'), 0o755);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  const sock = (host: string) => join(dir, `${host}.sock`);
  for (const host of ['nas-a', 'nas-b']) {
    await runLocalOk('ssh', ['-F', config, '-o', 'ControlMaster=yes', '-o', `ControlPath=${sock(host)}`, '-o', 'ControlPersist=300', '-f', '-N', host]);
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const host of ['nas-a', 'nas-b']) spawnSync('ssh', ['-F', config, '-o', `ControlPath=${sock(host)}`, '-O', 'exit', host], { stdio: 'ignore', timeout: 5000 });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', close);
  return {
    dir,
    config,
    env,
    muxed: (host) => `ssh -F ${q(config)} -o ControlMaster=no -o ControlPath=${q(sock(host))} ${host}`,
    close,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The app's ssh stack and engine

interface AppSide {
  services: SshServices;
  nas(connectionId: string): Promise<EngineNas>;
  close(): Promise<void>;
}

/** BENCH_TRACE=1: every remote command of our runs, with when it started and ended (where a run's time goes). */
function traced(runner: CommandRunner, label: string): CommandRunner {
  return new Proxy(runner, {
    get(target, prop, receiver) {
      if (prop !== 'run') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<CommandRunner['run']>) => {
        const at = () => ((Date.now() - t0) / 1000).toFixed(2);
        const started = at();
        try {
          return await target.run(...args);
        } finally {
          say(`  ${label} [${started} .. ${at()}] ${args[0].join(' ').replace(/\s+/g, ' ').slice(0, 120)}`);
        }
      };
    },
  });
}

/** What the CLI does in one process: pooled runners, capabilities probed once per NAS, lazily. */
function appSide(trust: InMemoryHostKeyTrust, connections: Map<string, { connection: SshConnectionSettings; label: string }>): AppSide {
  const configDir = mkdtempSync(join(tmpdir(), 'zrd-bench-app-'));
  const removeDir = () => rmSync(configDir, { recursive: true, force: true });
  process.on('exit', removeDir); // Ctrl-C: the test bed's handler exits without unwinding
  const services = createSshServices({ configDir, trust, connectTimeoutMs: () => 60_000, idleTimeoutMs: 0 });
  const hosts = new Map<string, Promise<ZfsHost>>();
  return {
    services,
    async nas(connectionId) {
      const entry = connections.get(connectionId);
      if (!entry) throw new Error(`unknown connection ${connectionId}`);
      let host = hosts.get(connectionId);
      if (!host) {
        const runner = TRACE ? traced(services.runnerFor(entry.connection), entry.label) : services.runnerFor(entry.connection);
        host = probeCapabilities(runner, { timeoutMs: 120_000 }).then((capabilities) => ({ runner, capabilities }));
        hosts.set(connectionId, host);
      }
      return { host: await host, privilege: entry.connection.privilege, label: entry.label };
    },
    async close() {
      await services.closeAll();
      rmSync(configDir, { recursive: true, force: true });
      process.removeListener('exit', removeDir);
    },
  };
}

interface EngineRun {
  seconds: number;
  transferSeconds: number;
  report: RunReport;
}

async function runEngine(task: ReplicationTask, side: AppSide): Promise<EngineRun> {
  let transferSeconds = 0;
  const logs: string[] = [];
  const emit = (event: EngineEvent) => {
    if (event.kind !== 'log') return;
    logs.push(`${event.level}: ${event.message}`);
    const m = /send .* bytes in ([\d.]+) s\.$/.exec(event.message);
    if (m) transferSeconds += Number(m[1]);
  };
  const started = performance.now();
  const report = await runReplicationTask(task, { nas: (id) => side.nas(id), emit, by: 'bench' });
  const seconds = (performance.now() - started) / 1000;
  if (report.result !== 'FINISHED') throw new Error(`engine run of ${task.name} ${report.result}: ${JSON.stringify(report.error)}\n${logs.join('\n')}`);
  return { seconds, transferSeconds, report };
}

// ---------------------------------------------------------------------------------------------------------------
// ZFS state on the VMs

/** Releases every hold on the snapshots of `dataset` (the engine holds the newest common pair). */
const releaseAllHolds = (dataset: string) =>
  `snaps=$(zfs list -H -o name -t snapshot -d 1 ${q(dataset)} 2>/dev/null); ` +
  `[ -z "$snaps" ] || zfs holds -H $snaps | while IFS="$(printf '\\t')" read -r snap tag rest; do zfs release "$tag" "$snap"; done; true`;

const guidOf = async (vm: VmInfo, name: string) => (await sshOk(vm, 'root', `zfs get -H -p -o value guid ${q(name)}`)).trim();

// ---------------------------------------------------------------------------------------------------------------

interface Sample {
  contender: string;
  round: number;
  seconds: number;
  transferSeconds?: number;
  /** CPU seconds our two qemu processes used during the run. */
  vmCpu: number;
  contended: boolean;
}

async function main(): Promise<void> {
  say(`replication bench: ${ROUNDS} round(s), ${SIZE_MIB} MiB full send, ${SNAPSHOTS} incremental snapshots`);
  const budgetMs = WAIT_S * 1000;
  const preWait = await waitForQuiet(budgetMs, 'before booting');
  if (preWait.quiet && preWait.waitedMs > 0) say(`the machine is quiet after ${f1(preWait.waitedMs / 1000)} s`);

  const tb: Testbed = await bootTestbed({ log: (m) => say(`[nas] ${m}`) });
  ourQemu = new Set(tb.vms.map((v) => v.pid));
  let openssh: OpenSsh | null = null;
  const sides: AppSide[] = [];
  try {
    // After the boot: the image build's package lists are the fallback source of syncoid's packages.
    const syncoid = ensureSyncoid((m) => say(`[syncoid] ${m}`));
    const a = tb.vms.find((v) => v.name === 'nas-a')!;
    const b = tb.vms.find((v) => v.name === 'nas-b')!;

    // --- the app's connections: host keys pinned once, trusted by every later (cold) session -------------------
    const trust = new InMemoryHostKeyTrust();
    const source: SshConnectionSettings = { id: randomUUID(), host: a.host, port: a.port, username: 'root', auth: { kind: 'key-file', keyPath: a.keyPath }, privilege: 'root' };
    const destination: SshConnectionSettings = { id: randomUUID(), host: b.host, port: b.port, username: 'root', auth: { kind: 'key-file', keyPath: b.keyPath }, privilege: 'root' };
    const connections = new Map([
      [source.id, { connection: source, label: 'root@nas-a' }],
      [destination.id, { connection: destination, label: 'root@nas-b' }],
    ]);
    const warm = appSide(trust, connections);
    sides.push(warm);
    for (const c of [source, destination]) {
      const probed = await warm.services.probeHostKey(c.host, c.port);
      await warm.services.confirmHostKey(c, probed.sha256);
    }
    const trustResult = await warm.services.establishNasToNasTrust(source, destination, { host: 'nas-b', port: 22 });
    say(`direct mode: nas-a trusts nas-b (${trustResult.sshCommand.join(' ')})`);
    const [relayCipher, directCipher] = await Promise.all([
      warm.services.testConnection(source).then((t) => t.cipher ?? '?'),
      // The cipher nas-a's ssh negotiates with nas-b given the engine's own NAS-to-NAS options.
      sshOk(a, 'root', `${['ssh', '-v', ...nasToNasSshArgv('root', { host: 'nas-b', port: 22 }).slice(1), 'true'].map(q).join(' ')} 2>&1 | sed -n 's/.*kex: client->server cipher: \\([^ ]*\\).*/\\1/p' | head -n 1`).then((s) => s.trim() || '?'),
    ]);
    await Promise.all([warm.nas(source.id), warm.nas(destination.id)]);

    openssh = await openSshSetup(a, b);
    const task = (name: string, overrides: Partial<ReplicationTaskInput> = {}) =>
      ReplicationTaskSchema.parse({
        id: randomUUID(),
        name,
        sourceConnectionId: source.id,
        sources: [{ name: `tank/${name}`, recursive: false }],
        destinationConnectionId: destination.id,
        destinationParent: `backup/${name}-replica`,
        transport: { kind: 'relay' },
        selection: { kind: 'all' },
        ...overrides,
      });

    // =========================================================================================================
    // 1. Throughput
    const tp = 'tp';
    const tpSnapshot = `tank/${tp}@s`;
    say(`writing ${SIZE_MIB} MiB of random data to tank/${tp} on nas-a`);
    await sshOk(b, 'root', `zfs destroy -r -f backup/${tp}-raw backup/${tp}-replica 2>/dev/null; zfs create backup/${tp}-replica; true`);
    await sshOk(a, 'root', `zfs destroy -r -f tank/${tp} 2>/dev/null; set -e; zfs create tank/${tp}; head -c ${SIZE_MIB}M /dev/urandom > /tank/${tp}/data.bin; zfs snapshot ${tpSnapshot}`, { timeoutMs: 600_000 });
    const sourceGuid = await guidOf(a, tpSnapshot);
    const streamBytes = Number((await sshOk(a, 'root', `zfs send -n -P ${tpSnapshot} 2>&1 | sed -n 's/^size[[:space:]]*//p'`)).trim());
    // Warm the source's ARC alike for everybody: the first reader would otherwise pay for the disk.
    await sshOk(a, 'root', `zfs send ${tpSnapshot} > /dev/null`, { timeoutMs: 600_000 });
    say(`stream: ${streamBytes} bytes (${f1(streamBytes / 2 ** 20)} MiB)`);

    const relayTask = task(tp);
    const directTask = task(tp, { transport: { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'root' } });
    const replica = `backup/${tp}-replica/${tp}`;
    const resetThroughput = async () => {
      await sshOk(a, 'root', releaseAllHolds(`tank/${tp}`));
      await sshOk(b, 'root', `${releaseAllHolds(replica)}; zfs destroy -r ${q(replica)} 2>/dev/null; zfs destroy -r backup/${tp}-raw 2>/dev/null; zpool wait -t free backup; sync`, { timeoutMs: 300_000 });
    };
    const rawCommand = `${openssh.muxed('nas-a')} ${q(`zfs send ${tpSnapshot}`)} | ${openssh.muxed('nas-b')} ${q(`zfs recv -u backup/${tp}-raw`)}`;
    const throughputContenders: Record<string, () => Promise<{ seconds: number; transferSeconds?: number; received: string }>> = {
      raw: async () => {
        const started = performance.now();
        await runLocalOk('bash', ['-o', 'pipefail', '-c', rawCommand]);
        return { seconds: (performance.now() - started) / 1000, received: `backup/${tp}-raw@s` };
      },
      relay: async () => {
        const r = await runEngine(relayTask, warm);
        return { seconds: r.seconds, transferSeconds: r.transferSeconds, received: `${replica}@s` };
      },
      direct: async () => {
        const r = await runEngine(directTask, warm);
        return { seconds: r.seconds, transferSeconds: r.transferSeconds, received: `${replica}@s` };
      },
    };

    const wait1 = await waitForQuiet(Math.max(0, budgetMs - preWait.waitedMs), 'before measuring');
    const measuringSince = Date.now();
    const samples: Sample[] = [];
    const order = Object.keys(throughputContenders);
    for (let round = 1; round <= ROUNDS; round++) {
      const rotated = order.map((_, i) => order[(i + round - 1) % order.length]!);
      for (const contender of rotated) {
        await resetThroughput();
        const watch = contentionWatch();
        const cpuBefore = ourQemuCpuSeconds();
        const r = await throughputContenders[contender]!();
        const vmCpu = ourQemuCpuSeconds() - cpuBefore;
        const contended = watch.stop();
        const guid = await guidOf(b, r.received);
        if (guid !== sourceGuid) throw new Error(`${contender}: ${r.received} has guid ${guid}, the source snapshot ${sourceGuid}`);
        samples.push({ contender, round, seconds: r.seconds, ...(r.transferSeconds ? { transferSeconds: r.transferSeconds } : {}), vmCpu, contended });
        say(`throughput round ${round} ${contender.padEnd(6)} ${f1(r.seconds)} s (${f2(streamBytes / 1e6 / r.seconds)} MB/s)` +
          `${r.transferSeconds ? `, transfer alone ${f1(r.transferSeconds)} s` : ''}, VM CPU ${f1(vmCpu)} s${contended ? '  [another qemu was running]' : ''}`);
      }
    }
    await resetThroughput();
    await sshOk(a, 'root', `zfs destroy -r tank/${tp}`);

    // =========================================================================================================
    // 2. 100 small incremental snapshots: ours against syncoid
    const inc = 'inc';
    const incSource = `tank/${inc}`;
    const incReplica = `backup/${inc}-replica/${inc}`;
    const incTask = task(inc);
    const pad = (i: number) => `s${String(i).padStart(3, '0')}`;
    await sshOk(b, 'root', `zfs destroy -r -f backup/${inc}-replica 2>/dev/null; true`);
    await sshOk(a, 'root', `zfs destroy -r -f ${incSource} 2>/dev/null; set -e; zfs create ${incSource}; head -c 65536 /dev/urandom > /${incSource}/f; zfs snapshot ${incSource}@${pad(0)}`);
    const initial = await runEngine(incTask, warm);
    say(`incremental: initial full of ${incSource}@${pad(0)} replicated (${f1(initial.seconds)} s)`);
    const started = performance.now();
    await sshOk(
      a,
      'root',
      `set -e; i=1; while [ $i -le ${SNAPSHOTS} ]; do echo "change $i" >> /${incSource}/f; zfs snapshot ${incSource}@s$(printf %03d $i); i=$((i+1)); done`,
      { timeoutMs: 900_000 },
    );
    say(`created ${SNAPSHOTS} snapshots on nas-a in ${f1((performance.now() - started) / 1000)} s`);
    const newest = pad(SNAPSHOTS);
    const newestGuid = await guidOf(a, `${incSource}@${newest}`);
    // The same starting state for every contender: the replica at s000 only, no holds on either side.
    const resetIncremental = async () => {
      await sshOk(a, 'root', releaseAllHolds(incSource));
      await sshOk(
        b,
        'root',
        `${releaseAllHolds(incReplica)}; zfs destroy ${q(`${incReplica}@${pad(1)}%${newest}`)} 2>/dev/null; ` +
          `zfs rollback -r ${q(`${incReplica}@${pad(0)}`)} && zpool wait -t free backup && [ "$(zfs list -H -t snapshot -d 1 -o name ${q(incReplica)} | wc -l)" = 1 ]`,
        { timeoutMs: 300_000 },
      );
    };
    const syncoidArgs = ['--no-sync-snap', `root@nas-a:${incSource}`, `root@nas-b:${incReplica}`];
    const syncoidShown = `PATH=<syncoid's unpacked packages>:<dir with an ssh wrapper adding -F ssh_config>:$PATH syncoid ${syncoidArgs.join(' ')}`;
    let syncoidOutput = '';
    const incContenders: Record<string, () => Promise<{ seconds: number; transferSeconds?: number; steps?: string }>> = {
      // A fresh process's worth of state: new ssh connections (handshakes) and capability probes, like a CLI run.
      'ours-cold': async () => {
        const cold = appSide(trust, connections);
        sides.push(cold);
        try {
          const r = await runEngine(incTask, cold);
          const plan = r.report.datasets[0]?.plan;
          return { seconds: r.seconds, transferSeconds: r.transferSeconds, steps: plan?.status === 'ready' ? plan.steps.map((s) => s.kind).join(',') : plan?.status ?? '?' };
        } finally {
          await cold.close();
          sides.splice(sides.indexOf(cold), 1);
        }
      },
      syncoid: async () => {
        const t = performance.now();
        const r = await runLocal(syncoid.command, syncoidArgs, syncoid.env(openssh!.env));
        const seconds = (performance.now() - t) / 1000;
        syncoidOutput = `${r.stdout}${r.stderr}`;
        if (r.code !== 0) throw new Error(`syncoid exited ${r.code}:\n${syncoidOutput.slice(-3000)}`);
        return { seconds };
      },
      // The app's scheduler: connections already open, capabilities known.
      'ours-warm': async () => {
        const r = await runEngine(incTask, warm);
        return { seconds: r.seconds, transferSeconds: r.transferSeconds };
      },
    };
    const incOrder = Object.keys(incContenders);
    const wait2 = await waitForQuiet(Math.max(0, budgetMs - preWait.waitedMs - wait1.waitedMs), 'before measuring the incrementals');
    let incRounds = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const minutes = (Date.now() - measuringSince) / 60_000;
      if (round > 1 && minutes > BUDGET_MIN) {
        say(`skipping incremental rounds ${round}..${ROUNDS}: ${f1(minutes)} min of measuring so far, over BENCH_BUDGET_MIN=${BUDGET_MIN}`);
        break;
      }
      incRounds = round;
      const rotated = incOrder.map((_, i) => incOrder[(i + round - 1) % incOrder.length]!);
      for (const contender of rotated) {
        await resetIncremental();
        const watch = contentionWatch();
        const cpuBefore = ourQemuCpuSeconds();
        const r = await incContenders[contender]!();
        const vmCpu = ourQemuCpuSeconds() - cpuBefore;
        const contended = watch.stop();
        const guid = await guidOf(b, `${incReplica}@${newest}`);
        if (guid !== newestGuid) throw new Error(`${contender}: ${incReplica}@${newest} has guid ${guid}, the source ${newestGuid}`);
        const count = (await sshOk(b, 'root', `zfs list -H -t snapshot -d 1 -o name ${q(incReplica)} | wc -l`)).trim();
        if (Number(count) !== SNAPSHOTS + 1) throw new Error(`${contender}: ${count} snapshots on the replica, expected ${SNAPSHOTS + 1}`);
        samples.push({ contender, round, seconds: r.seconds, ...(r.transferSeconds ? { transferSeconds: r.transferSeconds } : {}), vmCpu, contended });
        say(`incremental round ${round} ${contender.padEnd(9)} ${f1(r.seconds)} s${r.transferSeconds ? ` (stream ${f1(r.transferSeconds)} s)` : ''}` +
          `, VM CPU ${f1(vmCpu)} s${r.steps ? ` [steps: ${r.steps}]` : ''}${contended ? '  [another qemu was running]' : ''}`);
      }
    }
    say(`syncoid's last output:\n${syncoidOutput.trim().split('\n').slice(-6).map((l) => `    ${l}`).join('\n')}`);

    // =========================================================================================================
    // Summary
    const of = (contender: string) => samples.filter((s) => s.contender === contender);
    const med = (contender: string) => median(of(contender).map((s) => s.seconds));
    const list = (contender: string) => of(contender).map((s) => `${f1(s.seconds)}${s.contended ? '*' : ''}`).join(' ');
    const cpu = (contender: string) => median(of(contender).map((s) => s.vmCpu));
    const cpuList = (contender: string) => of(contender).map((s) => f1(s.vmCpu)).join(' ');
    const mbps = (contender: string) => streamBytes / 1e6 / med(contender);
    const relayRatio = med('raw') / med('relay');
    const directRatio = med('raw') / med('direct');
    const relayTransfer = med('raw') / median(of('relay').map((s) => s.transferSeconds ?? s.seconds));
    const directTransfer = med('raw') / median(of('direct').map((s) => s.transferSeconds ?? s.seconds));
    const coldRatio = med('ours-cold') / med('syncoid');
    const warmRatio = med('ours-warm') / med('syncoid');
    const relayCpuRatio = cpu('raw') / cpu('relay');
    const directCpuRatio = cpu('raw') / cpu('direct');
    const coldCpuRatio = cpu('ours-cold') / cpu('syncoid');
    const warmCpuRatio = cpu('ours-warm') / cpu('syncoid');
    const anyContended = samples.some((s) => s.contended);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const peaks = tb.peakRssMiB();

    const lines = [
      '',
      '================================ replication bench: summary ================================',
      `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${f1(totalmem() / 2 ** 30)} GiB; VMs under qemu TCG (no KVM), ` +
        `-smp 2, 768 MiB each, OpenZFS ${tb.image.zfsVersion}, kernel ${tb.image.kernelAbi}; ${process.version}; ` +
        `${spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim()}; syncoid ${syncoid.version}.`,
      `Absolute numbers are TCG numbers (ssh crypto inside the guests is the bottleneck): compare ratios only.`,
      `VM CPU = CPU seconds our two qemu processes used during a run; it moves much less than wall time when other VMs share the cores.`,
      `"by VM CPU" ratios use it in place of wall time (throughput: raw CPU / ours; incremental: ours / syncoid).`,
      `Peak qemu RSS: ${Object.entries(peaks).map(([n, m]) => `${n} ${m} MiB`).join(', ')}. Boot ${tb.bootSeconds} s.`,
      `Other qemu processes: ${preWait.waitedMs > 0 || wait1.waitedMs > 0 || wait2.waitedMs > 0 ? `waited ${f1((preWait.waitedMs + wait1.waitedMs + wait2.waitedMs) / 1000)} s for them; ` : ''}` +
        `${anyContended ? `present during the runs marked * below: THOSE FIGURES ARE DISTORTED` : 'none during any measured run'}.`,
      '',
      `1. Full send of ${f1(streamBytes / 2 ** 20)} MiB of random data, nas-a -> nas-b, ${ROUNDS} round(s), seconds per run (median, then each run):`,
      `   raw OpenSSH pipe   ${f1(med('raw')).padStart(6)} s  ${f2(mbps('raw')).padStart(6)} MB/s   runs: ${list('raw')}   VM CPU s: ${cpuList('raw')}`,
      `   ours, relay        ${f1(med('relay')).padStart(6)} s  ${f2(mbps('relay')).padStart(6)} MB/s   runs: ${list('relay')}   VM CPU s: ${cpuList('relay')}`,
      `   ours, direct       ${f1(med('direct')).padStart(6)} s  ${f2(mbps('direct')).padStart(6)} MB/s   runs: ${list('direct')}   VM CPU s: ${cpuList('direct')}`,
      `   relay/raw throughput  ${f2(relayRatio)}  (goal >= ${GOALS.relay}: ${verdict(relayRatio >= GOALS.relay)}); the stream alone, without planning and holds: ${f2(relayTransfer)}; by VM CPU: ${f2(relayCpuRatio)}`,
      `   direct/raw throughput ${f2(directRatio)}  (goal >= ${GOALS.direct}: ${verdict(directRatio >= GOALS.direct)}); the stream alone: ${f2(directTransfer)}; by VM CPU: ${f2(directCpuRatio)}`,
      `   Raw = \`ssh nas-a 'zfs send ${tpSnapshot}' | ssh nas-b 'zfs recv -u backup/${tp}-raw'\` over already-open master connections (no handshake timed),`,
      `   cipher ${relayCipher} like the app's relay connections; ours = a whole engine run (lock, listing, estimate, send, holds) on open connections.`,
      `   Direct: nas-a's own OpenSSH to nas-b (the engine's ssh options; cipher negotiated: ${directCipher}), through qemu's guestfwd + socat on this machine.`,
      '',
      `2. ${SNAPSHOTS} small incremental snapshots (replica at ${pad(0)}, reset between runs), ${incRounds} round(s), seconds per run:`,
      `   syncoid            ${f1(med('syncoid')).padStart(6)} s   runs: ${list('syncoid')}   VM CPU s: ${cpuList('syncoid')}`,
      `   ours, cold         ${f1(med('ours-cold')).padStart(6)} s   runs: ${list('ours-cold')}   VM CPU s: ${cpuList('ours-cold')}   (new ssh connections + capability probe, like a CLI run)`,
      `   ours, warm         ${f1(med('ours-warm')).padStart(6)} s   runs: ${list('ours-warm')}   VM CPU s: ${cpuList('ours-warm')}   (the app's open connections)`,
      `   ours/syncoid       ${f2(coldRatio)} cold, ${f2(warmRatio)} warm  (goal <= ${GOALS.incremental}: ${verdict(coldRatio <= GOALS.incremental)} cold, ${verdict(warmRatio <= GOALS.incremental)} warm); by VM CPU: ${f2(coldCpuRatio)} cold, ${f2(warmCpuRatio)} warm`,
      `   syncoid: ${syncoidShown}`,
      `   (both relay through this machine; ours sends the -I stream (its last snapshot as its own -i with -p) in one engine run; syncoid defaults: lzop + mbuffer + pv).`,
      '',
      `Reproduce: ${COMMAND}`,
      `           (this run: BENCH_ROUNDS=${ROUNDS} BENCH_MIB=${SIZE_MIB} BENCH_SNAPSHOTS=${SNAPSHOTS} BENCH_WAIT_S=${WAIT_S} BENCH_BUDGET_MIN=${BUDGET_MIN}; ` +
        `${f1((Date.now() - t0) / 60_000)} min in all, ${f1((Date.now() - measuringSince) / 60_000)} min measuring)`,
      '=============================================================================================',
    ];
    console.log(lines.join('\n'));
  } finally {
    for (const side of sides) await side.close().catch(() => undefined);
    openssh?.close();
    await tb.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[${clock()}] bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
