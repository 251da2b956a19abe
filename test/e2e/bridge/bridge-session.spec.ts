/// <reference lib="dom" />
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startBridge } from '../../../electron/bridge/bridge-server.ts';
import { chromiumAppArgs } from '../../../electron/bridge/open-browser.ts';
import { createCore } from '../../../electron/services/core.ts';
import { openConfStore } from '../../../electron/services/store/open-conf-store.ts';
import { chromiumArgs, chromiumExecutable } from '../../../playwright.config.ts';

// How a browser gets into the browser-mode app without the token ever being on a command line (issue 11, item 2),
// and what a user sees when a request is too large for the bridge (item 3).

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const screenshotDir = 'test-results/screenshots';

test('the address the app prints opens the app once; a second use is refused with what to do', async ({ browser }) => {
  const launchUrl = process.env.ZRD_E2E_LAUNCH_URL!;
  expect(launchUrl).toMatch(/\/#code=/);
  expect(launchUrl).not.toContain(process.env.ZRD_E2E_TOKEN!);

  const first = await browser.newContext();
  const page = await first.newPage();
  await page.goto(launchUrl);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByTestId('version')).toContainText('browser mode');
  // The code left the address bar at once, and the tab keeps its session across a reload.
  expect(page.url()).not.toContain('code=');
  await page.reload();
  await expect(page.getByTestId('version')).toContainText('browser mode');
  await first.close();

  const second = await browser.newContext();
  const again = await second.newPage();
  await again.goto(launchUrl);
  await expect(again.getByRole('alert').first()).toContainText('already used or has expired');
  await again.screenshot({ path: `${screenshotDir}/bridge-used-address.png` });
  await second.close();
});

/** The command lines of every process whose command line mentions needle (what any local user sees with ps). */
function commandLinesMentioning(needle: string): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (line.includes(needle)) lines.push(line);
    } catch {
      // The process ended meanwhile.
    }
  }
  return lines;
}

test('`npm start` opens Chromium on a private launcher page: no secret on any command line, the page is gone once used', async () => {
  test.setTimeout(60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'zrd-e2e-launch-'));
  const calls: string[] = [];
  const core = createCore({
    store: openConfStore(path.join(dir, 'config')),
    configDir: path.join(dir, 'config'),
    versions: { app: '0.0.0-e2e', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  });
  // Record which verbs the opened page calls: proof that it reached the backend.
  const call: typeof core.call = (verb, request, caller) => (calls.push(verb), core.call(verb, request, caller));
  const bridge = await startBridge({ core: { call, connectClient: core.connectClient }, rendererDir: path.join(root, '.vite', 'renderer', 'main_window') });
  const launcher = bridge.writeLauncher();
  const profile = path.join(dir, 'profile');
  const headless = chromiumArgs.filter((arg) => ['--headless', '--no-sandbox', '--disable-gpu'].includes(arg));
  const chromium = spawn(chromiumExecutable, [...headless, ...chromiumAppArgs(launcher.fileUrl, profile)], { stdio: 'ignore' });
  try {
    await expect.poll(() => calls.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const seen = commandLinesMentioning(profile);
    expect(seen.length).toBeGreaterThan(0);
    for (const line of seen) {
      expect(line).not.toContain(bridge.token);
      expect(line).not.toContain('code=');
    }
    expect(existsSync(launcher.path)).toBe(false);
  } finally {
    chromium.kill();
    await new Promise((resolve) => (chromium.exitCode === null ? chromium.once('exit', resolve) : resolve(null)));
    await bridge.close();
    await core.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 1.1 MB paste into a form field gives a clear error at the field, and the backend keeps answering', async ({ page }) => {
  // Typing 1.1 million characters into a field takes Chromium a while on a loaded machine.
  test.setTimeout(120_000);
  await page.goto(process.env.ZRD_E2E_URL!);
  await page.getByTestId('nav-fleet').click();
  await page.getByRole('button', { name: 'Add NAS' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('x'.repeat(1_100_000));
  await dialog.getByLabel('Host or IP address').fill('nas-huge.invalid');
  await dialog.getByRole('button', { name: 'Save and test' }).click();
  // The contract's own schema refuses it in the form, in words, before anything is sent.
  await expect(dialog.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toContainText('Use at most 64 characters.');
  await expect(page.getByTestId('offline-bar')).toHaveCount(0);
  await page.screenshot({ path: `${screenshotDir}/bridge-huge-paste.png` });

  await dialog.getByLabel('Name').fill('nas-after-paste');
  await dialog.getByRole('button', { name: 'Save and test' }).click();
  await expect(dialog.locator('[data-step="tcp"]')).toHaveAttribute('data-state', 'failed', { timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  const card = page.locator('[data-testid="nas-card"][data-nas="nas-after-paste"]');
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: 'More actions for nas-after-paste' }).click();
  await page.getByRole('menuitem', { name: 'Forget this NAS' }).click();
  await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Forget nas-after-paste' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'No NAS yet' })).toBeVisible();
});
