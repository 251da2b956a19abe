#!/usr/bin/env node
// The loopback bridge as a program: `npm start` runs it when no Electron binary is installed, and the
// Playwright suite drives it. Options: --port N (default: a free port), --renderer DIR, --open (launch
// Chromium in app mode when a display is available), --json (print one JSON line with origin/port/token and a
// one-time launch address, for the program that started it).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createCore } from '../services/core.ts';
import { appVersion } from '../services/runtime-versions.ts';
import { resolveConfigDir } from '../services/store/config-dir.ts';
import { openConfStore } from '../services/store/open-conf-store.ts';
import { describeHolder } from '../services/schedules/scheduler-lock.ts';
import { startNotifications } from '../services/desktop/notifications.ts';
import { startBridge } from './bridge-server.ts';
import { chromiumAppArgs, findChromium } from './open-browser.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    renderer: { type: 'string', default: path.join(root, '.vite', 'renderer', 'main_window') },
    open: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a number from 0 to 65535, got "${values.port}".`);
  process.exit(2);
}
if (!existsSync(path.join(values.renderer, 'index.html'))) {
  console.error(`No built renderer in ${values.renderer}. Build it first: npm run build:renderer`);
  process.exit(2);
}

const configDir = resolveConfigDir();
const store = openConfStore(configDir);
for (const message of store.warnings) console.error(`warning: ${message}`);
const core = createCore({
  store,
  configDir,
  by: 'bridge',
  versions: {
    app: appVersion(path.join(root, 'package.json')),
    node: process.versions.node,
    electron: null,
    chrome: null,
    platform: process.platform,
    transport: 'bridge',
  },
});
const launchCodeTtlMs = 10 * 60_000;
const bridge = await startBridge({ core, rendererDir: values.renderer, port, launchCodeTtlMs });
const schedules = await core.scheduler.start();
// Failed runs, recoveries and late replicas as `notification` events: the window shows them as toasts.
const stopNotifications = startNotifications(core);
if (schedules.state === 'standby') {
  console.error(`warning: scheduled runs do not start here: ${describeHolder(schedules.holder)} runs the schedules of this settings folder (they start here when it stops).`);
}

if (values.json) {
  // For the program that started us, on a pipe (the e2e suite): the token itself and one launch address.
  console.log(JSON.stringify({ origin: bridge.origin, port: bridge.port, token: bridge.token, launchUrl: bridge.issueLaunchUrl(), store: store.path }));
} else {
  console.log(`ZFS Replication Desktop is running in browser mode (loopback bridge, 127.0.0.1 only).`);
  printLaunchAddress();
  console.log(`Settings file: ${store.path}\nPress Ctrl-C to stop.`);
  if (process.stdin.isTTY) {
    console.log('Press Enter for a new address (each one opens the app once).');
    createInterface({ input: process.stdin }).on('line', printLaunchAddress);
  }
}

function printLaunchAddress(): void {
  const minutes = Math.round(launchCodeTtlMs / 60_000);
  console.log(`\nOpen this address in Chromium or Chrome (it works once, within ${minutes} minutes):\n\n  ${bridge.issueLaunchUrl()}\n`);
}

const chromium = findChromium();
if (values.open) {
  if (!chromium) console.log('No Chromium found to open it automatically.');
  else if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.log('No display found (DISPLAY/WAYLAND_DISPLAY unset): open the address above yourself.');
  } else {
    // Chromium's command line is readable by every local user: it names a private launcher page, never the token.
    const launcher = bridge.writeLauncher();
    const profile = mkdtempSync(path.join(tmpdir(), 'zrd-chromium-'));
    spawn(chromium, chromiumAppArgs(launcher.fileUrl, profile), {
      stdio: 'ignore',
      detached: true,
    }).unref();
  }
}

const shutdown = () => {
  stopNotifications();
  void Promise.all([bridge.close(), core.dispose()]).then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
