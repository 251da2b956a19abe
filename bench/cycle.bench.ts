// Not a test: `node bench/cycle.bench.ts` measures the cron cycle (issue 17) in one alternating run and prints
// medians, ratios, ssh sessions per cycle and the CPU seconds the two NAS VMs used.
//
//  1. No-op, 1 dataset (nothing new on the source since the last run), BENCH_NOOP_ROUNDS rounds (5), median:
//     ours = a new CLI process per cycle, as cron starts it (`bin/zfs-replication.mjs run`, from the CLI bundle),
//     syncoid (`syncoid --no-sync-snap`, relaying through this machine like ours), and the raw floor: one fresh
//     ssh per side, the listing alone (both at once).
//  2. A fleet of BENCH_FLEET datasets (30: a parent and its children, 64 KiB each), one new snapshot each
//     (64 KiB of new data), one round: ours relay, ours direct (NAS to NAS), syncoid -r, and the raw floor: one
//     ssh master connection per side (its handshake timed) and a per-dataset loop of `zfs send -i | zfs recv`
//     over it; and the same streams batched: one source shell sending them all, piped to one destination shell
//     receiving them one after another (one channel per side). Every contender starts from the same state (replicas at @s1, the source at @s2), checked after.
//
// Sessions: ours = the remote commands of the cycle in the CLI's app log (each one ssh channel on one pooled
// connection per NAS); syncoid = its ssh invocations (an ssh wrapper on its PATH counts them); raw = by
// construction. Contenders alternate (the order rotates between rounds); the VMs run under qemu TCG, so only the
// ratios say something. A run during which another qemu (someone else's VMs) ran is marked *.
//
// Uses the VM pair of ZRD_TESTBED_FILE when set (`node test/nas/nas.ts up --detach --info-file F`), else boots
// one and stops it at the end. Knobs: BENCH_NOOP_ROUNDS (5), BENCH_FLEET (30), BENCH_FLEET_ROUNDS (1),
// BENCH_DATASET_PREFIX ('': tank/noop, tank/fleet; set it on a VM pair others use).

import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { holdTagOf } from '../electron/services/replication/hold-tags.ts';
import { probeHostKey } from '../electron/services/ssh/probe-host-key.ts';
import { openConfStore } from '../electron/services/store/open-conf-store.ts';
import type { ReplicationTask } from '../shared/task-schemas.ts';
import { connectionTo, sshApp } from '../test/integration/support/ssh-app.ts';
import { ensureSyncoid } from '../test/nas/syncoid.ts';
import { sshOk, useOrBootTestbed, type VmInfo } from '../test/nas/testbed.ts';
import { qemuCpuSeconds } from './vm-cpu.ts';

const NOOP_ROUNDS = Number(process.env.BENCH_NOOP_ROUNDS || 5);
const FLEET = Number(process.env.BENCH_FLEET || 30);
const FLEET_ROUNDS = Number(process.env.BENCH_FLEET_ROUNDS || 1);
/** Prefix of the bench's dataset names (tank/<P>noop, tank/<P>fleet, ...): runs on a VM pair others share must not collide. */
const P = process.env.BENCH_DATASET_PREFIX ?? '';
const root = resolve(import.meta.dirname, '..');
const cliBin = join(root, 'bin', 'zfs-replication.mjs');

const t0 = Date.now();
const say = (message: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${message}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// ---- this machine: processes, other VMs, the VMs' CPU ----------------------------------------------------------

function runLocal(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => done({ code: 127, stdout, stderr: stderr + String(e) }));
    child.on('close', (code, signal) => done({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

async function runLocalOk(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await runLocal(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

let ourQemu = new Set<number>();
const foreignQemu = () =>
  readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry) || ourQemu.has(Number(entry))) return false;
    try {
      return /(^|\/)qemu-system[^/]*$/.test(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0] ?? '');
    } catch {
      return false;
    }
  }).length;

const vmCpuSeconds = (): number => qemuCpuSeconds(ourQemu);

interface Sample {
  cycle: string;
  contender: string;
  seconds: number;
  vmCpu: number;
  sessions: string;
  contended: boolean;
  /** Ours: where the time went (from the app log). */
  detail?: string;
}

/** Times one contender's cycle: wall seconds, the VMs' CPU seconds, whether another qemu ran meanwhile. */
async function measure(cycle: string, contender: string, body: () => Promise<{ sessions: string; detail?: string }>): Promise<Sample> {
  let contended = foreignQemu() > 0;
  const timer = setInterval(() => (contended ||= foreignQemu() > 0), 1000);
  const cpuBefore = vmCpuSeconds();
  const started = performance.now();
  try {
    const { sessions, detail } = await body();
    const sample: Sample = { cycle, contender, seconds: (performance.now() - started) / 1000, vmCpu: vmCpuSeconds() - cpuBefore, sessions, contended: contended || foreignQemu() > 0, ...(detail ? { detail } : {}) };
    say(`${cycle} ${contender.padEnd(12)} ${f1(sample.seconds).padStart(6)} s, VM CPU ${f1(sample.vmCpu)} s, sessions ${sessions}${sample.contended ? '  [another qemu ran]' : ''}${detail ? `\n        ${detail}` : ''}`);
    return sample;
  } finally {
    clearInterval(timer);
  }
}

// ---- OpenSSH from this machine (syncoid and the raw floor) -----------------------------------------------------

interface OpenSsh {
  env: NodeJS.ProcessEnv;
  ssh: string[];
  /** ssh invocations since the last call (syncoid's sessions). */
  takeCount(): number;
  close(): void;
}

function openSsh(a: VmInfo, b: VmInfo): OpenSsh {
  const dir = mkdtempSync(join(tmpdir(), 'zrd-cycle-bench-'));
  const config = join(dir, 'ssh_config');
  const counter = join(dir, 'count');
  writeFileSync(counter, '');
  writeFileSync(
    config,
    [
      `Host nas-a`, `  HostName ${a.host}`, `  Port ${a.port}`,
      `Host nas-b`, `  HostName ${b.host}`, `  Port ${b.port}`,
      `Host *`, `  User root`, `  IdentityFile ${a.keyPath}`, `  IdentitiesOnly yes`, `  StrictHostKeyChecking no`,
      `  UserKnownHostsFile /dev/null`, `  BatchMode yes`, `  LogLevel ERROR`, `  ConnectTimeout 60`,
      // The app's ssh2 stack negotiates the same (the cheapest cipher in a TCG guest; curve25519 key exchange).
      `  Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com`,
      `  KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org`,
      '',
    ].join('\n'),
  );
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'ssh'), `#!/bin/sh\necho x >> ${q(counter)}\nexec /usr/bin/ssh -F ${q(config)} "$@"\n`);
  chmodSync(join(bin, 'ssh'), 0o755);
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    ssh: ['/usr/bin/ssh', '-F', config],
    takeCount() {
      const n = readFileSync(counter, 'utf8').split('\n').filter(Boolean).length;
      writeFileSync(counter, '');
      return n;
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---- ours: the CLI, one process per cycle ------------------------------------------------------------------------

interface CommandEntry {
  event?: string;
  connection: string;
  name: string;
  command: string;
  durationMs: number;
  time: string;
  /** Set when it ran inside another command's channel (the source listing in the lock's shell). */
  via?: string;
}

/** One cron cycle: `zfs-replication run TASK` in a new process; its remote commands read back from the app log. */
async function cliCycle(configDir: string, task: ReplicationTask, labels: { source: string; destination: string }): Promise<{ sessions: string; detail: string }> {
  const logFile = join(configDir, 'logs', 'app.log');
  let offset = 0;
  try {
    offset = statSync(logFile).size;
  } catch {
    // first run
  }
  const started = Date.now();
  const r = await runLocal(process.execPath, [cliBin, 'run', task.name], { ...process.env, ZRD_CONFIG_DIR: configDir });
  const ended = Date.now();
  if (r.code !== 0) throw new Error(`zfs-replication run ${task.name} exited ${r.code}: ${r.stderr}${r.stdout}`);
  const commands = readFileSync(logFile)
    .subarray(offset)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CommandEntry)
    .filter((e) => e.event === 'command');
  const on = (label: string) => commands.filter((c) => c.connection === label);
  const startOf = (c: CommandEntry) => Date.parse(c.time) - c.durationMs;
  const firstStart = Math.min(...commands.map(startOf));
  const kindOf = (c: CommandEntry) =>
    c.command.includes('flock') ? 'lock' : /zfs send -n/.test(c.command) ? 'estimate' : /zfs (send|receive)/.test(c.command) ? 'stream' : c.command.includes('command -v') ? 'tools' : c.name;
  const byKind = new Map<string, { n: number; ms: number }>();
  for (const c of commands) {
    const kind = kindOf(c);
    if (kind === 'lock') continue; // held for the whole run
    const entry = byKind.get(kind) ?? { n: 0, ms: 0 };
    entry.n += 1;
    entry.ms += c.durationMs;
    byKind.set(kind, entry);
  }
  // A command run inside the lock's shell (the source listing) has no channel of its own.
  const channels = (label: string) => on(label).filter((c) => !c.via).length;
  const inside = commands.filter((c) => c.via).length;
  const sides = `${channels(labels.source)} + ${channels(labels.destination)}${inside ? ` (+${inside} in the lock's channel)` : ''}`;
  const listings = commands.filter((c) => c.name === 'zfs list');
  const listingsStart = Math.min(...listings.map(startOf));
  const listingsEnd = Math.max(...listings.map((c) => Date.parse(c.time)));
  const detail =
    `process start to its first remote command ${f1((firstStart - started) / 1000)} s; then ssh handshake and lock ${f1((listingsStart - firstStart) / 1000)} s; ` +
    `listings ${f1((listingsEnd - listingsStart) / 1000)} s (both sides at once); ` +
    `command time (summed over both sides): ${[...byKind].map(([kind, { n, ms }]) => `${kind} ${n}x ${f1(ms / 1000)} s`).join(', ')}; ` +
    `last command to exit ${f1((ended - Math.max(...commands.map((c) => Date.parse(c.time)))) / 1000)} s`;
  return { sessions: sides, detail };
}

// ---- the datasets --------------------------------------------------------------------------------------------------

const releaseAll = (tree: string) =>
  `zfs list -H -o name -t snapshot -r ${q(tree)} 2>/dev/null | xargs -r zfs holds -H | while IFS="$(printf '\\t')" read -r snap tag rest; do zfs release "$tag" "$snap"; done; true`;
const destroyTree = (tree: string) => `if zfs list ${q(tree)} >/dev/null 2>&1; then ${releaseAll(tree)}; zfs destroy -r ${q(tree)}; fi`;

async function main(): Promise<void> {
  const testbed = await useOrBootTestbed({ log: (m) => say(`[nas] ${m}`) });
  ourQemu = new Set(testbed.info.vms.map((vm) => vm.pid));
  const a = testbed.info.vms.find((vm) => vm.name === 'nas-a')!;
  const b = testbed.info.vms.find((vm) => vm.name === 'nas-b')!;
  const configDir = mkdtempSync(join(tmpdir(), 'zrd-cycle-bench-app-'));
  const app = sshApp();
  const source = connectionTo(a, 'root', 'root');
  const destination = connectionTo(b, 'root', 'root');
  let trusted = false;
  const openssh = openSsh(a, b);
  const samples: Sample[] = [];
  try {
    say('building the CLI bundle (what cron runs)');
    await runLocalOk(process.execPath, [join(root, 'scripts', 'build-bundles.ts'), 'cli']);
    const syncoid = ensureSyncoid((m) => say(`[syncoid] ${m}`));

    // The app's settings, as the app saves them: two connections with pinned host keys, three tasks.
    const store = openConfStore(configDir);
    const savedSource = store.saveConnection({ name: 'nas-a', host: a.host, port: a.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: a.keyPath } });
    const savedDestination = store.saveConnection({ name: 'nas-b', host: b.host, port: b.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: b.keyPath } });
    for (const [connection, vm] of [[savedSource, a], [savedDestination, b]] as const) store.pinHostKey(connection.id, await probeHostKey(vm.host, vm.port));
    const labels = { source: `root@${a.host}:${a.port}`, destination: `root@${b.host}:${b.port}` };
    const direct = { kind: 'direct' as const, destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'root' };
    const saveTask = (name: string, dataset: string, recursive: boolean, transport: ReplicationTask['transport']) =>
      store.saveTask({ name, sourceConnectionId: savedSource.id, sources: [{ name: dataset, recursive }], destinationConnectionId: savedDestination.id, destinationParent: `backup/${dataset.split('/')[1]}-replica`, transport, selection: { kind: 'all' } });
    const noopTask = saveTask('noop', `tank/${P}noop`, false, { kind: 'relay' });
    const relayTask = saveTask('fleet-relay', `tank/${P}fleet`, true, { kind: 'relay' });
    const directTask = saveTask('fleet-direct', `tank/${P}fleet`, true, direct);
    await app.pin(source);
    await app.pin(destination);
    await app.services.establishNasToNasTrust(source, destination, { host: 'nas-b', port: 22 });
    trusted = true;

    // --- the datasets: tank/<P>noop@s1; tank/<P>fleet and FLEET - 1 children, 64 KiB each, @s1; both replicated once.
    const children = Array.from({ length: FLEET - 1 }, (_, i) => `tank/${P}fleet/c${String(i).padStart(2, '0')}`);
    const fleet = [`tank/${P}fleet`, ...children];
    const replicaOf = (dataset: string) => `backup/${P}fleet-replica/${P}fleet${dataset.slice(`tank/${P}fleet`.length)}`;
    say(`creating tank/${P}noop and a fleet of ${FLEET} datasets on nas-a`);
    await sshOk(b, 'root', `${destroyTree(`backup/${P}noop-replica`)}; ${destroyTree(`backup/${P}fleet-replica`)}`, { timeoutMs: 600_000 });
    await sshOk(
      a,
      'root',
      `${destroyTree(`tank/${P}noop`)}; ${destroyTree(`tank/${P}fleet`)}; set -e; zfs create tank/${P}noop; head -c 65536 /dev/urandom > /tank/${P}noop/f; zfs snapshot tank/${P}noop@s1; ` +
        `zfs create tank/${P}fleet; for c in ${children.map((c) => q(c)).join(' ')}; do zfs create "$c"; done; ` +
        `for d in ${fleet.map((d) => q(d)).join(' ')}; do head -c 65536 /dev/urandom > "/$d/f"; done; zfs snapshot -r tank/${P}fleet@s1`,
      { timeoutMs: 900_000 },
    );
    say('first runs (full sends), not measured');
    await cliCycle(configDir, noopTask, labels);
    await cliCycle(configDir, relayTask, labels);
    await sshOk(a, 'root', `set -e; for d in ${fleet.map((d) => q(d)).join(' ')}; do head -c 65536 /dev/urandom >> "/$d/f"; done; zfs snapshot -r tank/${P}fleet@s2`, { timeoutMs: 600_000 });

    // --- 1. no-op -----------------------------------------------------------------------------------------------
    const noopContenders: Record<string, () => Promise<{ sessions: string; detail?: string }>> = {
      ours: () => cliCycle(configDir, noopTask, labels),
      syncoid: async () => {
        openssh.takeCount();
        const r = await runLocal(syncoid.command, ['--no-sync-snap', `root@nas-a:tank/${P}noop`, `root@nas-b:backup/${P}noop-replica/${P}noop`], syncoid.env(openssh.env));
        if (r.code !== 0) throw new Error(`syncoid exited ${r.code}: ${r.stderr}${r.stdout}`);
        return { sessions: `${openssh.takeCount()} ssh invocations` };
      },
      raw: async () => {
        const list = (host: string, dataset: string) => runLocalOk(openssh.ssh[0]!, [...openssh.ssh.slice(1), host, `zfs list -H -p -t all -o name,guid,createtxg,userrefs -s createtxg -r ${dataset}`]);
        await Promise.all([list('nas-a', `tank/${P}noop`), list('nas-b', `backup/${P}noop-replica/${P}noop`)]);
        return { sessions: '1 + 1' };
      },
    };
    const noopOrder = Object.keys(noopContenders);
    for (let round = 1; round <= NOOP_ROUNDS; round++) {
      for (const contender of noopOrder.map((_, i) => noopOrder[(i + round - 1) % noopOrder.length]!)) samples.push(await measure('no-op', contender, noopContenders[contender]!));
    }

    // --- 2. fleet -----------------------------------------------------------------------------------------------
    // Every contender starts with the replicas at @s1; ours also with its task's holds on @s1, as its last run left them.
    const resetFleet = async (task: ReplicationTask | null) => {
      const hold = (snapshot: string) => (task ? `; zfs hold -r ${q(holdTagOf(task.id))} ${q(snapshot)}` : '');
      await sshOk(a, 'root', `${releaseAll(`tank/${P}fleet`)}${hold(`tank/${P}fleet@s1`)}`, { timeoutMs: 600_000 });
      // A rollback, not a destroy of @s2: the replica's data must be @s1's again, or the next receive finds it written to.
      const rollback = fleet.map((d) => `zfs rollback -r ${q(`${replicaOf(d)}@s1`)}`).join(' && ');
      await sshOk(b, 'root', `${releaseAll(`backup/${P}fleet-replica`)}; ${rollback} && zpool wait -t free backup${hold(`backup/${P}fleet-replica/${P}fleet@s1`)}`, { timeoutMs: 600_000 });
    };
    const checkFleet = async (contender: string) => {
      const got = (await sshOk(b, 'root', `zfs list -H -o name -t snapshot -r backup/${P}fleet-replica | grep -c '@s2$' || true`)).trim();
      if (Number(got) !== FLEET) throw new Error(`${contender}: ${got} replicas have @s2, expected ${FLEET}`);
    };
    const fleetContenders: Record<string, { task: ReplicationTask | null; run: () => Promise<{ sessions: string; detail?: string }> }> = {
      'ours relay': { task: relayTask, run: () => cliCycle(configDir, relayTask, labels) },
      'ours direct': { task: directTask, run: () => cliCycle(configDir, directTask, labels) },
      syncoid: {
        task: null,
        run: async () => {
          openssh.takeCount();
          const r = await runLocal(syncoid.command, ['-r', '--no-sync-snap', `root@nas-a:tank/${P}fleet`, `root@nas-b:backup/${P}fleet-replica/${P}fleet`], syncoid.env(openssh.env));
          if (r.code !== 0) throw new Error(`syncoid exited ${r.code}: ${r.stderr}${r.stdout}`);
          return { sessions: `${openssh.takeCount()} ssh invocations` };
        },
      },
      raw: {
        task: null,
        run: async () => {
          const dir = mkdtempSync(join(tmpdir(), 'zrd-raw-'));
          const sock = (host: string) => join(dir, host);
          const muxed = (host: string) => [...openssh.ssh, '-o', 'ControlMaster=no', '-o', `ControlPath=${sock(host)}`, host].map(q).join(' ');
          try {
            await Promise.all(['nas-a', 'nas-b'].map((host) => runLocalOk(openssh.ssh[0]!, [...openssh.ssh.slice(1), '-o', 'ControlMaster=yes', '-o', `ControlPath=${sock(host)}`, '-o', 'ControlPersist=120', '-f', '-N', host])));
            const loop = fleet.map((d) => `${muxed('nas-a')} ${q(`zfs send -i @s1 ${d}@s2`)} | ${muxed('nas-b')} ${q(`zfs recv -u ${replicaOf(d)}`)}`).join(' && ');
            await runLocalOk('bash', ['-o', 'pipefail', '-c', loop]);
          } finally {
            for (const host of ['nas-a', 'nas-b']) spawnSync(openssh.ssh[0]!, [...openssh.ssh.slice(1), '-o', `ControlPath=${sock(host)}`, '-O', 'exit', host], { stdio: 'ignore', timeout: 10_000 });
            rmSync(dir, { recursive: true, force: true });
          }
          return { sessions: `1 + 1 connections, ${fleet.length} + ${fleet.length} channels` };
        },
      },
      // Every stream through ONE source shell and ONE destination shell: successive `zfs receive` processes each
      // take exactly one stream from the shared stdin (checked on these VMs: GUIDs match, no byte left over).
      'raw batched': {
        task: null,
        run: async () => {
          const sends = `for d in ${fleet.map((d) => q(d)).join(' ')}; do zfs send -i @s1 "$d@s2" || exit; done`;
          const receives = `for r in ${fleet.map((d) => q(replicaOf(d))).join(' ')}; do zfs recv -u "$r" || exit; done; test "$(wc -c | tr -d ' ')" = 0`;
          const ssh = (host: string, command: string) => [...openssh.ssh, host, command].map(q).join(' ');
          await runLocalOk('bash', ['-o', 'pipefail', '-c', `${ssh('nas-a', sends)} | ${ssh('nas-b', receives)}`]);
          return { sessions: '1 + 1 connections, 1 + 1 channels' };
        },
      },
    };
    const fleetOrder = Object.keys(fleetContenders);
    for (let round = 1; round <= FLEET_ROUNDS; round++) {
      for (const contender of fleetOrder.map((_, i) => fleetOrder[(i + round - 1) % fleetOrder.length]!)) {
        await resetFleet(fleetContenders[contender]!.task);
        samples.push(await measure('fleet', contender, fleetContenders[contender]!.run));
        await checkFleet(contender);
      }
    }

    // --- summary ------------------------------------------------------------------------------------------------
    const of = (cycle: string, contender: string) => samples.filter((s) => s.cycle === cycle && s.contender === contender);
    const med = (cycle: string, contender: string) => median(of(cycle, contender).map((s) => s.seconds));
    const cpu = (cycle: string, contender: string) => median(of(cycle, contender).map((s) => s.vmCpu));
    const runs = (cycle: string, contender: string) => of(cycle, contender).map((s) => `${f1(s.seconds)}${s.contended ? '*' : ''}`).join(' ');
    const row = (cycle: string, contender: string, against: string[]) =>
      `   ${contender.padEnd(12)} ${f1(med(cycle, contender)).padStart(6)} s  VM CPU ${f1(cpu(cycle, contender)).padStart(5)} s  sessions ${of(cycle, contender)[0]?.sessions ?? '?'}` +
      `${against.map((other) => `  ${f2(med(cycle, contender) / med(cycle, other))}x ${other}`).join('')}   runs: ${runs(cycle, contender)}`;
    const lines = [
      '',
      '================================ cron cycle bench: summary ================================',
      `Machine: ${cpus().length} cores; VMs under qemu TCG; ${process.version}; syncoid ${syncoid.version}. Compare ratios only.`,
      `Sessions: ours = remote commands (ssh channels) source + destination, on one connection per NAS (direct: plus one`,
      `NAS-to-NAS connection shared by the run's incremental streams); syncoid = ssh processes it started (counting its masters).`,
      `${samples.some((s) => s.contended) ? 'Runs marked * had another qemu running: distorted.' : 'No other qemu ran during any measured run.'}`,
      '',
      `1. No-op, 1 dataset, median of ${NOOP_ROUNDS}:`,
      row('no-op', 'ours', ['syncoid', 'raw']),
      row('no-op', 'syncoid', []),
      row('no-op', 'raw', []),
      `   ours, where the time goes (last run): ${of('no-op', 'ours').at(-1)?.detail ?? '?'}`,
      '',
      `2. Fleet of ${FLEET} datasets, one new snapshot (64 KiB) each, ${FLEET_ROUNDS === 1 ? 'one round' : `median of ${FLEET_ROUNDS}`}:`,
      row('fleet', 'ours relay', ['syncoid', 'raw', 'raw batched']),
      row('fleet', 'ours direct', ['syncoid', 'raw', 'ours relay']),
      row('fleet', 'syncoid', []),
      row('fleet', 'raw', []),
      row('fleet', 'raw batched', ['raw']),
      `   ours relay, where the time goes: ${of('fleet', 'ours relay').at(-1)?.detail ?? '?'}`,
      `   ours direct, where the time goes: ${of('fleet', 'ours direct').at(-1)?.detail ?? '?'}`,
      '',
      `Reproduce: node test/nas/nas.ts up --detach --info-file /tmp/tb.json && ZRD_TESTBED_FILE=/tmp/tb.json node bench/cycle.bench.ts`,
      `           (${f1((Date.now() - t0) / 60_000)} min in all)`,
      '===========================================================================================',
    ];
    console.log(lines.join('\n'));
    appendFileSync(join(tmpdir(), 'zrd-cycle-bench-summaries.log'), `${new Date().toISOString()}\n${lines.join('\n')}\n`);
  } finally {
    if (trusted) await app.services.removeNasToNasTrust(source, destination, { removeGeneratedSourceKey: true }).catch(() => undefined);
    await sshOk(a, 'root', `${destroyTree(`tank/${P}noop`)}; ${destroyTree(`tank/${P}fleet`)}`, { timeoutMs: 600_000 }).catch(() => undefined);
    await sshOk(b, 'root', `${destroyTree(`backup/${P}noop-replica`)}; ${destroyTree(`backup/${P}fleet-replica`)}`, { timeoutMs: 600_000 }).catch(() => undefined);
    await app.dispose();
    openssh.close();
    rmSync(configDir, { recursive: true, force: true });
    await testbed.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
