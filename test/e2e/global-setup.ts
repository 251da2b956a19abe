import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildBundles } from '../../scripts/build-bundles.ts';
import { DEFAULT_VMS, useOrBootTestbed } from '../nas/testbed.ts';

// Starts the real loopback bridge as its own process (as `npm start` does without Electron), with a private
// settings folder, and hands its address and token to the tests through the environment.
// The NAS VMs: under `npm test` the pair scripts/test.ts booted for vitest and Playwright (ZRD_TESTBED_FILE);
// run alone (`npx playwright test`), a pair booted here and stopped at the end. Tests read it with
// test/e2e/support/testbed.ts.
const root = path.resolve(import.meta.dirname, '..', '..');

export default async function globalSetup(): Promise<() => Promise<void>> {
  const nas = await useOrBootTestbed({ vms: DEFAULT_VMS });
  try {
    return await startBridge(nas.stop);
  } catch (e) {
    await nas.stop();
    throw e;
  }
}

async function startBridge(stopNas: () => Promise<void>): Promise<() => Promise<void>> {
  if (!existsSync(path.join(root, '.vite', 'renderer', 'main_window', 'index.html'))) await buildBundles('renderer');
  const configDir = mkdtempSync(path.join(tmpdir(), 'zrd-e2e-config-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'electron', 'bridge', 'bridge-main.ts'), '--json'], {
    cwd: root,
    env: { ...process.env, ZRD_CONFIG_DIR: configDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<{ origin: string; port: number; token: string; launchUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bridge did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`the bridge exited with code ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
  });
  // The suite holds the token (read from the bridge's stdout, on a pipe) and hands it to each page directly; Playwright
  // drives Chromium over a pipe too, so it is never on a command line. ZRD_E2E_LAUNCH_URL is the one-time address
  // a user would get (usable once).
  process.env.ZRD_E2E_URL = `${info.origin}/#token=${info.token}`;
  process.env.ZRD_E2E_LAUNCH_URL = info.launchUrl;
  process.env.ZRD_E2E_ORIGIN = info.origin;
  process.env.ZRD_E2E_TOKEN = info.token;
  process.env.ZRD_E2E_PORT = String(info.port);
  process.env.ZRD_E2E_CONFIG_DIR = configDir;
  return async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    rmSync(configDir, { recursive: true, force: true });
    await stopNas();
  };
}
