/// <reference lib="dom" />
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type FileChooser, type Page } from '@playwright/test';
import { openConfStore } from '../../../electron/services/store/open-conf-store.ts';

// The command palette (Ctrl+K), export and import from the window, and the desktop notifications as toasts in
// browser mode, through the real bridge. The NAS names resolve nowhere: nothing here needs a NAS to answer.

const url = () => process.env.ZRD_E2E_URL!;
const screenshotDir = 'test-results/screenshots';
const store = () => openConfStore(process.env.ZRD_E2E_CONFIG_DIR!);

test.describe.configure({ mode: 'serial' });
// Several steps each, on a machine shared with VMs: more than the default 30 s.
test.setTimeout(180_000);

let ids: { a: string; b: string; task: string };

test.beforeAll(() => {
  const s = store();
  for (const task of s.listTasks()) s.removeTask(task.id);
  for (const c of s.listConnections()) if (c.name.startsWith('palette-')) s.removeConnection(c.id);
  const a = s.saveConnection({ name: 'palette-a', host: 'palette-a.invalid', username: 'admin', privilege: 'sudo' });
  const b = s.saveConnection({ name: 'palette-b', host: 'palette-b.invalid' });
  const task = s.saveTask({
    name: 'palette-docs',
    sourceConnectionId: a.id,
    sources: [{ name: 'tank/docs' }],
    destinationConnectionId: b.id,
    destinationParent: 'backup',
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    schedule: { kind: 'cron', expression: '0 * * * *' },
  });
  ids = { a: a.id, b: b.id, task: task.id };
});

/**
 * Presses the import shortcut until a file chooser opens, and returns it. Playwright switches Chromium's file-chooser
 * interception on when a listener is added, without waiting for it: a key pressed right after `waitForEvent` can
 * beat it on a loaded machine (the chooser then opens natively and is gone). So one listener stays for the whole
 * test, and the key is pressed again only if no chooser came.
 */
async function chooseFileToImport(page: Page, choosers: FileChooser[]): Promise<FileChooser> {
  await expect(async () => {
    if (choosers.length === 0) await page.keyboard.press('Control+Shift+I');
    await expect.poll(() => choosers.length, { timeout: 5_000 }).toBeGreaterThan(0);
  }).toPass({ timeout: 60_000 });
  return choosers.shift()!;
}

async function openPalette(page: Page) {
  await page.keyboard.press('Control+k');
  const palette = page.getByTestId('command-palette');
  await expect(palette).toBeVisible();
  return palette;
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`Ctrl+K opens the palette: views, NAS, tasks with run, and the menu's commands with their keys (${colorScheme})`, async ({ browser }) => {
    const context = await browser.newContext({ colorScheme, viewport: { width: 1200, height: 760 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(url());
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();

    const palette = await openPalette(page);
    await expect(palette.getByTestId('palette-go:tasks')).toContainText('Ctrl+2');
    await expect(palette.getByTestId(`palette-nas:${ids.a}`)).toBeVisible();
    await expect(palette.getByTestId(`palette-run:${ids.task}`)).toContainText('Run palette-docs now');
    await expect(palette.getByTestId('palette-action:run-all')).toContainText('Ctrl+Shift+R');
    await page.screenshot({ path: `${screenshotDir}/palette-open-${colorScheme}.png` });

    // Typing filters; Enter jumps to the NAS's datasets.
    await page.keyboard.type('palette-b');
    await expect(palette.getByTestId(`palette-nas:${ids.b}`)).toBeVisible();
    await expect(palette.getByTestId(`palette-nas:${ids.a}`)).toBeHidden();
    await page.screenshot({ path: `${screenshotDir}/palette-filtered-${colorScheme}.png` });
    await page.keyboard.press('Enter');
    await expect(palette).toBeHidden();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Datasets');
    await expect(page.getByRole('button', { name: /palette-b/ }).first()).toBeVisible();

    // Escape closes it without doing anything; focus comes back.
    await openPalette(page);
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('command-palette')).toBeHidden();

    // The shortcuts work without the palette too.
    await page.keyboard.press('Control+2');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tasks');
    await page.keyboard.press('Control+,');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
    expect(problems).toEqual([]);
    await context.close();
  });
}

test('pause schedules from the palette sets the shared setting (the daemon reads it too), and resume clears it', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  let palette = await openPalette(page);
  await page.keyboard.type('pause sched');
  await palette.getByTestId('palette-action:toggle-pause').click();
  await expect(page.getByText('Schedules paused')).toBeVisible();
  await expect.poll(() => store().getSettings().schedulesPaused).toBe(true);
  palette = await openPalette(page);
  await expect(palette.getByTestId('palette-action:toggle-pause')).toContainText('Resume schedules');
  await palette.getByTestId('palette-action:toggle-pause').click();
  await expect.poll(() => store().getSettings().schedulesPaused).toBe(false);

  // The same settings, and the desktop's opt-ins, in Settings.
  await page.keyboard.press('Control+,');
  await expect(page.getByRole('heading', { level: 2, name: 'Desktop and schedules' })).toBeVisible();
  await expect(page.getByTestId('setting-notifications').getByRole('checkbox')).toBeChecked();
  await page.getByTestId('setting-closeToTray').click();
  await expect.poll(() => store().getSettings().closeToTray).toBe(true);
  await page.screenshot({ path: `${screenshotDir}/settings-desktop.png`, fullPage: true });
  await page.getByTestId('setting-closeToTray').click();
  await expect.poll(() => store().getSettings().closeToTray).toBe(false);
});

test('export downloads one file without secrets; importing it back lists conflicts by name and replaces only what is ticked', async ({ page }) => {
  const choosers: FileChooser[] = [];
  page.on('filechooser', (chooser) => choosers.push(chooser));
  await page.goto(url());
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  const downloading = page.waitForEvent('download');
  await page.keyboard.press('Control+Shift+E');
  const download = await downloading;
  const file = path.join(tmpdir(), `zrd-e2e-export-${randomUUID()}.json`);
  await download.saveAs(file);
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  expect(exported.format).toBe('zfs-replication-desktop/config');
  expect(exported.tasks.map((t: { name: string }) => t.name)).toEqual(['palette-docs']);
  expect(JSON.stringify(exported)).not.toContain(ids.a);

  // Change the task here: the file now conflicts with it.
  const s = store();
  s.saveTask({ ...s.getTask('palette-docs'), retries: 7 });
  exported.connections.push({ name: 'palette-c', host: 'palette-c.invalid', port: 22, username: 'root', auth: { kind: 'agent' }, privilege: 'root', hostKey: null });
  writeFileSync(file, JSON.stringify(exported));

  await (await chooseFileToImport(page, choosers)).setFiles(file);
  const dialog = page.getByTestId('import-dialog');
  await expect(dialog).toContainText('1 entry exists here with different content');
  await expect(dialog).toContainText('palette-c');
  await expect(dialog.getByRole('checkbox', { name: /Replace \(differs in retries\)/ })).not.toBeChecked();
  await page.screenshot({ path: `${screenshotDir}/import-plan.png` });
  // Without ticking it: the new NAS is added, the task stays as it is here.
  await dialog.getByRole('button', { name: 'Import 1 new' }).click();
  await expect(dialog).toBeHidden();
  expect(store().listConnections().map((c) => c.name)).toContain('palette-c');
  expect(store().getTask('palette-docs').retries).toBe(7);

  // Again, ticking the conflict: the file's version replaces it.
  await (await chooseFileToImport(page, choosers)).setFiles(file);
  await dialog.getByRole('checkbox', { name: /Replace/ }).check({ force: true });
  await dialog.getByRole('button', { name: 'Import, replacing 1' }).click();
  await expect(dialog).toBeHidden();
  expect(store().getTask('palette-docs').retries).toBe(2);
  s.removeConnection(store().listConnections().find((c) => c.name === 'palette-c')!.id);
});

test('a failed run (of any process: here written to the history as the daemon would) shows as a toast with its hint and an Open log action', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  const now = new Date().toISOString();
  store().history.append({
    id: randomUUID(),
    taskId: ids.task,
    startedAt: now,
    finishedAt: now,
    result: 'FAILED',
    by: 'daemon',
    bytesSent: 0,
    snapshotsSent: 0,
    datasets: [],
    error: { code: 'HOST_UNREACHABLE', message: 'Cannot reach palette-b.invalid:22.', hint: 'Check that palette-b is on and reachable from this computer.' },
  });
  const toast = page.locator('[data-sonner-toast]').filter({ hasText: 'Replication "palette-docs" failed' });
  // The bridge looks at the history every 15 s.
  await expect(toast).toBeVisible({ timeout: 40_000 });
  await expect(toast).toContainText('Check that palette-b is on and reachable from this computer.');
  await page.screenshot({ path: `${screenshotDir}/notification-toast.png` });
  await toast.getByRole('button', { name: 'Open log' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tasks');
});
