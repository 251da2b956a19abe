/// <reference lib="dom" />
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { findElectronBinary } from '../../../scripts/electron-binary.ts';

// The real desktop app through Playwright's Electron driver. It needs the Electron binary, which cannot be
// downloaded on machines without GitHub access (ELECTRON_SKIP_BINARY_DOWNLOAD): there the suite is reported as
// skipped with that reason, and the same renderer and services are covered by the browser suite.
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const binary = findElectronBinary(root);

test.describe('desktop app (Electron)', () => {
  test.skip(binary.path === null, `no Electron binary: ${binary.reason}`);

  test('opens the shell with the preload API and a locked-down renderer', async () => {
    const app = await electron.launch({
      executablePath: binary.path!,
      args: [path.join(root, '.vite', 'build', 'main.cjs')],
      env: { ...process.env, ZRD_CONFIG_DIR: process.env.ZRD_E2E_CONFIG_DIR ?? '' },
    });
    const window = await app.firstWindow();
    await expect(window.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await expect(window.getByTestId('version')).toContainText('Electron');
    const exposed = await window.evaluate(() => Object.keys((window as unknown as { api: object }).api).sort());
    expect(exposed).toContain('ping');
    expect(exposed).toContain('on');
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    const pong = await window.evaluate(() => (window as unknown as { api: { ping(r: object): Promise<unknown> } }).api.ping({ message: 'ipc' }));
    expect(pong).toMatchObject({ ok: true, value: { message: 'ipc' } });
    await window.screenshot({ path: 'test-results/screenshots/electron-shell.png' });
    await app.close();
  });
});
