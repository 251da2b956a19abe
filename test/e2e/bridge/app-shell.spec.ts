/// <reference lib="dom" />
import { expect, test } from '@playwright/test';

const url = () => process.env.ZRD_E2E_URL!;
const screenshotDir = 'test-results/screenshots';

const views = [
  { id: 'fleet', heading: 'Fleet', empty: 'No NAS yet' },
  { id: 'datasets', heading: 'Datasets', empty: 'No NAS to browse' },
  { id: 'tasks', heading: 'Tasks', empty: 'No replication tasks yet' },
  { id: 'snapshots', heading: 'Snapshots', empty: 'No NAS to browse' },
  { id: 'schedule', heading: 'Schedule', empty: 'Nothing scheduled' },
  { id: 'settings', heading: 'Settings', empty: null },
];

for (const colorScheme of ['light', 'dark'] as const) {
  test(`the app shell opens and every sidebar entry shows its view (${colorScheme})`, async ({ browser }) => {
    const context = await browser.newContext({ colorScheme, viewport: { width: 1200, height: 760 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(url());
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    // The token left the address bar once the page took it.
    expect(page.url()).not.toContain('token=');
    await expect(page.getByTestId('version')).toContainText('browser mode');

    for (const view of views) {
      await page.getByTestId(`nav-${view.id}`).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(view.heading);
      await expect(page.getByTestId(`nav-${view.id}`)).toHaveAttribute('aria-current', 'page');
      if (view.empty) await expect(page.getByRole('heading', { level: 2, name: view.empty })).toBeVisible();
      await page.screenshot({ path: `${screenshotDir}/${view.id}-${colorScheme}.png` });
    }
    // The OS colour scheme drives the theme.
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe(colorScheme === 'dark' ? 'rgb(21, 24, 29)' : 'rgb(246, 247, 249)');
    expect(problems).toEqual([]);
    await context.close();
  });
}

test('a NAS is saved, survives a reload, and is forgotten after a confirmation that lists what goes', async ({ page }) => {
  await page.goto(url());
  await page.getByTestId('nav-fleet').click();
  await page.getByRole('button', { name: 'Add NAS' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('nas-e2e');
  await dialog.getByLabel('Host or IP address').fill('nas-e2e.invalid');
  await dialog.getByLabel('SSH port').fill('2222');
  await dialog.getByLabel('User', { exact: true }).fill('admin');
  await dialog.getByRole('radio', { name: /sudo for zfs/ }).check({ force: true });
  await dialog.getByRole('button', { name: 'Save and test' }).click();
  // Saved; the test cannot resolve the name (no DNS here) and says so at the first check.
  await expect(dialog.locator('[data-step="tcp"]')).toHaveAttribute('data-state', 'failed', { timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  const card = page.locator('[data-testid="nas-card"][data-nas="nas-e2e"]');
  await expect(card).toContainText('admin@nas-e2e.invalid:2222');
  await expect(card).toContainText('sudo for zfs');

  // Reload: the token is kept for this tab, the NAS comes back from the store file.
  await page.reload();
  await expect(card).toBeVisible();

  await card.getByRole('button', { name: 'More actions for nas-e2e' }).click();
  await page.getByRole('menuitem', { name: 'Forget this NAS' }).click();
  const confirm = page.getByTestId('confirm-dialog');
  await expect(confirm).toContainText('nas-e2e (admin@nas-e2e.invalid:2222)');
  await confirm.getByRole('button', { name: 'Forget nas-e2e' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'No NAS yet' })).toBeVisible();
});

test('a page opened without the token cannot reach the backend and says how to fix it', async ({ page }) => {
  await page.goto(process.env.ZRD_E2E_ORIGIN!);
  await expect(page.getByRole('alert').first()).toContainText('opened without its access token');
});
