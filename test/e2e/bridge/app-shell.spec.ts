/// <reference lib="dom" />
import { expect, test } from '@playwright/test';

const url = () => process.env.ZRD_E2E_URL!;
const screenshotDir = 'test-results/screenshots';

const views = [
  { id: 'connections', heading: 'Connections', empty: 'No NAS connections yet' },
  { id: 'tasks', heading: 'Tasks', empty: 'No replication tasks yet' },
  { id: 'snapshots', heading: 'Snapshots', empty: 'No NAS to browse' },
  { id: 'schedule', heading: 'Schedule', empty: 'Nothing scheduled' },
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
      await expect(page.getByRole('heading', { level: 2, name: view.empty })).toBeVisible();
      await page.screenshot({ path: `${screenshotDir}/${view.id}-${colorScheme}.png` });
    }
    // The OS colour scheme drives the theme.
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe(colorScheme === 'dark' ? 'rgb(21, 24, 29)' : 'rgb(246, 247, 249)');
    expect(problems).toEqual([]);
    await context.close();
  });
}

test('a connection is saved, survives a reload, shows a clear error on bad input, and is forgotten', async ({ page }) => {
  await page.goto(url());
  await page.getByTestId('nav-connections').click();
  await page.getByRole('button', { name: 'Add connection' }).click();
  const form = page.getByRole('form', { name: 'New connection' });
  await form.getByLabel('Name').fill('nas-e2e');
  await form.getByLabel('Host or IP address').fill('192.0.2.10; rm -rf /');
  await form.getByRole('button', { name: 'Save connection' }).click();
  await expect(page.getByRole('alert')).toContainText('Host must be a DNS name or an IP address');

  await form.getByLabel('Host or IP address').fill('nas-e2e.example.internal');
  await form.getByLabel('SSH port').fill('2222');
  await form.getByLabel('Runs zfs as').selectOption('sudo');
  await form.getByLabel('User', { exact: true }).fill('admin');
  await form.getByRole('button', { name: 'Save connection' }).click();
  const list = page.getByRole('list', { name: 'Saved connections' });
  await expect(list).toContainText('nas-e2e');
  await expect(list).toContainText('admin@nas-e2e.example.internal:2222 · zfs as sudo');
  await page.screenshot({ path: `${screenshotDir}/connections-saved.png` });

  // Reload: the token is kept for this tab, the connection comes back from the store file.
  await page.reload();
  await expect(page.getByRole('list', { name: 'Saved connections' })).toContainText('nas-e2e');

  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Forget' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'No NAS connections yet' })).toBeVisible();
});

test('a page opened without the token cannot reach the backend and says how to fix it', async ({ page }) => {
  await page.goto(process.env.ZRD_E2E_ORIGIN!);
  await expect(page.getByRole('alert').first()).toContainText('opened without its access token');
});
