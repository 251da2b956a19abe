/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createReplicationFixture, type ReplicationFixture } from '../support/replication-fixture.ts';
import { nas, sshOk } from '../support/testbed.ts';

// The task dashboard, live runs and maintenance against the NAS VMs, through the real bridge in Chromium: a task
// (saved through the contract) runs in full with its progress reaching 100 % and its log streaming, again as an
// incremental, is stopped mid-transfer and resumed by the next run; doctor is green on the healthy task; a
// snapshot made on the destination makes the next run refuse with the exact list of what would be destroyed, doctor
// fails with its fix, and repair applies after a confirmation that lists it. Every screen and dialog is saved in
// light and dark and checked with axe.

const url = () => process.env.ZRD_E2E_URL!;
const shots = 'test-results/screenshots';
const name = 'dash-e2e';

test.describe.configure({ mode: 'serial' });
// Runs on TCG VMs shared by two cores: minutes, not seconds.
test.setTimeout(600_000);

let fx: ReplicationFixture;
let reverseTaskId: string;
let page: Page;

async function shoot(shotName: string, target?: Locator) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Let the theme's transition (and the chart's redraw) settle.
    await page.waitForTimeout(150);
    const path = `${shots}/${shotName}-${colorScheme}.png`;
    if (target) await target.screenshot({ path });
    else await page.screenshot({ path });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** No serious or critical WCAG 2.1 A/AA violation, in both themes. */
async function axe(what: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${what} (${colorScheme}): ${v.id} ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(bad).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const runPanel = () => page.getByTestId('run-panel');
const wholeRun = () => runPanel().getByRole('progressbar', { name: 'Whole run' });

/** Run now, then wait for this new run to end in `state`; returns the percents the whole-run bar showed meanwhile. */
async function runNow(state: 'finished' | 'refused', timeout = 300_000): Promise<number[]> {
  const before = (await runPanel().count()) > 0 ? await runPanel().getAttribute('data-run-id') : null;
  await page.getByTestId('run-now').click();
  await expect(runPanel()).not.toHaveAttribute('data-run-id', before ?? '');
  const seen: number[] = [];
  const end = Date.now() + timeout;
  for (;;) {
    // A run that ends refused shows its outcome, not a bar: read the bar only while it is there (without waiting).
    const now = (await wholeRun().count()) > 0 ? await wholeRun().getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => null) : null;
    if (now !== null && seen.at(-1) !== Number(now)) seen.push(Number(now));
    const current = await runPanel().getAttribute('data-state');
    if (current !== 'running') {
      expect(current).toBe(state);
      break;
    }
    if (Date.now() > end) throw new Error(`the run did not end within ${timeout / 1000} s`);
    await page.waitForTimeout(200);
  }
  return seen;
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  // 6 MiB that does not compress, sent at 512 KiB/s: about 12 s of transfer, time to watch the progress.
  fx = await createReplicationFixture(name, { bandwidthLimitKiBps: 512, schedule: { kind: 'cron', expression: '0 3 * * *', timeZone: 'Europe/Berlin' } });
  // A second task, the other way and never run, so the map has two arrows and the table a PENDING row.
  reverseTaskId = (
    await fx.api.ok('saveTask', {
    name: `${name} back`,
    sourceConnectionId: fx.destinationId,
    sources: [{ name: `backup/${name}-nothing` }],
    destinationConnectionId: fx.sourceId,
    destinationParent: `tank/${name}-back`,
    transport: { kind: 'relay' },
      selection: { kind: 'all' },
    })
  ).id;
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  await page.goto(url());
  await page.getByTestId('nav-tasks').click();
});

test.afterAll(async () => {
  test.setTimeout(180_000);
  await page?.context().close();
  await fx?.remove();
});

test('the dashboard lists every task with its state, next run and lag, and draws the fleet map', async () => {
  const table = page.getByTestId('task-table');
  const row = table.locator(`[data-row-id="${fx.task.id}"]`);
  await expect(row).toContainText(name);
  await expect(row).toContainText('PENDING');
  await expect(row).toContainText(`nas-a:tank/${name}`);
  await expect(row).toContainText('relay');
  // Daily at 03:00 in Berlin: the next run is within a day.
  await expect(row).toContainText(/in \d+ hours?|tomorrow|in \d+ minutes?/);
  await expect(table.locator(`[data-row-id="${reverseTaskId}"]`)).toContainText('no replica yet', { timeout: 90_000 });
  await shoot('tasks-dashboard');
  await axe('dashboard');

  // Search and the state filter.
  await page.getByRole('searchbox', { name: 'Search tasks' }).fill('nothing');
  await expect(table.locator(`[data-row-id="${fx.task.id}"]`)).toHaveCount(0);
  await expect(table.locator(`[data-row-id="${reverseTaskId}"]`)).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search tasks' }).fill('');
  await page.getByRole('radio', { name: 'Failed' }).or(page.getByRole('button', { name: 'Failed' })).first().click();
  await expect(table).toContainText('No task matches.');
  await page.getByRole('radio', { name: 'All' }).or(page.getByRole('button', { name: 'All', exact: true })).first().click();

  // The map: one arrow per task, each a link to its task.
  await page.getByTestId('show-map').click();
  const map = page.getByTestId('topology');
  await expect(map.locator('[data-task-id]')).toHaveCount(2);
  await expect(map.locator(`[data-task-id="${fx.task.id}"]`)).toHaveAccessibleName(new RegExp(`^${name} · never run\\s*tank/${name}`));
  await shoot('tasks-topology');
  await axe('map');
  // Keyboard: Tab to the arrow, Enter opens the task.
  await map.locator(`[data-task-id="${fx.task.id}"]`).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('task-title')).toHaveText(name);
});

test('a run, live: per-dataset progress to 100 %, the log streaming beside it, then an incremental', async () => {
  const seen = await runNow('finished');
  // The bar moved through the transfer and ended full.
  expect(seen.some((p) => p > 0 && p < 100)).toBe(true);
  await expect(wholeRun()).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByTestId('run-percent')).toContainText('100 %');
  const log = page.getByTestId('task-log');
  await expect(log).toContainText(`Full send s1 of ${fx.source}`);
  await expect(log).toContainText('Result: FINISHED.');
  await expect(page.getByTestId('run-report')).toContainText(`full send of @s1`);

  // The log is searchable.
  await page.getByRole('searchbox', { name: 'Search the log' }).fill('full send');
  await expect(log.locator('.log-line')).toHaveCount(1);
  await page.getByRole('searchbox', { name: 'Search the log' }).fill('');

  // Again, after a new snapshot: incremental, and the live screen is caught mid-run for its picture.
  await fx.addData('second.bin', 2, 's2');
  await page.getByTestId('run-now').click();
  await expect(runPanel()).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('run-step')).toContainText(/incremental @s1 -> @s2|Planned|Connecting/);
  await expect(runPanel().locator('[data-step="sending"]')).toBeVisible({ timeout: 120_000 });
  await shoot('run-live-start');
  await axe('live run');
  await expect(runPanel()).toHaveAttribute('data-state', 'finished', { timeout: 300_000 });
  await expect(page.getByTestId('run-report')).toContainText('incremental @s1 -> @s2');
  await expect(log).toContainText(`Incremental send s1 -> s2 of ${fx.source}`);
  await shoot('run-finished');
});

test('doctor is all green on the healthy task', async () => {
  await page.getByRole('button', { name: `More actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: 'Doctor…' }).click();
  const dialog = page.getByTestId('doctor-dialog');
  await expect(dialog.getByTestId('doctor-summary')).toHaveAttribute('data-status', 'ok', { timeout: 120_000 });
  await expect(dialog.getByTestId('doctor-summary')).toContainText(/All \d+ checks passed/);
  await expect(dialog.locator('[data-state="failed"]')).toHaveCount(0);
  await shoot('doctor-healthy');
  await axe('doctor');
  await dialog.getByRole('button', { name: 'Close' }).last().click();
});

test('stop a run mid-transfer; the next run resumes it', async () => {
  await fx.addData('third.bin', 8, 's3');
  await page.getByTestId('run-now').click();
  await expect(runPanel()).toHaveAttribute('data-state', 'running');
  // Stop once some bytes are across (the stream is resumable from there).
  await expect.poll(async () => Number((await wholeRun().getAttribute('aria-valuenow')) ?? 0), { timeout: 180_000, intervals: [200] }).toBeGreaterThanOrEqual(5);
  // The live run with bytes flowing (8 MiB at 512 KiB/s: time for the picture before Stop).
  await shoot('run-live');
  await page.getByTestId('stop-run').click();
  await expect(runPanel()).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
  await expect(runPanel()).toContainText('the next run resumes the transfer');
  await expect(page.getByTestId('run-step')).toContainText(/^Stopped after sending \S+ \S+ of about/);
  await expect(runPanel().locator(`[data-dataset="${fx.source}"]`)).toContainText('Stopped');
  const token = await sshOk(nas('nas-b'), 'root', `zfs get -H -o value receive_resume_token '${fx.replica}'`);
  expect(token.trim()).not.toBe('-');
  await shoot('run-stopped');

  await runNow('finished');
  await expect(page.getByTestId('task-log')).toContainText(new RegExp(`Resumed send\\s+of ${fx.source}`));
  expect((await sshOk(nas('nas-b'), 'root', `zfs get -H -o value receive_resume_token '${fx.replica}'`)).trim()).toBe('-');
});

test('history: bytes and duration per run, every run with its result, any run opens its log', async () => {
  await page.getByRole('tab', { name: 'History' }).click();
  const table = page.getByTestId('history-table');
  // Full, incremental, the stopped one and the resumed one (a stopped run is recorded as failed with CANCELLED,
  // resumable, and shown as STOPPED: it was the admin's choice, not a failure).
  await expect.poll(() => table.locator('[role="row"][data-row-id]').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  await expect(table).toContainText('FINISHED');
  await expect(table).toContainText('STOPPED');
  await expect(table).not.toContainText('FAILED');
  // What the stopped run sent before Stop is in its record (the next run resumed after it).
  await expect(table.locator('[role="row"][data-row-id]', { hasText: 'STOPPED' })).not.toContainText(/\b0 B\b/);
  await expect(page.getByTestId('history-chart').locator('canvas')).toBeVisible();
  await shoot('history');
  await axe('history');
  // The oldest run (sorted newest first: the last row) opens its log.
  await table.locator('[role="row"][data-row-id]').last().dblclick();
  const dialog = page.getByTestId('run-log-dialog');
  await expect(dialog.getByTestId('run-log')).toContainText(`Full send s1 of ${fx.source}`);
  await expect(dialog.getByTestId('run-log')).not.toContainText('Incremental send');
  await shoot('history-run-log');
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  await page.getByRole('tab', { name: /Run/ }).click();
});

test('a diverged destination: the exact list before anything is destroyed; doctor fails with its fix; repair after a confirmation that lists it', async () => {
  const b = nas('nas-b');
  await sshOk(b, 'root', `zfs snapshot '${fx.replica}@mine'`);

  // The run refuses and lists exactly what proceeding destroys; nothing is changed.
  await runNow('refused');
  // Its outcome in words, not a progress bar; the dataset says it was refused.
  await expect(page.getByTestId('run-step')).toHaveText('Nothing was sent or destroyed.');
  await expect(runPanel().getByRole('progressbar')).toHaveCount(0);
  await expect(runPanel().locator(`[data-dataset="${fx.source}"]`)).toContainText('Refused');
  // The task's state beside its name: the refused run is over (it said RUNNING while the task list lagged).
  await expect(page.locator('.task-title')).toContainText('FAILED');
  await expect(page.locator('.task-title')).not.toContainText('RUNNING');
  const divergence = page.getByTestId('divergence');
  await expect(divergence).toContainText('The destination diverged');
  const listed = await divergence.getByTestId('would-destroy').locator('li code').allTextContents();
  expect(listed).toContain(`${fx.replica}@mine`);
  for (const item of listed) expect(item.startsWith(fx.replica)).toBe(true);
  await shoot('run-diverged');
  await divergence.getByRole('button', { name: /Destroy exactly these/ }).click();
  const confirm = page.getByTestId('confirm-dialog');
  await expect(confirm).toContainText(`${fx.replica}@mine`);
  await shoot('divergence-confirm');
  await axe('divergence confirmation');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  expect(await sshOk(b, 'root', `zfs list -H -o name -t snapshot '${fx.replica}@mine'`)).toContain('@mine');

  // Doctor: a failed check, with its fix.
  await page.getByRole('button', { name: `More actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: 'Doctor…' }).click();
  const doctor = page.getByTestId('doctor-dialog');
  await expect(doctor.getByTestId('doctor-summary')).toHaveAttribute('data-status', 'fail', { timeout: 120_000 });
  const failed = doctor.locator('[data-state="failed"]');
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText('diverged');
  await expect(failed).toContainText('Fix: Run repair');
  await shoot('doctor-failed');

  // Repair from the doctor: the plan, the destruction listed, applied only after the confirmation.
  await doctor.getByRole('button', { name: 'Repair…' }).click();
  const repair = page.getByTestId('repair-dialog');
  await expect(repair.getByTestId('repair-destroys')).toContainText(`${fx.replica}@mine`, { timeout: 120_000 });
  await shoot('repair-plan');
  await axe('repair');
  await repair.getByRole('button', { name: 'Apply the repair…' }).click();
  const confirmRepair = page.getByTestId('confirm-dialog');
  await expect(confirmRepair).toContainText(`${fx.replica}@mine`);
  await shoot('repair-confirm');
  await confirmRepair.getByRole('button', { name: /Destroy \d+ and repair/ }).click();
  await expect(runPanel()).toContainText('Repair run', { timeout: 60_000 });
  await expect(runPanel()).toHaveAttribute('data-state', 'finished', { timeout: 300_000 });
  expect(await sshOk(b, 'root', `zfs list -H -o name -t snapshot -r '${fx.replica}'`)).not.toContain('@mine');

  await page.getByRole('button', { name: `More actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: 'Doctor…' }).click();
  await expect(page.getByTestId('doctor-dialog').getByTestId('doctor-summary')).toHaveAttribute('data-status', 'ok', { timeout: 120_000 });
  await page.getByTestId('doctor-dialog').getByRole('button', { name: 'Close' }).last().click();
});

test('reset (dry run first), promote with its failback plan, and delete (what stays) — each shown, then cancelled', async () => {
  const menu = async (item: string) => {
    await page.getByRole('button', { name: `More actions for ${name}` }).click();
    await page.getByRole('menuitem', { name: item }).click();
  };
  await menu('Reset…');
  const reset = page.getByTestId('reset-dialog');
  await expect(reset.getByTestId('reset-items')).toContainText('hold released on the source', { timeout: 120_000 });
  await expect(reset).toContainText('Dry run');
  await shoot('maintenance-reset');
  await reset.getByRole('button', { name: 'Cancel' }).click();

  await menu('Promote / failback…');
  const promote = page.getByTestId('promote-dialog');
  await expect(promote.getByTestId('promote-writable')).toContainText(fx.replica, { timeout: 120_000 });
  await shoot('maintenance-promote');
  await promote.getByRole('button', { name: 'Next: the failback plan' }).click();
  await expect(promote.getByTestId('failback')).toContainText(fx.replica);
  await shoot('maintenance-failback');
  await axe('promote');
  await promote.getByRole('button', { name: 'Back' }).click();
  await promote.getByRole('button', { name: 'Cancel' }).click();
  expect((await sshOk(nas('nas-b'), 'root', `zfs get -H -o value readonly '${fx.replica}'`)).trim()).toBe('on');

  await menu('Delete task…');
  const confirm = page.getByTestId('confirm-dialog');
  await expect(confirm.getByTestId('delete-keeps')).toContainText(`tank/${name}`);
  await shoot('maintenance-delete');
  await confirm.getByRole('button', { name: 'Cancel' }).click();

  // Back on the dashboard: the task finished and its replica is on time.
  await page.getByRole('button', { name: 'All tasks' }).click();
  const row = page.getByTestId('task-table').locator(`[data-row-id="${fx.task.id}"]`);
  await expect(row).toContainText('FINISHED');
  await expect(row).toContainText('on time', { timeout: 60_000 });
  await shoot('tasks-dashboard-after');
  await page.getByTestId('show-map').click();
  await shoot('tasks-topology-after');
});
