// `npm test`: the whole suite, in the order that fails fastest: system packages, type check, lint, bundles,
// vitest (unit, then integration on the real NAS VMs), Playwright (the renderer in Debian's Chromium through
// the loopback bridge, and the Electron suite where an Electron binary exists). Ends with one line of counts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const resultsDir = path.join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
for (const report of ['vitest.json', 'playwright.json']) rmSync(path.join(resultsDir, report), { force: true });

interface Step {
  name: string;
  command: string;
  args: string[];
}
const steps: Step[] = [
  { name: 'system packages', command: 'bash', args: [path.join(root, 'scripts', 'install-system-deps.sh')] },
  { name: 'type check (main, services, tests)', command: bin('tsc'), args: ['--noEmit', '-p', 'tsconfig.json'] },
  { name: 'type check (renderer)', command: bin('tsc'), args: ['--noEmit', '-p', 'tsconfig.renderer.json'] },
  { name: 'lint', command: bin('eslint'), args: ['.', '--max-warnings=0'] },
  { name: 'bundles', command: process.execPath, args: [path.join(root, 'scripts', 'build-bundles.ts')] },
  {
    name: 'vitest (unit + integration)',
    command: bin('vitest'),
    args: ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(resultsDir, 'vitest.json')}`],
  },
  { name: 'playwright (e2e)', command: bin('playwright'), args: ['test'] },
];

const only = process.argv.slice(2);
const failedSteps: string[] = [];
for (const step of steps) {
  console.log(`\n=== ${step.name} ===`);
  const started = Date.now();
  const result = spawnSync(step.command, [...step.args, ...(step.name.startsWith('vitest') ? only : [])], { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failedSteps.push(step.name);
    console.log(`--- ${step.name}: FAILED (${seconds} s)`);
    // Later steps still run: one run reports every failure.
  } else console.log(`--- ${step.name}: ok (${seconds} s)`);
}

// Count tests from the runners' JSON reports.
let passed = 0;
let failed = 0;
let skipped = 0;
const vitestReport = path.join(resultsDir, 'vitest.json');
if (existsSync(vitestReport)) {
  const report = JSON.parse(readFileSync(vitestReport, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
const playwrightReport = path.join(resultsDir, 'playwright.json');
if (existsSync(playwrightReport)) {
  const report = JSON.parse(readFileSync(playwrightReport, 'utf8')) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } };
  passed += report.stats.expected + report.stats.flaky;
  failed += report.stats.unexpected;
  skipped += report.stats.skipped;
}
if (failedSteps.length > 0) console.log(`\nFailed steps: ${failedSteps.join(', ')}`);
// A step that is not a test runner (type check, lint, bundles) counts as one failure when it fails.
const failures = failed + failedSteps.filter((name) => !name.startsWith('vitest') && !name.startsWith('playwright')).length;
console.log(`\ntests: ${passed} passed, ${failures} failed, ${skipped} skipped`);
process.exit(failedSteps.length > 0 || passed === 0 ? 1 : 0);
