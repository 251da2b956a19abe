// NAS test bed: boots Debian + OpenZFS 2.3 VMs under qemu (TCG) from the cached image made by
// build-image.sh, and talks to them with the OpenSSH client.
//
// Used by test/integration/global-setup.ts and by the nas.ts CLI. Node built-ins only; runs
// under Node 24 type stripping (erasable TypeScript only).
//
// Every VM: root image snapshot=on (clean every boot), a fresh qcow2 data disk in a per-run temp
// dir holding the pool named by `pool`, its sshd forwarded to a free 127.0.0.1 port, and guestfwd
// entries so that inside any VM 10.0.2.101:22 is nas-a's sshd and 10.0.2.102:22 is nas-b's
// (/etc/hosts in the guest names them nas-a / nas-b). Nothing but 127.0.0.1 is contacted.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type UserName = 'root' | 'admin' | 'delegate' | 'sudopw';

export interface UserCredentials {
  password: string;
}

/** Accounts baked into the image. All of them accept the test key (keyPath) and their password. */
export const USERS: Record<UserName, UserCredentials> = {
  root: { password: 'zrd-root' }, // everything
  admin: { password: 'zrd-admin' }, // sudo NOPASSWD for zfs and zpool only (TrueNAS SCALE style)
  delegate: { password: 'zrd-delegate' }, // no sudo; `zfs allow` on the pool
  sudopw: { password: 'zrd-sudopw' }, // sudo ALL, but sudo asks for the password
};

/** Fixed guest-side addresses of the peers, as written in the image's /etc/hosts. */
export const PEER_ADDRESSES: Record<string, string> = {
  'nas-a': '10.0.2.101',
  'nas-b': '10.0.2.102',
};

export interface VmSpec {
  name: string;
  pool: string;
  /** Guest-side address that reaches this VM's sshd from every VM; defaults from PEER_ADDRESSES. */
  peerAddress?: string;
}

export interface VmInfo {
  name: string;
  host: string; // always 127.0.0.1
  port: number; // sshd, forwarded
  pool: string;
  users: Record<UserName, UserCredentials>;
  keyPath: string; // test private key (same for every user)
  peerAddress: string | null; // how the other VMs reach this one (port 22)
  pid: number; // qemu
  consoleLog: string;
  runDir: string;
  /** qemu's QMP socket (see qmp(), setLink(), rebootVm()). */
  qmpSocket: string;
}

export interface ImageInfo {
  dir: string;
  key: string;
  kernelAbi: string;
  zfsVersion: string;
}

/** Plain data (serializable): what vitest's globalSetup provides to the tests. */
export interface TestbedInfo {
  vms: VmInfo[];
  keyPath: string;
  publicKey: string;
  runDir: string;
  image: ImageInfo;
  /** Seconds from launching qemu to every VM answering ssh with its pool imported. */
  bootSeconds: number;
}

export interface Testbed extends TestbedInfo {
  /** Peak resident memory (VmHWM) of each qemu so far, in MiB. */
  peakRssMiB(): Record<string, number>;
  /** Kills the VMs and removes the run dir. Idempotent. */
  stop(): Promise<void>;
}

export interface BootOptions {
  vms?: VmSpec[];
  /** Guest memory, MiB (default ZRD_NAS_MEM or 768). */
  memoryMiB?: number;
  smp?: number;
  /** TCG translation buffer, MiB (qemu's default of 1 GiB inflates RSS). */
  tbSizeMiB?: number;
  /** Size of each VM's fresh qcow2 data disk (the pool), default 4G (sparse). */
  dataDiskSize?: string;
  /** Give up (with the serial console tail) after this long; default ZRD_NAS_BOOT_TIMEOUT_MS or 300 s. */
  bootTimeoutMs?: number;
  /** Run build-image.sh first (cached; a few seconds when up to date). Default true. */
  build?: boolean;
  /** Leave the VMs running when this process exits (for `nas.ts up --detach`). */
  detached?: boolean;
  /** Install SIGINT/SIGTERM handlers that stop the VMs and exit. Default true (not when detached). */
  handleSignals?: boolean;
  log?: (message: string) => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  /**
   * Reuse one ssh connection per VM and user (ControlMaster in the run dir; an ssh handshake costs
   * ~1-2 s under TCG). Default true. Use false when the test is about authentication itself.
   */
  reuse?: boolean;
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const BUILD_SCRIPT = join(HERE, 'build-image.sh');

export function cacheDir(): string {
  return process.env.ZRD_NAS_CACHE || join(homedir(), '.cache', 'zfs-replication-desktop', 'nas');
}

function runsDir(): string {
  return join(cacheDir(), 'runs');
}

function defaultLog(message: string): void {
  process.stderr.write(`[nas] ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// image

/** Runs build-image.sh (cached) and returns the image. Output goes to stderr. */
export async function buildImage(log: (m: string) => void = defaultLog): Promise<ImageInfo> {
  const started = Date.now();
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`build-image.sh failed (${signal ?? `exit ${code}`}); see its output above`));
    });
  });
  const image = currentImage();
  log(`image ${image.key} (kernel ${image.kernelAbi}, OpenZFS ${image.zfsVersion}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return image;
}

/** The image `current` points at (build-image.sh must have run). */
export function currentImage(): ImageInfo {
  const dir = join(cacheDir(), 'current');
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new Error(`no NAS image in ${cacheDir()}: run \`bash test/nas/build-image.sh\` (or \`node test/nas/nas.ts build\`)`);
  }
  const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { key: string; kernelAbi: string; zfsVersion: string };
  return { dir: resolve(dir), key: m.key, kernelAbi: m.kernelAbi, zfsVersion: m.zfsVersion };
}

// ---------------------------------------------------------------------------------------------
// run records (pidfiles) so that `nas.ts down` can kill what a crashed run left behind

interface RunRecord {
  id: string;
  ownerPid: number;
  detached: boolean;
  runDir: string;
  startedAt: string;
  vms: Array<{ name: string; pid: number; port: number; pool: string; user: string }>;
}

function recordPath(id: string): string {
  return join(runsDir(), `${id}.json`);
}

function writeRecord(rec: RunRecord): void {
  mkdirSync(runsDir(), { recursive: true });
  writeFileSync(recordPath(rec.id), JSON.stringify(rec, null, 2) + '\n');
}

export function listRuns(): RunRecord[] {
  if (!existsSync(runsDir())) return [];
  const out: RunRecord[] = [];
  for (const f of readdirSync(runsDir())) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(runsDir(), f), 'utf8')) as RunRecord);
    } catch {
      // half-written record: ignore
    }
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when pid is still one of our qemu processes (guards against PID reuse). */
export function isOurQemu(pid: number, runDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('qemu-system') && cmdline.includes(runDir);
  } catch {
    return false;
  }
}

async function killPids(pids: number[], runDir: string): Promise<void> {
  const ours = pids.filter((pid) => isOurQemu(pid, runDir));
  for (const pid of ours) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && ours.some((pid) => isOurQemu(pid, runDir))) await sleep(100);
  for (const pid of ours) {
    if (isOurQemu(pid, runDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

/** Stops the VMs of one recorded run and forgets it. */
export async function stopRun(rec: RunRecord): Promise<void> {
  closeMasters(rec.runDir);
  await killPids(rec.vms.map((v) => v.pid), rec.runDir);
  rmSync(rec.runDir, { recursive: true, force: true });
  rmSync(recordPath(rec.id), { force: true });
}

/** Kills the VMs of runs whose owner process died without cleaning up (not detached runs). */
export async function reapStale(log: (m: string) => void = defaultLog): Promise<number> {
  let n = 0;
  for (const rec of listRuns()) {
    if (!rec.detached && !isAlive(rec.ownerPid)) {
      log(`reaping stale run ${rec.id} (owner ${rec.ownerPid} is gone)`);
      await stopRun(rec);
      n++;
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// ssh

function sshBaseArgs(vm: VmInfo, timeoutS = 15): string[] {
  return [
    '-i', vm.keyPath,
    '-p', String(vm.port),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
    '-o', `ConnectTimeout=${timeoutS}`,
    '-o', 'ServerAliveInterval=15',
    // cheaper crypto for the TCG guest
    '-o', 'Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr',
    '-o', 'KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256',
  ];
}

function controlPath(vm: VmInfo, user: string): string {
  return join(vm.runDir, 'ssh', `${vm.name}-${user}.sock`);
}

function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; quiet?: boolean } = {}): Promise<ExecResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        stderr += `\n[timed out after ${opts.timeoutMs} ms]`;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ stdout, stderr: stderr + String(e), code: 127 });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ stdout, stderr, code: code ?? (signal ? 128 : 1) });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

const masters = new Map<string, Promise<boolean>>();

/** Starts (once) a background ControlMaster for vm/user. Resolves false if it could not. */
function ensureMaster(vm: VmInfo, user: string): Promise<boolean> {
  const sock = controlPath(vm, user);
  let p = masters.get(sock);
  if (!p) {
    p = (async () => {
      mkdirSync(dirname(sock), { recursive: true });
      const check = await run('ssh', [...sshBaseArgs(vm), '-o', `ControlPath=${sock}`, '-O', 'check', `${user}@${vm.host}`], { timeoutMs: 10000 });
      if (check.code === 0) return true;
      // -f: backgrounds after authentication; stdio ignored so no pipe is held open
      const r = await new Promise<number>((res) => {
        const c = spawn('ssh', [
          ...sshBaseArgs(vm), '-o', 'ControlMaster=yes', '-o', `ControlPath=${sock}`, '-o', 'ControlPersist=yes',
          '-f', '-N', `${user}@${vm.host}`,
        ], { stdio: 'ignore' });
        c.on('error', () => res(127));
        c.on('exit', (code) => res(code ?? 1));
      });
      return r === 0 && existsSync(sock);
    })();
    masters.set(sock, p);
    p.then((ok) => { if (!ok) masters.delete(sock); }, () => masters.delete(sock));
  }
  return p;
}

function closeMasters(runDir: string): void {
  const dir = join(runDir, 'ssh');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.sock')) continue;
    const sock = join(dir, f);
    spawnSync('ssh', ['-o', `ControlPath=${sock}`, '-O', 'exit', 'x'], { stdio: 'ignore', timeout: 5000 });
    masters.delete(sock);
  }
}

/**
 * Runs `command` (a shell command line, run by the user's login shell on the NAS) as `user`
 * over OpenSSH with the test key. Never throws for a non-zero exit: look at `code`.
 */
export async function sshExec(vm: VmInfo, user: UserName | string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
  const args = sshBaseArgs(vm);
  if (opts.reuse !== false && (await ensureMaster(vm, user))) {
    args.push('-o', 'ControlMaster=no', '-o', `ControlPath=${controlPath(vm, user)}`);
  } else {
    args.push('-o', 'ControlMaster=no', '-o', 'ControlPath=none');
  }
  args.push(`${user}@${vm.host}`, '--', command);
  return run('ssh', args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 120000 });
}

/** Like sshExec, but throws with stderr when the command fails; returns stdout. */
export async function sshOk(vm: VmInfo, user: UserName | string, command: string, opts: ExecOptions = {}): Promise<string> {
  const r = await sshExec(vm, user, command, opts);
  if (r.code !== 0) {
    throw new Error(`ssh ${user}@${vm.name}: \`${command}\` exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// boot

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

function vmHwmMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

export const DEFAULT_VMS: VmSpec[] = [
  { name: 'nas-a', pool: 'tank' },
  { name: 'nas-b', pool: 'backup' },
];

/** Boots the VMs in parallel and resolves once every one answers ssh with its pool imported. */
export async function bootTestbed(options: BootOptions = {}): Promise<Testbed> {
  const log = options.log ?? defaultLog;
  const specs = options.vms ?? DEFAULT_VMS;
  const memoryMiB = options.memoryMiB ?? Number(process.env.ZRD_NAS_MEM || 768);
  const smp = options.smp ?? 2;
  const tbSize = options.tbSizeMiB ?? 256;
  const bootTimeoutMs = options.bootTimeoutMs ?? Number(process.env.ZRD_NAS_BOOT_TIMEOUT_MS || 300000);
  const detached = options.detached ?? false;
  const qemu = process.env.ZRD_QEMU || 'qemu-system-x86_64';

  if (new Set(specs.map((s) => s.name)).size !== specs.length) throw new Error('VM names must be unique');
  for (const s of specs) {
    if (!/^[a-z][a-z0-9-]*$/.test(s.name)) throw new Error(`bad VM name ${s.name}`);
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(s.pool)) throw new Error(`bad pool name ${s.pool}`);
  }

  await reapStale(log);
  const image = options.build === false ? currentImage() : await buildImage(log);
  const keyPath = join(cacheDir(), 'id_ed25519');
  const publicKey = readFileSync(`${keyPath}.pub`, 'utf8').trim();

  // A free port can be taken by someone else before qemu binds it: then qemu exits at once with
  // "Could not set up host forwarding rule"; boot again with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await bootOnce();
    } catch (e) {
      if (attempt < 3 && /host forwarding/i.test(String(e))) {
        log(`a forwarded port was taken meanwhile; booting again (attempt ${attempt + 1})`);
        continue;
      }
      throw e;
    }
  }

  async function bootOnce(): Promise<Testbed> {
    const runDir = mkdtempSync(join(tmpdir(), 'zrd-nas-'));
    const id = runDir.split('-').pop()!;
    mkdirSync(join(runDir, 'ssh'), { recursive: true });

    // ports first: every VM's guestfwd needs every VM's port
    const plan: Array<{ spec: VmSpec; port: number; peer: string | null }> = [];
    for (const spec of specs) {
      let port = await freePort();
      while (plan.some((p) => p.port === port)) port = await freePort();
      plan.push({ spec, port, peer: spec.peerAddress ?? PEER_ADDRESSES[spec.name] ?? null });
    }
    // Each VM reaches each peer through runDir/peer-link (socat to the peer's forwarded sshd), which lets
    // cutPeerLink() take the NAS-to-NAS path down without touching the app's own connections.
    const peerLink = join(runDir, 'peer-link');
    writeFileSync(peerLink, PEER_LINK_SCRIPT, { mode: 0o755 });
    const guestfwdOf = (from: string) => plan
      .map((p) => (p.peer ? `,guestfwd=tcp:${p.peer}:22-cmd:${peerLink} ${from} ${p.spec.name} ${p.port}` : ''))
      .join('');

    const vms: VmInfo[] = [];
    const children: ChildProcess[] = [];
    const rec: RunRecord = { id, ownerPid: process.pid, detached, runDir, startedAt: new Date().toISOString(), vms: [] };

    let stopped = false;
    const cleanupSync = (): void => {
      if (stopped) return;
      stopped = true;
      for (const vm of vms) {
        if (isOurQemu(vm.pid, runDir)) {
          try { process.kill(vm.pid, 'SIGKILL'); } catch { /* gone */ }
        }
      }
      rmSync(runDir, { recursive: true, force: true });
      rmSync(recordPath(id), { force: true });
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      log(`${signal}: stopping the test bed`);
      void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    const handleSignals = !detached && options.handleSignals !== false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      const peaks = peakRssMiB();
      // A relay frozen by cutPeerLink would outlive its qemu, stopped.
      for (const from of vms) for (const to of vms) healPeerLink(from, to);
      closeMasters(runDir);
      await killPids(vms.map((v) => v.pid), runDir);
      cleanupSync();
      process.removeListener('exit', cleanupSync);
      if (handleSignals) {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      const sum = Object.values(peaks).reduce((a, b) => a + b, 0);
      log(`stopped; peak RSS ${Object.entries(peaks).map(([n, m]) => `${n} ${m} MiB`).join(', ')} (sum ${sum} MiB)`);
    };
    const peakRssMiB = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const vm of vms) out[vm.name] = vmHwmMiB(vm.pid);
      return out;
    };
    if (!detached) process.on('exit', cleanupSync);
    if (handleSignals) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }

    const started = Date.now();
    try {
      for (const [i, { spec, port, peer }] of plan.entries()) {
        const disk = join(runDir, `${spec.name}-data.qcow2`);
        const q = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, options.dataDiskSize ?? '4G'], { encoding: 'utf8' });
        if (q.status !== 0) throw new Error(`qemu-img create failed: ${q.stderr}`);
        const consoleLog = join(runDir, `${spec.name}-console.log`);
        const qmpSocket = join(runDir, `${spec.name}.qmp`);
        const stderrLog = join(runDir, `${spec.name}-qemu.log`);
        const append = [
          'console=ttyS0', 'root=/dev/vda', 'rw', 'net.ifnames=0', 'panic=-1', 'quiet', 'systemd.show_status=true',
          `systemd.hostname=${spec.name}`, `zrd.pool=${spec.pool}`,
        ].join(' ');
        const args = [
          '-name', spec.name,
          '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
          '-accel', `tcg,thread=multi,tb-size=${tbSize}`,
          '-cpu', 'max', '-smp', String(smp), '-m', String(memoryMiB),
          '-kernel', join(image.dir, 'vmlinuz'), '-initrd', join(image.dir, 'initrd.img'), '-append', append,
          '-drive', `file=${join(image.dir, 'root.img')},format=raw,if=virtio,snapshot=on`,
          '-drive', `file=${disk},format=qcow2,if=virtio,cache=unsafe,discard=unmap`,
          '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22${guestfwdOf(spec.name)}`,
          '-device', `virtio-net-pci,netdev=n0,mac=52:54:00:5a:00:${(i + 1).toString(16).padStart(2, '0')}`,
          '-device', 'virtio-rng-pci',
          '-serial', `file:${consoleLog}`,
          '-qmp', `unix:${qmpSocket},server=on,wait=off`,
        ];
        const errFd = openSync(stderrLog, 'a');
        const child = spawn(qemu, args, { stdio: ['ignore', errFd, errFd], detached: true });
        closeSync(errFd);
        child.unref();
        if (!child.pid) throw new Error(`could not start ${qemu}`);
        children.push(child);
        const vm: VmInfo = {
          name: spec.name, host: '127.0.0.1', port, pool: spec.pool, users: USERS, keyPath,
          peerAddress: peer, pid: child.pid, consoleLog, runDir, qmpSocket,
        };
        vms.push(vm);
        rec.vms.push({ name: vm.name, pid: vm.pid, port: vm.port, pool: vm.pool, user: 'root' });
        writeRecord(rec);
      }
      log(`booting ${vms.map((v) => `${v.name} (pool ${v.pool}, ssh 127.0.0.1:${v.port})`).join(', ')} in ${runDir}`);

      const exited = new Map<number, string>();
      for (const c of children) c.on('exit', (code, sig) => exited.set(c.pid!, sig ?? `exit ${code}`));

      await Promise.all(vms.map(async (vm) => {
        const deadline = started + bootTimeoutMs;
        let last: ExecResult | undefined;
        let resets = 0;
        for (;;) {
          const gone = exited.get(vm.pid);
          if (gone !== undefined) {
            throw new Error(`${vm.name}: qemu ended (${gone}) before ssh was ready.\n--- qemu:\n${tail(join(runDir, `${vm.name}-qemu.log`), 20)}\n--- console:\n${tail(vm.consoleLog, 40)}`);
          }
          if (Date.now() > deadline) {
            throw new Error(`${vm.name}: not ready after ${bootTimeoutMs / 1000} s (last ssh: ${last ? `${last.code} ${last.stderr.trim()}` : 'none'}).\n--- console tail:\n${tail(vm.consoleLog, 40)}`);
          }
          // A unit that failed at boot never comes back: systemd gives /dev/vdb 90 s to appear (a setting of the
          // image, not of the kernel command line, in systemd 252), and when other VMs load both cores udevd alone
          // can take that long; the pool and sshd then fail. Press the reset button (up to twice), or say so now
          // rather than at the timeout.
          if (bootFailed(vm.consoleLog, resets)) {
            if (resets >= 2) throw new Error(`${vm.name}: a boot unit failed ${resets + 1} times, ssh will not come up.\n--- console tail:\n${tail(vm.consoleLog, 40)}`);
            resets++;
            log(`${vm.name}: a boot unit failed (a device was too slow to appear under load); resetting it (${resets}/2)`);
            // qemu runs with -no-reboot (a boot-time panic ends it at once): a reset must be allowed first.
            await qmp(vm, 'set-action', { reboot: 'reset' });
            await qmp(vm, 'system_reset');
          }
          last = await sshExec(vm, 'root', `zpool list -H -o name ${vm.pool} && ${survivesRebootScript(vm.pool)}`, { reuse: false, timeoutMs: 30000 });
          if (last.code === 0 && last.stdout.trim() === vm.pool) break;
          await sleep(1000);
        }
        log(`${vm.name} ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }));
    } catch (e) {
      const keep = process.env.ZRD_NAS_KEEP_FAILED === '1';
      if (keep) {
        await killPids(vms.map((v) => v.pid), runDir);
        rmSync(recordPath(id), { force: true });
        stopped = true;
        log(`boot failed; run dir kept: ${runDir}`);
      } else {
        await stop();
      }
      throw e;
    }
    const bootSeconds = Math.round((Date.now() - started) / 100) / 10;
    log(`all ${vms.length} VMs ready in ${bootSeconds} s`);

    return { vms, keyPath, publicKey, runDir, image, bootSeconds, peakRssMiB, stop };
  }
}

/** Plain-data view of a test bed (what globalSetup provides). */
export function testbedInfo(tb: Testbed): TestbedInfo {
  return { vms: tb.vms, keyPath: tb.keyPath, publicKey: tb.publicKey, runDir: tb.runDir, image: tb.image, bootSeconds: tb.bootSeconds };
}

/**
 * Stops recorded runs: by default the detached ones and the stragglers of crashed runs (owner process
 * gone); `ids` picks runs by id; `all` also stops runs whose owner is alive (another test run!).
 */
export async function downRuns(opts: { ids?: string[]; all?: boolean } = {}, log: (m: string) => void = defaultLog): Promise<number> {
  const runs = listRuns().filter((rec) =>
    opts.ids && opts.ids.length > 0 ? opts.ids.includes(rec.id) : opts.all || rec.detached || !isAlive(rec.ownerPid));
  for (const rec of runs) {
    log(`stopping run ${rec.id} (${rec.vms.map((v) => `${v.name} pid ${v.pid}`).join(', ')})`);
    await stopRun(rec);
  }
  return runs.length;
}

export function runStatus(): Array<RunRecord & { alive: Record<string, boolean> }> {
  return listRuns().map((rec) => ({
    ...rec,
    alive: Object.fromEntries(rec.vms.map((v) => [v.name, isOurQemu(v.pid, rec.runDir)])),
  }));
}

// ---------------------------------------------------------------------------------------------
// one booted pair shared by several runners (npm test: vitest's integration project and Playwright)

/** Environment variable naming the JSON file of a running test bed (written by `nas.ts up --info-file`). */
export const TESTBED_FILE_ENV = 'ZRD_TESTBED_FILE';

/** Writes the plain-data test bed atomically (readers never see half a file). */
export function writeTestbedFile(file: string, info: TestbedInfo): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n');
  renameSync(tmp, file);
}

/**
 * Reads a test bed written by writeTestbedFile and checks that its VMs still run: a file left behind by a run
 * that ended must fail loudly, not as a wall of ssh timeouts.
 */
export function readTestbedFile(file: string): TestbedInfo {
  let info: TestbedInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as TestbedInfo;
  } catch (e) {
    throw new Error(`${TESTBED_FILE_ENV}=${file}: cannot read the test bed (${(e as Error).message})`, { cause: e });
  }
  if (!Array.isArray(info.vms) || info.vms.length === 0) throw new Error(`${TESTBED_FILE_ENV}=${file}: no VMs in the file`);
  const gone = info.vms.filter((vm) => !isOurQemu(vm.pid, vm.runDir));
  if (gone.length > 0) {
    throw new Error(`${TESTBED_FILE_ENV}=${file}: ${gone.map((vm) => `${vm.name} (qemu pid ${vm.pid})`).join(', ')} no longer running; boot the test bed again or unset ${TESTBED_FILE_ENV}`);
  }
  return info;
}

export interface SharedTestbed {
  info: TestbedInfo;
  /** The file holding `info` (the shared one, or one this process wrote for its own boot). */
  file: string;
  /** True when this process booted the VMs (and `stop` stops them). */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * The test bed named by ZRD_TESTBED_FILE when it is set (npm test boots one pair for every runner), else a pair
 * booted by this process (a developer running one file), whose info is written to a file in its run dir and
 * exported through ZRD_TESTBED_FILE so that the runner's worker processes find it the same way.
 */
export async function useOrBootTestbed(options: BootOptions = {}): Promise<SharedTestbed> {
  const shared = process.env[TESTBED_FILE_ENV];
  if (shared) {
    const info = readTestbedFile(shared);
    (options.log ?? defaultLog)(`using the running test bed of ${shared} (${info.vms.map((vm) => `${vm.name} ssh 127.0.0.1:${vm.port}`).join(', ')})`);
    return { info, file: shared, owned: false, stop: async () => {} };
  }
  const tb = await bootTestbed(options);
  const info = testbedInfo(tb);
  const file = join(tb.runDir, 'testbed.json');
  writeTestbedFile(file, info);
  process.env[TESTBED_FILE_ENV] = file;
  return {
    info,
    file,
    owned: true,
    stop: async () => {
      if (process.env[TESTBED_FILE_ENV] === file) delete process.env[TESTBED_FILE_ENV];
      await tb.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// faults: the fault-matrix tests cut links, reboot a VM and watch it come back (test/integration/fault-matrix.test.ts)

/**
 * qemu guestfwd command of every VM-to-VM connection: `peer-link FROM TO PORT` relays one connection from VM FROM
 * to VM TO's sshd (127.0.0.1:PORT) with socat. While RUNDIR/cut-FROM-TO exists the link is down: a new connection
 * is accepted and then stays silent (as over a dead network: the client's ConnectTimeout or keepalives end it)
 * until the link is healed, when it closes.
 */
const PEER_LINK_SCRIPT = `#!/bin/sh
# ZRD test bed (test/nas/testbed.ts, cutPeerLink): one connection from VM $1 to VM $2's sshd at 127.0.0.1:$3.
cut="$(dirname "$0")/cut-$1-$2"
if [ -e "$cut" ]; then
  while [ -e "$cut" ]; do sleep 1; done
  exit 0
fi
# -lp names the relay (its log prefix) so that cutPeerLink can find it: qemu does not stay its parent.
exec socat -lp "zrd-peer-$1-$2-$3" - "TCP:127.0.0.1:$3"
`;

/**
 * Run once per boot, when the VM is ready: systemd drop-ins (in the copy-on-write root, kept across a guest reboot
 * within one qemu process) so that a reboot looks like a real NAS rebooting: the SSH host keys made at first boot
 * stay (a reboot must not look like a host-key change), and the pool on /dev/vdb is imported again (the image's
 * zrd-pool-setup would otherwise create it anew: its vdev is the partition vdb1, hence `-d /dev`). Prints nothing.
 */
export function survivesRebootScript(pool: string): string {
  const dir = '/etc/systemd/system';
  return [
    `mkdir -p ${dir}/zrd-hostkeys.service.d ${dir}/zrd-pool.service.d`,
    `printf '%s\\n' '[Unit]' 'ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key' > ${dir}/zrd-hostkeys.service.d/keep-after-reboot.conf`,
    // Not "-": a pool that cannot be imported must fail the boot (and rebootVm, with the console), never be made anew.
    `printf '%s\\n' '[Service]' "ExecStartPre=/bin/sh -c 'modprobe zfs && { zpool list ${pool} >/dev/null 2>&1 || zpool import -f -d /dev ${pool}; }'" > ${dir}/zrd-pool.service.d/import-after-reboot.conf`,
  ].join(' && ');
}

/** One QMP command to a VM's qemu; resolves with its `return` value, rejects with qemu's error. */
export function qmp(vm: Pick<VmInfo, 'name' | 'qmpSocket'>, execute: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(vm.qmpSocket);
    let buffered = '';
    let stage: 'greeting' | 'capabilities' | 'command' = 'greeting';
    const timer = setTimeout(() => finish(new Error(`${vm.name}: QMP ${execute} got no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | null, value?: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolvePromise(value);
    };
    socket.on('error', (e) => finish(new Error(`${vm.name}: QMP socket ${vm.qmpSocket}: ${e.message}`)));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
        if (message.event) continue;
        if (message.error) return finish(new Error(`${vm.name}: QMP ${stage === 'command' ? execute : 'qmp_capabilities'}: ${message.error.desc ?? JSON.stringify(message.error)}`));
        if (stage === 'greeting' && message.QMP) {
          stage = 'capabilities';
          socket.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
        } else if (stage === 'capabilities' && 'return' in message) {
          stage = 'command';
          socket.write(JSON.stringify({ execute, ...(args ? { arguments: args } : {}) }) + '\n');
        } else if (stage === 'command' && 'return' in message) {
          return finish(null, message.return);
        }
      }
    });
  });
}

/**
 * Plugs or pulls a VM's only network cable (qemu set_link): every connection to or from it stalls, the app's and
 * the other NAS's alike, as with a dead switch port; nothing is closed, so only keepalives and timeouts notice.
 */
export async function setLink(vm: VmInfo, up: boolean): Promise<void> {
  await qmp(vm, 'set_link', { name: 'n0', up });
}

/**
 * The socat processes relaying `from`'s open connections to `to`'s sshd. libslirp detaches them from qemu (their
 * parent is init), so they are found by the name peer-link gives them; `to`'s port makes it unique on this machine.
 */
function peerRelays(from: VmInfo, to: VmInfo): number[] {
  const name = `zrd-peer-${from.name}-${to.name}-${to.port}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('socat') && argv.includes(name)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function cutFlag(from: VmInfo, to: VmInfo): string {
  return join(from.runDir, `cut-${from.name}-${to.name}`);
}

/**
 * Takes the network path from VM `from` to VM `to` down, one way round (direct-mode replication: the source's ssh
 * to the destination) while both stay reachable from this machine: the open connections freeze (their relays are
 * stopped, so nothing more passes either way and nothing is closed) and new ones get no answer. Returns how many
 * open connections were frozen.
 */
export function cutPeerLink(from: VmInfo, to: VmInfo): number {
  writeFileSync(cutFlag(from, to), '');
  const relays = peerRelays(from, to);
  for (const pid of relays) process.kill(pid, 'SIGSTOP');
  return relays.length;
}

/**
 * Brings the path back: frozen connections carry on with what they had queued (a side that gave up meanwhile now
 * sees the other's close, as after a real outage), connections made during the cut are closed.
 */
export function healPeerLink(from: VmInfo, to: VmInfo): void {
  rmSync(cutFlag(from, to), { force: true });
  for (const pid of peerRelays(from, to)) {
    try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
  }
}

/**
 * Whether the current boot (after `resets` presses of the reset button) printed systemd's line for a unit that could
 * not start because one it needs failed (e.g. sshd after the pool). Every boot starts with systemd's "Welcome to".
 */
function bootFailed(consoleLog: string, resets: number): boolean {
  try {
    const boots = readFileSync(consoleLog, 'utf8').split('Welcome to').slice(1);
    return boots.length === resets + 1 && /Dependency failed for/.test(boots[resets]!);
  } catch {
    return false;
  }
}

/** Closes this process's reusable ssh connections to a VM (they die with a reboot). */
export function forgetMasters(vm: VmInfo): void {
  for (const sock of [...masters.keys()]) {
    if (!sock.startsWith(join(vm.runDir, 'ssh', `${vm.name}-`))) continue;
    spawnSync('ssh', ['-o', `ControlPath=${sock}`, '-O', 'exit', 'x'], { stdio: 'ignore', timeout: 5000 });
    masters.delete(sock);
  }
}

/**
 * Reboots a VM inside its qemu process, as a NAS reboots: same disks, same forwarded port, same SSH host keys,
 * its pool imported again. `reboot` is a clean `systemctl reboot` (services stopped, connections closed);
 * `reset` presses the reset button (nothing is closed: peers find out by their keepalives). Resolves once ssh
 * answers with the pool imported, with the seconds it was away.
 */
export async function rebootVm(vm: VmInfo, options: { how?: 'reboot' | 'reset'; timeoutMs?: number } = {}): Promise<{ seconds: number }> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? Number(process.env.ZRD_NAS_BOOT_TIMEOUT_MS || 300000));
  // qemu runs with -no-reboot so that a boot-time panic ends it at once; from now on a reboot is a reset.
  await qmp(vm, 'set-action', { reboot: 'reset' });
  const bootId = async () => {
    const r = await sshExec(vm, 'root', `cat /proc/sys/kernel/random/boot_id; zpool list -H -o name ${vm.pool}`, { reuse: false, timeoutMs: 30000 });
    const [id, pool] = r.stdout.trim().split('\n');
    return r.code === 0 && pool === vm.pool ? id ?? null : null;
  };
  const before = await bootId();
  if (!before) throw new Error(`${vm.name}: not answering before the reboot`);
  forgetMasters(vm);
  if ((options.how ?? 'reboot') === 'reset') await qmp(vm, 'system_reset');
  else await sshExec(vm, 'root', 'systemctl reboot', { reuse: false, timeoutMs: 30000 });
  for (;;) {
    if (!isOurQemu(vm.pid, vm.runDir)) throw new Error(`${vm.name}: qemu ended during the reboot.\n--- console tail:\n${tail(vm.consoleLog, 40)}`);
    const now = await bootId().catch(() => null);
    if (now && now !== before) break;
    if (Date.now() > deadline) throw new Error(`${vm.name}: not back within ${(deadline - started) / 1000} s of the reboot.\n--- console tail:\n${tail(vm.consoleLog, 40)}`);
    await sleep(1000);
  }
  return { seconds: Math.round((Date.now() - started) / 100) / 10 };
}
