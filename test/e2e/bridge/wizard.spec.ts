/// <reference lib="dom" />
import { expect, test, type Locator, type Page } from '@playwright/test';
import { contractClient, nasConnections, type ContractClient } from '../support/contract.ts';
import { nas, sshOk } from '../support/testbed.ts';
import { expectAccessible } from '../support/ui.ts';

// The replication task wizard against the NAS VMs, through the real bridge: a task from nas-a to nas-b made with
// the wizard (naming schema with its live count, a daily schedule with its next runs, a custom lifetime, the review's
// full send and estimate), saved and run; loaded again as a new task to another destination (the first one is not
// changed); then a destination made to diverge, whose exact destruction list shows in the review before anything is
// destroyed — and is destroyed only after the typed confirmation. Screenshots of every step in both themes, and
// axe-core on each.

const url = () => process.env.ZRD_E2E_URL!;
const screenshotDir = 'test-results/screenshots';
const id = `wiz${Date.now().toString(36).slice(-5)}`;
const source = `tank/${id}`;
const parent = `backup/${id}`;
const replica = `${parent}/${id}`;

test.describe.configure({ mode: 'serial' });
// Real replication runs on TCG VMs shared with other tests: minutes, not seconds.
test.setTimeout(360_000);

let api: ContractClient;
let taskName = '';

/**
 * `<name>-light.png` and `<name>-dark.png` of the whole wizard: the shell scrolls inside its content pane, so for the
 * picture the pane is let grow to its content and the page is shot whole (a taller viewport alone raced the relayout
 * and caught the pane half drawn and scrolled).
 */
async function shoot(page: Page, name: string): Promise<void> {
  // Through the CSSOM: the app's CSP refuses a <style> tag.
  const unroll = (on: boolean) =>
    page.evaluate((grow) => {
      const shell = document.querySelector<HTMLElement>('.shell');
      const content = document.querySelector<HTMLElement>('.content');
      if (shell) shell.style.height = grow ? 'auto' : '';
      if (shell) shell.style.minHeight = grow ? '100vh' : '';
      if (content) content.style.overflow = grow ? 'visible' : '';
      // The sticky footer would sit in the middle of the tall picture.
      const footer = document.querySelector<HTMLElement>('.wizard-footer');
      if (footer) footer.style.position = grow ? 'static' : '';
      window.scrollTo(0, 0);
    }, on);
  await unroll(true);
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${screenshotDir}/${name}-${colorScheme}.png`, fullPage: true, animations: 'disabled' });
  }
  await unroll(false);
  await page.emulateMedia({ colorScheme: 'light' });
}

async function openWizard(page: Page): Promise<void> {
  // Right after goto the shell may not listen for the shortcut yet: wait for it, and press again until it opens.
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible({ timeout: 30_000 });
  await expect(async () => {
    if (!(await page.getByTestId('command-palette').isVisible())) await page.keyboard.press('Control+k');
    await expect(page.getByTestId('command-palette')).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await page.keyboard.type('New replication task');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('wizard')).toBeVisible();
}

/** Picks a radio choice by clicking its visible label (react-aria hides the input itself). */
async function choose(scope: Page | Locator, text: RegExp): Promise<void> {
  const choice = scope.locator('label.choice').filter({ hasText: text }).first();
  await choice.click();
  await expect(choice).toHaveAttribute('data-selected', 'true');
}

async function pick(page: Page, label: string, option: RegExp): Promise<void> {
  await page.getByRole('button', { name: new RegExp(label) }).first().click();
  await page.getByRole('option', { name: option }).click();
}

/** The task's last run once it is over (polled through the contract: the dashboard draws it, this checks it). */
async function lastRunOf(name: string): Promise<{ result: string; bytesSent: number }> {
  let last: { result: string; bytesSent: number } | null = null;
  await expect
    .poll(
      async () => {
        const entry = (await api.ok('listTasks', {})).find((t) => t.task.name === name);
        last = entry && !entry.activeRun && entry.lastRun ? entry.lastRun : null;
        return last?.result ?? 'running';
      },
      { timeout: 240_000, intervals: [2000] },
    )
    .not.toBe('running');
  return last!;
}

test.beforeAll(async () => {
  // ssh to loaded TCG VMs: the hook gets the tests' time, not Playwright's default 30 s.
  test.setTimeout(300_000);
  api = await contractClient();
  await nasConnections(api);
  // A source with three snapshots named by the schema (and one that is not), about 2 MiB; an empty parent on nas-b.
  await sshOk(
    nas('nas-a'),
    'root',
    [
      `zfs create ${source}`,
      `dd if=/dev/urandom of=/${source}/a bs=64k count=16 status=none`,
      `zfs snapshot ${source}@auto-2026-11-30_10-00`,
      `dd if=/dev/urandom of=/${source}/b bs=64k count=8 status=none`,
      `zfs snapshot ${source}@auto-2026-11-30_11-00`,
      `zfs snapshot ${source}@manual-1`,
      `dd if=/dev/urandom of=/${source}/c bs=64k count=8 status=none`,
      `zfs snapshot ${source}@auto-2026-11-30_12-00`,
    ].join(' && '),
  );
  await sshOk(nas('nas-b'), 'root', `zfs create ${parent}`);
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  for (const { task } of await api.ok('listTasks', {})) {
    if (!task.sources.some((s) => s.name === source)) continue;
    await api.call('resetTask', { taskId: task.id, dryRun: false });
    await api.call('removeTask', { id: task.id });
  }
  for (const t of await api.ok('listSnapshotTasks', {})) if (t.dataset === source) await api.call('removeSnapshotTask', { id: t.id });
  const release = (dataset: string) => `zfs holds -rH ${dataset} 2>/dev/null | while IFS="$(printf '\\t')" read -r snap tag _; do zfs release "$tag" "$snap"; done; zfs destroy -r ${dataset}`;
  await sshOk(nas('nas-a'), 'root', release(source)).catch(() => undefined);
  await sshOk(nas('nas-b'), 'root', release(parent)).catch(() => undefined);
  api.close();
});

test('the wizard creates a task from nas-a to nas-b (live count, daily schedule, custom lifetime, full send in the review), saves and runs it', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => {
    console.log('PAGE ERROR', error.message, error.stack);
    problems.push(error.message);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') console.log('CONSOLE', message.text().slice(0, 800));
  });
  await page.goto(url());
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await openWizard(page);
  await expect(page.getByRole('heading', { name: 'New replication task' })).toBeVisible();

  // Next with nothing chosen: each problem at its field, in words.
  await page.getByRole('button', { name: /Next: When/ }).click();
  await expect(page.getByText('Some fields need attention')).toBeVisible();
  await expect(page.getByText('Choose the source NAS.')).toBeVisible();
  await shoot(page, 'wizard-what-errors');

  // Source: nas-a and the dataset, ticked in the tree.
  await pick(page, 'Source NAS', /^nas-a /);
  // The tree is virtualized and a NAS that ran the integration suite has many datasets: filter as an admin would.
  const sourceTree = page.getByTestId('wizard-source-tree');
  await page.getByRole('searchbox', { name: 'Filter source datasets of nas-a' }).fill(id);
  await expect(sourceTree.getByText(id, { exact: true })).toBeVisible({ timeout: 180_000 });
  await page.getByLabel(`Select ${source}`, { exact: true }).check();
  // The live count of the naming schema on the source: three of four snapshots.
  await expect(page.getByTestId('wizard-match-line')).toHaveText(/^3 of 4 snapshots match: newest auto-2026-11-30_12-00 .*, oldest auto-2026-11-30_10-00/, { timeout: 60_000 });
  // A schema without %M is refused at the field, and counts nothing.
  const schema = page.getByRole('textbox', { name: 'Naming schema' });
  await schema.fill('auto-%Y-%m-%d_%H');
  await schema.blur();
  await expect(page.getByText('The schema must contain %M', { exact: false }).first()).toBeVisible();
  await schema.fill('auto-%Y-%m-%d_%H-%M');
  await expect(page.getByTestId('wizard-match-line')).toHaveText(/^3 of 4 snapshots match/);

  // Destination: nas-b and the parent; a volume would be refused.
  await pick(page, 'Destination NAS', /^nas-b /);
  await page.getByRole('searchbox', { name: 'Filter destination datasets of nas-b' }).fill(id);
  await expect(page.getByTestId('wizard-destination-tree').getByText(id, { exact: true })).toBeVisible({ timeout: 60_000 });
  await page.getByLabel(`Select ${parent}`, { exact: true }).check();
  await expect(page.getByTestId('wizard-landing')).toContainText(`${source} → ${replica}`);

  // The source has no periodic snapshot task: the one the wizard creates shows its schedule and lifetime (two weeks,
  // editable), made daily here.
  const periodic = page.getByTestId('wizard-new-periodic');
  await expect(periodic).toContainText(`Create a periodic snapshot task for ${source}`);
  await expect(periodic.getByRole('textbox', { name: 'Keep each snapshot for' })).toHaveValue('2');
  await choose(periodic, /^Daily$/);
  await expect(page.getByTestId('periodic-schedule-next-runs').getByRole('listitem')).toHaveCount(5);

  // The name follows "source - destination".
  await expect(page.getByRole('textbox', { name: 'Task name' })).toHaveValue(`nas-a ${id} - nas-b ${id}`);
  taskName = `nas-a ${id} - nas-b ${id}`;
  // Every field corrected: the banner of the refused Next is gone.
  await expect(page.getByText('Some fields need attention')).toHaveCount(0);
  await shoot(page, 'wizard-what');
  await expectAccessible(page, 'wizard: what and where');

  // When: daily at 01:00 with its next five runs; a custom lifetime of 3 days with its preview.
  await page.getByRole('button', { name: /Next: When/ }).click();
  await expect(page.getByTestId('wizard-step-when')).toBeVisible();
  const schedule = page.getByTestId('task-schedule');
  await choose(schedule, /^Daily$/);
  await expect(page.getByTestId('task-schedule-summary')).toContainText('At 01:00');
  await expect(page.getByTestId('task-schedule-next-runs').getByRole('listitem')).toHaveCount(5);
  await choose(page, /^Custom lifetime/);
  const amount = page.getByRole('textbox', { name: 'Keep each snapshot for' });
  await amount.fill('0');
  await amount.blur();
  await expect(page.getByText('A lifetime is at least 1.')).toBeVisible();
  await amount.fill('3');
  await choose(page, /^days$/);
  await expect(page.getByTestId('wizard-lifetime-preview')).toHaveText(/^Of today's 3 matching snapshots, the destination would keep \d+ and prune \d+/);
  await shoot(page, 'wizard-when');
  await expectAccessible(page, 'wizard: when');

  // Review: the engine's dry run of the draft — a full send with its estimate, the periodic task, the properties.
  await page.getByRole('button', { name: /Next: Review/ }).click();
  const row = page.getByTestId(`review-dataset:${source}`);
  await expect(row).toContainText('Full send', { timeout: 120_000 });
  await expect(row).toContainText('full send of @auto-2026-11-30_10-00');
  await expect(row.getByTestId('review-estimate')).toHaveText(/\d+(\.\d+)? (KiB|MiB)/);
  await expect(page.getByTestId('review-periodic-tasks')).toContainText(`${source}`);
  await expect(page.getByTestId('review-periodic-tasks')).toContainText('snapshots kept 2 weeks');
  await expect(page.getByTestId('review-properties')).toContainText('readonly');
  await expect(page.getByTestId('review-destruction')).toHaveCount(0);
  await shoot(page, 'wizard-review');
  await expectAccessible(page, 'wizard: review');

  // Save and run now: the dashboard gets the run; its end is checked through the contract.
  await page.getByRole('button', { name: 'Save and run now' }).click();
  await expect(page.getByTestId('wizard')).toHaveCount(0, { timeout: 120_000 });
  const run = await lastRunOf(taskName);
  expect(run.result).toBe('FINISHED');
  expect(run.bytesSent).toBeGreaterThan(1_000_000);
  expect(await sshOk(nas('nas-b'), 'root', `zfs list -H -o name -t snapshot ${replica}`)).toContain(`${replica}@auto-2026-11-30_12-00`);
  const periodicTasks = await api.ok('listSnapshotTasks', {});
  expect(periodicTasks.find((t) => t.dataset === source)).toMatchObject({ lifetime: { kind: 'custom', amount: 2, unit: 'weeks' }, schedule: { kind: 'cron', expression: '0 0 * * *' } });
  expect(problems).toEqual([]);
  await context.close();
});

test('a saved task loaded into the wizard becomes a new task to another destination; the loaded one is unchanged', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(url());
  await openWizard(page);
  const before = (await api.ok('listTasks', {})).find((t) => t.task.name === taskName)!.task;
  await pick(page, 'Load a previous task', new RegExp(`^${taskName}`));
  await expect(page.getByText(`Settings copied from "${taskName}"`)).toBeVisible();
  await expect(page.getByRole('list', { name: 'Chosen source datasets' })).toContainText(source, { timeout: 60_000 });
  // The loaded source is scrolled into view in the tree, however many datasets come before it.
  await expect(page.getByLabel(`Select ${source}`, { exact: true })).toBeChecked({ timeout: 60_000 });
  await page.getByRole('textbox', { name: 'New dataset under the parent (optional)' }).fill('copy');
  await expect(page.getByTestId('wizard-landing')).toContainText(`${source} → ${parent}/copy/${id}`);
  await expect(page.getByRole('textbox', { name: 'Task name' })).toHaveValue(`nas-a ${id} - nas-b copy`);
  await shoot(page, 'wizard-load-previous');
  await page.getByRole('button', { name: /Next: When/ }).click();
  await expect(page.getByTestId('task-schedule-summary')).toContainText('At 01:00');
  await page.getByRole('button', { name: /Next: Review/ }).click();
  await expect(page.getByTestId(`review-dataset:${source}`)).toContainText('Full send', { timeout: 120_000 });
  await expect(page.getByTestId(`review-dataset:${source}`)).toContainText(`${parent}/copy/${id}`);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('wizard')).toHaveCount(0, { timeout: 60_000 });

  const tasks = await api.ok('listTasks', {});
  const copy = tasks.find((t) => t.task.name === `nas-a ${id} - nas-b copy`)!.task;
  expect(copy.id).not.toBe(before.id);
  expect(copy.destinationParent).toBe(`${parent}/copy`);
  expect(copy.schedule).toEqual(before.schedule);
  expect(copy.destinationLifetime).toEqual({ kind: 'custom', amount: 3, unit: 'days' });
  expect(tasks.find((t) => t.task.id === before.id)!.task).toEqual(before);
  await context.close();
});

test('a diverged destination: the review lists exactly what would be destroyed, and nothing goes without the typed confirmation', async ({ browser }) => {
  // Someone took a snapshot on the replica: it is not on the source.
  await sshOk(nas('nas-b'), 'root', `zfs snapshot ${replica}@local-change`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(url());
  await openWizard(page);
  await pick(page, 'Load a previous task', new RegExp(`^${taskName}`));
  await expect(page.getByRole('list', { name: 'Chosen source datasets' })).toContainText(source, { timeout: 60_000 });
  // The loaded source is scrolled into view in the tree, however many datasets come before it.
  await expect(page.getByLabel(`Select ${source}`, { exact: true })).toBeChecked({ timeout: 60_000 });
  await page.getByRole('textbox', { name: 'Task name' }).fill(`${id} from scratch`);
  await page.getByRole('button', { name: /Next: When/ }).click();
  await page.getByRole('button', { name: /Next: Review/ }).click();

  const danger = page.getByTestId('review-destruction');
  await expect(danger).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId(`review-dataset:${source}`)).toContainText('Destination diverged');
  const items = danger.getByTestId('review-destroy-item');
  await expect(items.filter({ hasText: `${replica}@local-change` })).toHaveCount(1);
  await expect(items.filter({ hasText: `${replica}@local-change` })).toContainText(/\d+ (B|KiB)/);
  await expect(page.getByRole('button', { name: 'Save and run now' })).toBeDisabled();
  await shoot(page, 'wizard-review-destruction');
  await expectAccessible(page, 'wizard: review with a destruction list');

  // The confirmation lists the same items and wants the replica's name typed; Cancel destroys nothing.
  await danger.getByRole('button', { name: 'Destroy and replicate from scratch…' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText(`${replica}@local-change`);
  await expect(dialog.getByRole('button', { name: /^Destroy 1 and replicate/ })).toBeDisabled();
  await shoot(page, 'wizard-destroy-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(await sshOk(nas('nas-b'), 'root', `zfs list -H -o name -t snapshot ${replica}`)).toContain('@local-change');

  // The safer choice: a new dataset beside it — a full send, nothing destroyed.
  await danger.getByRole('button', { name: 'Replicate into a new dataset instead' }).click();
  await expect(page.getByTestId(`review-dataset:${source}`)).toContainText('Full send', { timeout: 120_000 });
  await expect(page.getByTestId(`review-dataset:${source}`)).toContainText(`${replica}-2/${id}`);
  await expect(page.getByTestId('review-destruction')).toHaveCount(0);

  // Back to the diverged destination, and this time destroy — only after typing its name.
  await page.getByTestId('wizard-go-what').click();
  await page.getByRole('textbox', { name: 'New dataset under the parent (optional)' }).fill('');
  await page.getByTestId('wizard-go-review').click();
  await expect(page.getByTestId('review-destruction')).toBeVisible({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Destroy and replicate from scratch…' }).click();
  await page.getByRole('alertdialog').getByRole('textbox').fill(replica);
  await page.getByRole('alertdialog').getByRole('button', { name: /^Destroy 1 and replicate/ }).click();
  await expect(page.getByTestId('wizard')).toHaveCount(0, { timeout: 120_000 });
  expect((await lastRunOf(`${id} from scratch`)).result).toBe('FINISHED');
  const after = await sshOk(nas('nas-b'), 'root', `zfs list -H -o name -t snapshot ${replica}`);
  expect(after).not.toContain('@local-change');
  expect(after).toContain(`${replica}@auto-2026-11-30_12-00`);
  await context.close();
});
