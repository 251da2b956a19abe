import { defineConfig } from '@playwright/test';

// Debian's Chromium, not a Playwright-downloaded browser (none can be downloaded here). The flags keep it from
// reaching for the network, which is closed on these machines.
export const chromiumExecutable = process.env.ZRD_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/playwright',
  timeout: 30_000,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  globalSetup: './test/e2e/global-setup.ts',
  use: {
    launchOptions: { executablePath: chromiumExecutable, args: chromiumArgs },
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'browser', testMatch: /bridge\/.*\.spec\.ts/ },
    { name: 'electron', testMatch: /electron\/.*\.spec\.ts/ },
  ],
});
