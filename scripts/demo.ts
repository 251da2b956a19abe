// `npm run demo`: boots the two test NAS VMs (nas-a with sample data: datasets, a name with a space, a zvol, a day
// of hourly snapshots; nas-b empty), then opens the app with NOTHING saved (a fresh settings folder) and prints
// what to type, so a new user can walk through adding both NAS, confirming fingerprints and installing the key.
// Ctrl-C stops the app and the VMs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildBundles } from './build-bundles.ts';

const root = path.resolve(import.meta.dirname, '..');
const children: ChildProcess[] = [];
let configDir: string | null = null;

function stopAll(code: number): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGINT');
  if (configDir) rmSync(configDir, { recursive: true, force: true });
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

interface VmLine {
  name: string;
  port: number;
  pool: string;
  peer: string;
}

/** Starts `nas.ts demo` and resolves with the VMs once they are up and populated (its own printed summary). */
function bootVms(): Promise<{ vms: VmLine[]; passwords: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'test', 'nas', 'nas.ts'), 'demo'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const vms: VmLine[] = [];
    const passwords: Record<string, string> = {};
    child.once('exit', (code) => reject(new Error(`the test bed stopped (exit ${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const vm = /^\s+(nas-[ab])\s+host 127\.0\.0\.1\s+port (\d+)\s+pool (\S+)\s+\(peer address inside the VMs: (\S+)\)/.exec(line);
      if (vm) vms.push({ name: vm[1]!, port: Number(vm[2]), pool: vm[3]!, peer: vm[4]! });
      const user = /^\s+(root|admin)\s+\/ (\S+)/.exec(line);
      if (user) passwords[user[1]!] = user[2]!;
      if (/^(snapshots:|\s*booting|all \d+ VMs ready)/.test(line)) process.stdout.write(`  ${line}\n`);
      if (line.startsWith('Press Ctrl-C')) resolve({ vms, passwords });
    });
  });
}

function startApp(): Promise<string> {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-demo-settings-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'electron', 'bridge', 'bridge-main.ts'), '--json', '--open'], {
      cwd: root,
      env: { ...process.env, ZRD_CONFIG_DIR: configDir! },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    child.once('exit', (code) => reject(new Error(`the app stopped (exit ${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
}

process.stdout.write('Booting the two test NAS VMs (1-4 minutes; the first run builds the image, ~10 minutes)...\n');
try {
  const [{ vms, passwords }] = await Promise.all([bootVms(), buildBundles('renderer')]);
  const url = await startApp();
  const a = vms.find((v) => v.name === 'nas-a');
  const b = vms.find((v) => v.name === 'nas-b');
  if (!a || !b) throw new Error('the test bed did not report nas-a and nas-b');
  const lines = [
    '',
    'The app is running with nothing saved (it opens in Chromium when a display is available; otherwise open this address):',
    '',
    `  ${url}`,
    '',
    'Then, in the app:',
    '',
    `  1. Fleet > Add NAS: name nas-a, host 127.0.0.1, SSH port ${a.port}, user root, runs zfs as "root". Save and test.`,
    '  2. The test stops at the host key: compare the fingerprint with the one the NAS prints. From a terminal here:',
    `       ssh -p ${a.port} root@127.0.0.1 ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub   (password ${passwords.root ?? 'zrd-root'})`,
    '     If they match, "It matches: trust this NAS".',
    `  3. Password of root on nas-a: ${passwords.root ?? 'zrd-root'} -> "Install the key". The test runs to the end and lists pool ${a.pool}.`,
    `  4. Add NAS: name nas-b, host 127.0.0.1, SSH port ${b.port}, user admin, runs zfs as "sudo for zfs";`,
    `     trust its fingerprint, then password ${passwords.admin ?? 'zrd-admin'} (used once, never stored).`,
    `  5. "NAS-to-NAS trust": nas-a reaches nas-b at ${b.peer} port 22, and nas-b reaches nas-a at ${a.peer} port 22.`,
    `  6. Datasets > nas-a: the tree of ${a.pool}, with "my documents" (a name with a space) and the zvol vm-disk.`,
    '',
    `Settings of this demo: ${configDir} (deleted at the end). Press Ctrl-C to stop the app and the VMs.`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  stopAll(1);
}
