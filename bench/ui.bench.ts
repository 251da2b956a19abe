// Not a test: `node bench/ui.bench.ts` measures the snapshot screens in Chromium (Debian's, through Playwright)
// against the real loopback bridge and core, with a NAS scripted at the runner seam (FakeNas, the unit tests' fake)
// holding 100,000 snapshots of one dataset under a periodic snapshot task with a keep grid. It prints, from one run:
//   - the snapshot table's first paint with 100,000 rows (the view mounting with the listing loaded; goal < 500 ms),
//     and the whole "List" click → rows drawn (backend listing, transfer, fates) for reference;
//   - scrolling: frame times while the table scrolls 400 px per frame (goal: frames under 16 ms);
//   - the retention timeline with 100,000 marks: one full redraw (goal < 50 ms), as the canvas reports it.
// These machines are noisy: read the figures as one run's, next to the load average printed with them.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { startBridge } from '../electron/bridge/bridge-server.ts';
import { createCore } from '../electron/services/core.ts';
import { openConfStore } from '../electron/services/store/open-conf-store.ts';
import { chromiumArgs, chromiumExecutable } from '../playwright.config.ts';
import { buildBundles } from '../scripts/build-bundles.ts';
import { namingSchema } from '../shared/naming-schema.ts';
import { FakeNas } from '../test/unit/electron/services/tasks/fake-nas.ts';

const COUNT = Number(process.env.BENCH_SNAPSHOTS ?? 100_000);
const HOUR = 3_600_000;
const root = path.resolve(import.meta.dirname, '..');
const rendererDir = path.join(root, '.vite', 'renderer', 'main_window');
if (!existsSync(path.join(rendererDir, 'index.html')) || process.env.BENCH_BUILD === '1') await buildBundles('renderer');

const configDir = mkdtempSync(path.join(tmpdir(), 'zrd-ui-bench-'));
const store = openConfStore(configDir);
const connection = store.saveConnection({ name: 'bench-nas', host: 'bench.example', username: 'root', privilege: 'root' });
const fake = new FakeNas('root@bench.example:22', 'tank');
fake.addDataset('tank');
fake.addDataset('tank/bench');
const schema = namingSchema('auto-%Y-%m-%d_%H-%M', 'UTC');
const now = Math.floor(Date.now() / HOUR) * HOUR;
for (let i = 0; i < COUNT; i++) fake.addSnapshot('tank/bench', schema.format(new Date(now - (COUNT - 1 - i) * HOUR)));
store.saveSnapshotTask({
  connectionId: connection.id,
  dataset: 'tank/bench',
  recursive: false,
  exclude: [],
  namingSchema: 'auto-%Y-%m-%d_%H-%M',
  timeZone: 'UTC',
  schedule: { kind: 'cron', expression: '0 * * * *', timeZone: 'UTC' },
  lifetime: { kind: 'grid', last: 0, hourly: 24, daily: 30, weekly: 8, monthly: 12, yearly: 10 },
});
const core = createCore({
  store,
  configDir,
  by: 'bridge',
  versions: { app: 'bench', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  runnerFor: () => fake,
});
const bridge = await startBridge({ core, rendererDir, port: 0, launchCodeTtlMs: 60_000 });
const browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
// A loaded machine makes every step slow; the figures below are measured in the page, not by these waits.
page.setDefaultTimeout(600_000);

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), max: sorted.at(-1)!, over16: values.filter((v) => v > 16.7).length, frames: values.length };
};
const ms = (v: number) => `${v.toFixed(1)} ms`;

const step = (what: string) => process.stderr.write(`[bench] ${what}\n`);
try {
  step('open the app');
  await page.goto(`${bridge.origin}/#token=${bridge.token}`);
  await page.getByTestId('nav-snapshots').click();
  await page.getByLabel('Dataset (and below; empty: the whole NAS)').fill('tank/bench');
  const listStarted = Date.now();
  await page.getByRole('button', { name: 'List', exact: true }).click();
  await page.getByTestId('snapshot-count').filter({ hasText: `${COUNT} snapshots` }).waitFor({ timeout: 600_000 });
  await page.locator('[data-testid=snapshot-table] [role=row][data-row-id]').first().waitFor();
  const listMs = Date.now() - listStarted;
  step(`listed in ${listMs} ms; first paints`);

  // First paint of the table alone: leave the view, come back (the listing stays in the store), time the click to
  // the frame after the first row exists.
  const firstPaints: number[] = [];
  for (let round = 0; round < 5; round++) {
    await page.getByTestId('nav-fleet').click();
    await page.getByTestId('snapshot-table').waitFor({ state: 'detached' });
    firstPaints.push(
      await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const started = performance.now();
            (document.querySelector('[data-testid=nav-snapshots]') as HTMLElement).click();
            const poll = () => {
              if (document.querySelector('[data-testid=snapshot-table] [role=row][data-row-id]')) requestAnimationFrame(() => resolve(performance.now() - started));
              else requestAnimationFrame(poll);
            };
            poll();
          }),
      ),
    );
  }

  step('scrolling');
  // Scrolling: 400 px per frame, 150 frames, each frame's duration.
  const frames = await page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        // The grid is its own scrolling region (sticky header).
        const body = document.querySelector('[data-testid=snapshot-table]') as HTMLElement;
        const times: number[] = [];
        let last = performance.now();
        let n = 0;
        const step = () => {
          const t = performance.now();
          if (n > 0) times.push(t - last);
          last = t;
          body.scrollTop += 400;
          if (++n <= 150) requestAnimationFrame(step);
          else resolve(times);
        };
        requestAnimationFrame(step);
      }),
  );

  step('retention review');
  // The retention review of the task: 100,000 marks; redraws by moving the keyboard cursor.
  const reviewStarted = Date.now();
  await page.getByRole('tab', { name: 'Periodic tasks' }).click();
  await page.getByRole('button', { name: 'Review retention' }).click();
  await page.getByTestId('prune-count').waitFor({ timeout: 600_000 });
  const reviewMs = Date.now() - reviewStarted;
  const canvas = page.getByTestId('retention-timeline').locator('canvas');
  await canvas.focus();
  const draws: number[] = [];
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('ArrowRight');
    // The redraw runs in the effect after React commits: two frames later it has reported.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    draws.push(Number(await canvas.getAttribute('data-draw-ms')));
  }
  const scroll = stats(frames);
  const draw = stats(draws);
  const paint = stats(firstPaints);
  console.log(`UI bench, ${COUNT.toLocaleString('en')} snapshots, Chromium ${browser.version()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`  snapshot table first paint (view mount → rows drawn, 5 rounds): median ${ms(paint.median)}, max ${ms(paint.max)}   goal < 500 ms`);
  console.log(`  "List" click → ${COUNT} rows drawn (fake NAS listing, bridge, fates): ${ms(listMs)}`);
  console.log(`  scrolling 400 px/frame, ${scroll.frames} frames: median ${ms(scroll.median)}, p95 ${ms(scroll.p95)}, max ${ms(scroll.max)}, ${scroll.over16} over 16.7 ms   goal: frames under 16 ms`);
  console.log(`  retention review opened (listing + decision + first draw): ${ms(reviewMs)}`);
  console.log(`  timeline redraw, ${COUNT.toLocaleString('en')} marks, 10 redraws: median ${ms(draw.median)}, max ${ms(draw.max)}   goal < 50 ms`);
  // Figures first: the screenshots below reload a 100,000-snapshot review twice.
  // BENCH_SCREENSHOTS=DIR: every snapshot screen on the fake NAS, light and dark (for looking at, and README pictures).
  const shots = process.env.BENCH_SCREENSHOTS;
  if (shots) {
    await page.mouse.click(5, 5);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(shots, `retention-review-${scheme}.png`) });
      await page.getByRole('tab', { name: 'Periodic tasks' }).click();
      await page.screenshot({ path: path.join(shots, `snapshot-tasks-${scheme}.png`) });
      await page.getByRole('button', { name: 'Edit…' }).click();
      await page.screenshot({ path: path.join(shots, `snapshot-task-dialog-${scheme}.png`) });
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('tab', { name: 'Snapshots' }).click();
      await page.getByTestId('snapshot-table').locator('[role=row][data-row-id]').nth(1).click();
      await page.screenshot({ path: path.join(shots, `snapshots-table-${scheme}.png`) });
      await page.getByTestId('snapshot-table').locator('input[type=checkbox]').nth(3).check();
      await page.getByTestId('snapshot-table').locator('input[type=checkbox]').nth(4).check();
      await page.getByRole('button', { name: /^Destroy 2 snapshots/ }).click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.screenshot({ path: path.join(shots, `destroy-confirm-${scheme}.png`) });
      await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.getByTestId('nav-schedule').click();
      await page.screenshot({ path: path.join(shots, `schedule-calendar-${scheme}.png`), fullPage: true });
      await page.getByTestId('nav-snapshots').click();
      await page.getByRole('tab', { name: 'Retention review' }).click();
      await page.getByTestId('prune-count').waitFor();
    }
  }
} finally {
  await browser.close();
  await bridge.close();
  await core.dispose();
  rmSync(configDir, { recursive: true, force: true });
}
