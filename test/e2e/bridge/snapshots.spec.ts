/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import { randomBytes } from 'node:crypto';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { callVerb, saveTrustedNas } from '../support/bridge-client.ts';
import { nas, sshOk } from '../support/testbed.ts';

// The snapshot screens against nas-a: a dataset with 2,000 real snapshots in the virtualized table (scroll, filter,
// sort); the retention review of a periodic snapshot task (counts, a held snapshot and a replication task's common
// base kept with that reason, then "apply" removes exactly what it showed as pruned, compared on the NAS); the
// schedule calendar with the task's next runs; every screen in light and dark, axe-checked.

const url = () => process.env.ZRD_E2E_URL!;
const screenshotDir = 'test-results/screenshots';
const suffix = randomBytes(3).toString('hex');
const bigDataset = `tank/snap-e2e-${suffix}`;
const retentionDataset = `tank/ret-e2e-${suffix}`;
const nasName = `snap-nas-${suffix}`;
const HOUR = 3_600_000;

test.describe.configure({ mode: 'serial' });
test.setTimeout(600_000);

/** auto-YYYY-MM-DD_HH-MM (UTC) of an instant. */
const nameAt = (t: number) => `auto-${new Date(t).toISOString().slice(0, 16).replace('T', '_').replace(':', '-')}`;
const thisHour = Math.floor(Date.now() / HOUR) * HOUR;
const bigNames = Array.from({ length: 2000 }, (_, i) => nameAt(thisHour - (1999 - i) * HOUR));
// The 2,000 snapshots live in 20 children of bigDataset, 100 consecutive hours each (child NN holds hours
// NN*100 … NN*100+99): ZFS takes one snapshot of a dataset per transaction group, so 2,000 snapshots of ONE dataset
// cost 2,000 txg syncs (tens of minutes on an emulated VM of a loaded machine); one `zfs snapshot` of 20 datasets is
// one txg, so 100 commands make them all. The screen lists "the dataset and below": the same 2,000 rows, names unique.
const PARTS = 20;
const partOf = (i: number) => `${bigDataset}/part-${String(Math.floor(i / (2000 / PARTS))).padStart(2, '0')}`;
const bigFullName = (i: number) => `${partOf(i)}@${bigNames[i]!}`;
const retentionNames = Array.from({ length: 60 }, (_, i) => nameAt(thisHour - (59 - i) * HOUR));
const heldName = retentionNames[8]!;
const baseName = retentionNames[14]!;
let ids: { connection: string; snapshotTask: string; replicationTask: string };

async function snapshotsOnNas(dataset: string): Promise<string[]> {
  const out = await sshOk(nas('nas-a'), 'root', `zfs list -H -o name -t snapshot -d 1 ${dataset}`);
  return out.split('\n').filter(Boolean).map((line) => line.slice(dataset.length + 1)).sort();
}

test.beforeAll(async () => {
  // Creating 2,000 snapshots on an emulated VM of a loaded machine takes more than a hook's default 30 s.
  test.setTimeout(1_500_000);
  const vm = nas('nas-a');
  // One ssh call, one shell script on stdin: the datasets, then 100 `zfs snapshot` commands of 20 snapshots each (one
  // per child; the retention dataset's 60 ride along in the first 60). `zfs snapshot` takes at most one snapshot of a
  // dataset per command (and a channel program's zfs.sync.snapshot refuses a second one in the same txg: EAGAIN).
  const perPart = 2000 / PARTS;
  const lines = [`zfs create -p ${retentionDataset}`, `zfs create -p ${bigDataset}`];
  for (let p = 0; p < PARTS; p++) lines.push(`zfs create ${partOf(p * perPart)}`);
  for (let h = 0; h < perPart; h++) {
    const names = Array.from({ length: PARTS }, (_, p) => bigFullName(p * perPart + h));
    if (h < retentionNames.length) names.push(`${retentionDataset}@${retentionNames[h]!}`);
    lines.push(`zfs snapshot ${names.join(' ')}`);
  }
  await sshOk(vm, 'root', 'sh -e', { input: `${lines.join('\n')}\n`, timeoutMs: 1_200_000 });
  const connection = await saveTrustedNas(nasName, vm);
  const replication = await callVerb('saveTask', {
    name: `e2e-repl-${suffix}`,
    sourceConnectionId: connection,
    sources: [{ name: `tank/elsewhere-${suffix}` }],
    destinationConnectionId: connection,
    destinationParent: `tank/copies-${suffix}`,
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
  });
  await sshOk(vm, 'root', `zfs hold keep ${retentionDataset}@${heldName} && zfs hold zfs-replication:${replication.id} ${retentionDataset}@${baseName}`);
  const snapshotTask = await callVerb('saveSnapshotTask', {
    connectionId: connection,
    dataset: retentionDataset,
    recursive: false,
    exclude: [],
    namingSchema: 'auto-%Y-%m-%d_%H-%M',
    timeZone: 'UTC',
    schedule: { kind: 'cron', expression: '0 * * * *', timeZone: 'UTC' },
    lifetime: { kind: 'grid', last: 0, hourly: 12, daily: 2, weekly: 0, monthly: 0, yearly: 0 },
  });
  ids = { connection, snapshotTask: snapshotTask.id, replicationTask: replication.id };
});

test.afterAll(async () => {
  test.setTimeout(600_000);
  const vm = nas('nas-a');
  await sshOk(vm, 'root', `zfs release keep ${retentionDataset}@${heldName}; zfs release zfs-replication:${ids?.replicationTask} ${retentionDataset}@${baseName}; zfs destroy -r ${bigDataset}; zfs destroy -r ${retentionDataset}; true`, { timeoutMs: 300_000 });
  if (ids) {
    await callVerb('removeSnapshotTask', { id: ids.snapshotTask });
    await callVerb('removeTask', { id: ids.replicationTask });
    await callVerb('removeConnection', { id: ids.connection });
  }
});

async function openSnapshots(page: Page, dataset: string) {
  await page.goto(url());
  await page.getByTestId('nav-snapshots').click();
  await page.getByRole('button', { name: /(^|\s)NAS$/ }).first().click();
  await page.getByRole('option', { name: new RegExp(nasName) }).click();
  await page.getByLabel('Dataset (and below; empty: the whole NAS)').fill(dataset);
  await page.getByRole('button', { name: 'List', exact: true }).click();
}

const tableBody = (page: Page, testId: string) => page.getByTestId(testId).locator('.data-table-body');
const firstRowName = (page: Page) => page.getByTestId('snapshot-table').locator('[role=row][data-row-id]').first().getAttribute('data-row-id');

test('a dataset with 2,000 real snapshots scrolls, filters and sorts', async ({ page }) => {
  await openSnapshots(page, bigDataset);
  await expect(page.getByTestId('snapshot-count')).toHaveText('2000 snapshots', { timeout: 120_000 });
  // Virtualized: a screenful of rows in the DOM, not 2,000.
  expect(await page.getByTestId('snapshot-table').locator('[role=row][data-row-id]').count()).toBeLessThan(80);

  // Sort by name, one way then the other.
  const oldest = bigFullName(0);
  const newest = bigFullName(1999);
  const header = page.getByTestId('snapshot-table').getByRole('button', { name: 'Snapshot', exact: true });
  await header.click();
  await expect.poll(() => firstRowName(page)).toMatch(/@auto-/);
  const first = await firstRowName(page);
  expect([oldest, newest]).toContain(first);
  const last = first === oldest ? newest : oldest;
  await header.click();
  await expect.poll(() => firstRowName(page)).toBe(last);

  // Scroll to the end: the other end's row is drawn, at row 2,001 (the header is row 1).
  await tableBody(page, 'snapshot-table').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.locator(`[data-row-id="${first}"]`)).toBeVisible();
  await expect(page.locator(`[data-row-id="${first}"]`)).toHaveAttribute('aria-rowindex', '2001');

  // Keyboard: Home, End on the grid move the active row.
  await page.getByTestId('snapshot-table').focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('active-snapshot')).toContainText(last!.split('@')[1]!);
  await page.keyboard.press('End');
  await expect(page.getByTestId('active-snapshot')).toContainText(first!.split('@')[1]!);

  // Filter by name and by age.
  const day = bigNames[1000]!.slice(0, 'auto-YYYY-MM-DD'.length);
  await page.getByLabel('Search snapshots by name').fill(day);
  await expect(page.getByTestId('snapshot-count')).toHaveText(`${bigNames.filter((n) => n.startsWith(day)).length} snapshots of 2000`);
  await page.getByLabel('Search snapshots by name').fill('');
  await page.getByRole('button', { name: /(^|\s)Age$/ }).click();
  await page.getByRole('option', { name: 'Last 7 days' }).click();
  // Creation time is when the snapshots were made (all now): the age filter reads it, not the name.
  await expect(page.getByTestId('snapshot-count')).toHaveText('2000 snapshots');
  await page.getByRole('button', { name: /(^|\s)Age$/ }).click();
  await page.getByRole('option', { name: 'Older than 30 days' }).click();
  await expect(page.getByTestId('snapshot-count')).toHaveText('0 snapshots of 2000');
});

async function screens(browser: Browser, colorScheme: 'light' | 'dark') {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  const axe = async (name: string) => {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  };
  const shot = async (name: string) => {
    await page.screenshot({ path: `${screenshotDir}/${name}-${colorScheme}.png` });
    await axe(name);
  };
  await openSnapshots(page, retentionDataset);
  await expect(page.getByTestId('snapshot-count')).toHaveText('60 snapshots', { timeout: 120_000 });
  await shot('snapshots-table');

  await page.getByRole('tab', { name: 'Periodic tasks' }).click();
  await expect(page.getByTestId('snapshot-task')).toHaveCount(1);
  await shot('snapshot-tasks');
  await page.getByRole('button', { name: 'Edit…' }).click();
  await expect(page.getByTestId('schema-example')).toContainText(`${retentionDataset}@auto-`);
  await expect(page.getByTestId('cron-words')).toContainText('Every hour');
  await shot('snapshot-task-dialog');
  await page.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Review retention' }).click();
  await expect(page.getByTestId('prune-count')).toBeVisible({ timeout: 120_000 });
  await shot('retention-review');

  await page.getByTestId('nav-schedule').click();
  await expect(page.getByTestId('calendar-task').first()).toBeVisible();
  await shot('schedule-calendar');
  expect(problems).toEqual([]);
  await context.close();
}

test('every snapshot screen in light and dark, with no serious accessibility violation', async ({ browser }) => {
  await screens(browser, 'light');
  await screens(browser, 'dark');
});

test('the retention review: counts, held and common base kept with their reason, and apply removes exactly what it showed as pruned', async ({ page }) => {
  const before = await snapshotsOnNas(retentionDataset);
  expect(before).toHaveLength(60);
  await page.goto(url());
  await page.getByTestId('nav-snapshots').click();
  await page.getByRole('tab', { name: 'Periodic tasks' }).click();
  await page.getByRole('button', { name: 'Review retention' }).click();
  const summary = page.getByTestId('retention-summary');
  await expect(summary).toContainText('held: 1', { timeout: 120_000 });
  await expect(summary).toContainText('common base: 1');
  const pruneText = (await page.getByTestId('prune-count').textContent())!;
  const keepText = (await page.getByTestId('keep-count').textContent())!;
  const pruned = Number(/Prunes (\d+)/.exec(pruneText)![1]);
  const kept = Number(/keeps (\d+)/.exec(keepText)![1]);
  expect(pruned + kept).toBe(60);
  expect(pruned).toBeGreaterThan(30);

  // The policy edited inline changes the counts at once, with the difference against the saved one.
  await page.getByTestId('policy-editor').getByLabel('Hourly').fill('24');
  await expect(page.getByTestId('retention-diff')).toContainText(/Against the saved policy: \d+ more snapshots? pruned, \d+ more snapshots kept/);
  await expect(page.getByTestId('prune-count')).not.toHaveText(pruneText);
  await page.getByRole('button', { name: 'Reset to the saved policy' }).click();
  await expect(page.getByTestId('prune-count')).toHaveText(pruneText);

  // The held snapshot and the common base, in the table with their reason (the same decision).
  await page.getByRole('tab', { name: 'Snapshots' }).click();
  await page.getByRole('button', { name: /(^|\s)NAS$/ }).first().click();
  await page.getByRole('option', { name: new RegExp(nasName) }).click();
  await page.getByLabel('Dataset (and below; empty: the whole NAS)').fill(retentionDataset);
  await page.getByRole('button', { name: 'List', exact: true }).click();
  await expect(page.getByTestId('snapshot-count')).toHaveText('60 snapshots', { timeout: 120_000 });
  await page.getByLabel('Search snapshots by name').fill(heldName);
  await expect(page.locator(`[data-row-id="${retentionDataset}@${heldName}"]`)).toContainText('held');
  await expect(page.locator(`[data-row-id="${retentionDataset}@${heldName}"]`)).toContainText('ZFS will not destroy it');
  await page.getByLabel('Search snapshots by name').fill(baseName);
  await expect(page.locator(`[data-row-id="${retentionDataset}@${baseName}"]`)).toContainText(`common base of e2e-repl-${suffix}`);

  // Apply: the confirmation lists exactly what goes; afterwards the NAS has exactly the rest.
  await page.getByRole('tab', { name: 'Retention review' }).click();
  await expect(page.getByTestId('prune-count')).toHaveText(pruneText, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Apply (prune now)…' }).click();
  const confirm = page.getByTestId('confirm-dialog');
  await expect(confirm).toBeVisible({ timeout: 120_000 });
  const listed = (await confirm.locator('.confirm-list li code').allTextContents()).map((n) => n.slice(retentionDataset.length + 1)).sort();
  expect(listed).toHaveLength(pruned);
  expect(listed).not.toContain(heldName);
  expect(listed).not.toContain(baseName);
  await page.screenshot({ path: `${screenshotDir}/retention-apply-confirm-light.png` });
  await confirm.getByRole('button', { name: `Prune ${pruned} snapshots` }).click();
  await expect(confirm).toBeHidden({ timeout: 120_000 });
  const after = await snapshotsOnNas(retentionDataset);
  expect(after).toEqual(before.filter((n) => !listed.includes(n)));
  await expect(page.getByTestId('prune-count')).toHaveText('Prunes 0 snapshots', { timeout: 120_000 });
});

test('the schedule calendar shows the periodic task and its next runs', async ({ page }) => {
  await page.goto(url());
  await page.getByTestId('nav-schedule').click();
  const entry = page.locator(`[data-testid="calendar-task"][data-task="${ids.snapshotTask}"]`);
  await expect(entry).toContainText('Every hour');
  await expect(entry.getByTestId('next-runs')).toContainText(':00');
  expect(await page.locator(`[data-testid="calendar-run"][data-task="${ids.snapshotTask}"]`).count()).toBeGreaterThan(0);
  await page.getByTestId('cron-input').fill('*/70 * * * *');
  await expect(page.getByTestId('cron-description')).toContainText('not a valid minute');
  await page.getByTestId('cron-input').fill('30 2 * * 1');
  await expect(page.getByTestId('cron-description')).toContainText('At 02:30');
});
