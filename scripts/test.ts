// `npm test`: the whole suite: system packages, then two chains at once — type check, lint, bundles and unit tests on
// this machine; the NAS VMs' boot and vitest's integration project — then Playwright (the renderer in Debian's
// Chromium through the loopback bridge, and the Electron suite where an Electron binary exists).
//
// One pair of NAS VMs serves both VM suites: it is built and booted in the background (`nas.ts up --info-file`)
// while the checks run, and named to both runners by ZRD_TESTBED_FILE. Every step runs even when an
// earlier one failed (one run reports every failure). Ends with the time of each phase and one line of counts:
// `tests: N passed, N failed, N skipped`.
//
// Arguments are vitest filters (files or name patterns) applied to the unit and integration projects.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sanitizeTerminalText } from '../shared/terminal-text.ts';
import { TESTBED_FILE_ENV } from '../test/nas/testbed.ts';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const resultsDir = path.join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const reports = {
  unit: path.join(resultsDir, 'vitest-unit.json'),
  integration: path.join(resultsDir, 'vitest-integration.json'),
  playwright: path.join(resultsDir, 'playwright.json'),
};
const testbedFile = path.join(resultsDir, 'testbed.json');
const testbedLog = path.join(resultsDir, 'testbed.log');
for (const file of [...Object.values(reports), path.join(resultsDir, 'vitest.json'), testbedFile]) rmSync(file, { force: true });

const filters = process.argv.slice(2);
const suiteStarted = Date.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const since = (t: number) => seconds(Date.now() - t);

interface Phase {
  name: string;
  ms: number;
  ok: boolean;
  /** The JSON report of a test runner (its counts replace the step's own failure). */
  report?: string;
  note?: string;
}
const phases: Phase[] = [];

/** The last lines each step printed: a runner that fails without a failing test says why there, and the summary
 * repeats it (CI keeps only the tail of a long log). */
const outputTails = new Map<string, string[]>();
const TAIL_LINES = 600;

/** Where a step's output goes: straight to this process's, or kept and printed whole when the step ends (a step
 * that runs beside another, so the two never interleave). */
interface Output {
  out(chunk: Buffer): void;
  err(chunk: Buffer): void;
}
const liveOutput: Output = { out: (chunk) => process.stdout.write(chunk), err: (chunk) => process.stderr.write(chunk) };

function runCommand(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env, output: Output = liveOutput): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
    const tail: string[] = [];
    outputTails.set(name, tail);
    const keep = (chunk: Buffer) => {
      tail.push(...chunk.toString('utf8').split('\n'));
      if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      output.out(chunk);
      keep(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.err(chunk);
      keep(chunk);
    });
    child.on('error', (e) => {
      console.error(`cannot run ${command}: ${e.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function step(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; report?: string; buffered?: boolean } = {}): Promise<boolean> {
  const kept: Array<{ stream: 'out' | 'err'; chunk: Buffer }> = [];
  const output: Output = options.buffered ? { out: (chunk) => kept.push({ stream: 'out', chunk }), err: (chunk) => kept.push({ stream: 'err', chunk }) } : liveOutput;
  if (!options.buffered) console.log(`\n=== ${name} ===`);
  const started = Date.now();
  const code = await runCommand(name, command, args, options.env, output);
  const ok = code === 0;
  phases.push({ name, ms: Date.now() - started, ok, ...(options.report ? { report: options.report } : {}) });
  if (options.buffered) {
    console.log(`\n=== ${name} (ran beside the VM suites; its output, kept until it ended) ===`);
    for (const { stream, chunk } of kept) liveOutput[stream](chunk);
  }
  console.log(`--- ${name}: ${ok ? 'ok' : `FAILED (exit ${code})`} (${since(started)})`);
  return ok;
}

function skipStep(name: string, reason: string): void {
  console.log(`\n=== ${name} ===\n--- ${name}: FAILED, not run: ${reason}`);
  phases.push({ name, ms: 0, ok: false, note: `not run: ${reason}` });
}

// ---- the NAS test bed, in the background ----------------------------------------------------------------------

interface BackgroundTestbed {
  started: number;
  child: ChildProcess;
  /** Resolves with null once the VMs answer (the info file exists), or with why they will not. */
  ready: Promise<string | null>;
  readyAt: number | null;
}

function startTestbed(): BackgroundTestbed {
  const started = Date.now();
  const logFd = openSync(testbedLog, 'w');
  const child = spawn(process.execPath, [path.join(root, 'test', 'nas', 'nas.ts'), 'up', '--info-file', testbedFile, '--owner-pid', String(process.pid)], {
    cwd: root,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const tb: BackgroundTestbed = { started, child, ready: Promise.resolve(null), readyAt: null };
  tb.ready = new Promise((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(testbedFile)) {
        clearInterval(poll);
        tb.readyAt = Date.now();
        resolve(null);
      }
    }, 500);
    child.on('error', (e) => {
      clearInterval(poll);
      resolve(`cannot start the test bed: ${e.message}`);
    });
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve(`the test bed process ended (${signal ?? `exit ${code}`}) before the VMs were ready`);
    });
  });
  return tb;
}

async function stopTestbed(tb: BackgroundTestbed): Promise<void> {
  if (tb.child.exitCode !== null || tb.child.signalCode !== null) return;
  const exited = new Promise((resolve) => tb.child.once('exit', resolve));
  tb.child.kill('SIGTERM');
  const timer = setTimeout(() => tb.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function logTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

// ---- the run -----------------------------------------------------------------------------------------------------

await step('system packages', 'bash', [path.join(root, 'scripts', 'install-system-deps.sh')]);

console.log(`\n=== NAS test bed: building (cached) and booting nas-a + nas-b in the background (log: ${path.relative(root, testbedLog)}) ===`);
const testbed = startTestbed();
let testbedStopped = false;
const stopOnSignal = (signal: NodeJS.Signals) => {
  // The test bed also stops by itself when this process is gone (--owner-pid): this only makes it prompt.
  if (!testbedStopped) testbed.child.kill('SIGTERM');
  process.exit(signal === 'SIGINT' ? 130 : 143);
};
process.on('SIGINT', stopOnSignal);
process.on('SIGTERM', stopOnSignal);

const vitestArgs = (project: string, report: string) => [
  'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...(filters.length > 0 ? ['--passWithNoTests', ...filters] : []),
];

// Two chains at once. The checks of this machine's code (type check, lint, bundles, unit tests: CPU work here)
// run while the VMs boot and, once they answer, beside the integration suite, whose time goes mostly to waiting on
// the emulated NAS (ssh handshakes, transaction-group syncs, scheduled minutes): the VMs no longer idle for the
// minutes the checks take after the boot. Their output is kept and printed whole when the chain ends. Playwright
// needs the bundles and the same VMs: it starts when both chains are done.
const localChecks = (async () => {
  const buffered = true;
  await step('type check (main, services, tests)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { buffered });
  await step('type check (renderer)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.renderer.json'], { buffered });
  await step('lint', bin('eslint'), ['.', '--max-warnings=0'], { buffered });
  await step('bundles', process.execPath, [path.join(root, 'scripts', 'build-bundles.ts')], { buffered });
  await step('vitest unit', bin('vitest'), vitestArgs('unit', reports.unit), { report: reports.unit, buffered });
})();

console.log('\n=== waiting for the NAS VMs (type check, lint, bundles and unit tests run meanwhile) ===');
const waitStarted = Date.now();
const notReady = await testbed.ready;
// "[nas] image … ready in 2.1 s" and "[nas] all 2 VMs ready in 61.3 s": what the background work cost.
const bootFigures = logTail(testbedLog, 400).split('\n')
  .map((line) => /image \S+ .*ready in ([\d.]+ s)/.exec(line)?.[1]?.replace(/^/, 'image ') ?? /all \d+ VMs ready in ([\d.]+ s)/.exec(line)?.[1]?.replace(/^/, 'boot '))
  .filter(Boolean)
  .join(', ');
phases.push({
  name: 'NAS VMs (waited for)',
  ms: Date.now() - waitStarted,
  ok: notReady === null,
  note: notReady ?? `${bootFigures}; ready ${seconds((testbed.readyAt ?? Date.now()) - testbed.started)} after the background start`,
});
if (notReady) {
  console.log(`--- NAS VMs: FAILED: ${notReady}\n${logTail(testbedLog, 60)}`);
  await localChecks;
  skipStep('vitest integration', 'the NAS VMs did not boot');
  skipStep('playwright (e2e)', 'the NAS VMs did not boot');
} else {
  console.log(`--- NAS VMs ready (${bootFigures})`);
  const env = { ...process.env, [TESTBED_FILE_ENV]: testbedFile };
  await step('vitest integration', bin('vitest'), vitestArgs('integration', reports.integration), { env, report: reports.integration });
  await localChecks;
  await step('playwright (e2e)', bin('playwright'), ['test'], { env, report: reports.playwright });
}
await stopTestbed(testbed);
testbedStopped = true;

// ---- counts and phases ---------------------------------------------------------------------------------------------

interface Counts { passed: number; failed: number; skipped: number }
function countsOf(report: string): Counts | null {
  if (!existsSync(report)) return null;
  const data = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests?: number; numFailedTests?: number; numPendingTests?: number; numTodoTests?: number;
    stats?: { expected: number; unexpected: number; flaky: number; skipped: number };
  };
  if (data.stats) return { passed: data.stats.expected + data.stats.flaky, failed: data.stats.unexpected, skipped: data.stats.skipped };
  return { passed: data.numPassedTests ?? 0, failed: data.numFailedTests ?? 0, skipped: (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0) };
}

interface FailedTest { where: string; name: string; message: string }
interface PlaywrightSuite {
  file?: string; suites?: PlaywrightSuite[];
  specs?: { title: string; file: string; tests: { status: string; results: { error?: { message?: string } }[] }[] }[];
}
/** The failing tests of a vitest or Playwright JSON report, with the first error of each. */
function failedTestsOf(report: string): FailedTest[] {
  const data = JSON.parse(readFileSync(report, 'utf8')) as {
    testResults?: { name: string; message?: string; assertionResults?: { status: string; fullName: string; failureMessages?: string[] }[] }[];
    suites?: PlaywrightSuite[];
  };
  const failed: FailedTest[] = [];
  for (const file of data.testResults ?? []) {
    const where = path.relative(process.cwd(), file.name);
    const tests = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of tests) failed.push({ where, name: test.fullName, message: test.failureMessages?.[0] ?? '' });
    if (tests.length === 0 && file.message) failed.push({ where, name: '(the file itself)', message: file.message });
  }
  const walk = (suite: PlaywrightSuite): void => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        if (test.status !== 'unexpected') continue;
        const error = test.results.find((result) => result.error)?.error?.message ?? '';
        failed.push({ where: spec.file, name: spec.title, message: error });
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of data.suites ?? []) walk(suite);
  return failed;
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
console.log('\n=== phases ===');
for (const phase of phases) {
  const counts = phase.report ? countsOf(phase.report) : null;
  if (counts) {
    total.passed += counts.passed;
    total.skipped += counts.skipped;
    // A runner that failed without a failing test (a setup error, no tests found) still counts as one failure.
    total.failed += counts.failed > 0 || phase.ok ? counts.failed : 1;
  } else if (!phase.ok) total.failed += 1;
  const figures = counts ? `  ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : '';
  console.log(`  ${phase.name.padEnd(36)} ${seconds(phase.ms).padStart(9)}  ${phase.ok ? 'ok    ' : 'FAILED'}${figures}${phase.note ? `  (${phase.note})` : ''}`);
}
console.log(`  ${'total'.padEnd(36)} ${since(suiteStarted).padStart(9)}`);
const failedSteps = phases.filter((p) => !p.ok).map((p) => p.name);
if (failedSteps.length > 0) console.log(`\nFailed steps: ${failedSteps.join(', ')}`);
// A runner that exits non-zero with every test passed failed outside a test (an unhandled error, a hook, a worker
// that died): its own words about it, repeated here where the tail of the log shows them.
for (const phase of phases) {
  const counts = phase.report ? countsOf(phase.report) : null;
  if (phase.ok || !counts || counts.failed > 0) continue;
  const lines = (outputTails.get(phase.name) ?? []).map(sanitizeTerminalText);
  const first = lines.findIndex((line) => /unhandled|error|timed out|worker|exited/i.test(line) && !/✓/.test(line));
  const excerpt = first === -1 ? lines.slice(-30) : lines.slice(first, first + 40);
  console.log(`\n${phase.name} failed with no failing test; what it printed:\n${excerpt.map((line) => `  | ${line}`).join('\n')}`);
}
// The tests that failed, each with the start of its error, repeated here: CI shows only the end of the log.
for (const phase of phases) {
  if (!phase.report || !existsSync(phase.report)) continue;
  const failures = failedTestsOf(phase.report);
  if (failures.length === 0) continue;
  console.log(`\n${phase.name}: ${failures.length} failed`);
  for (const failure of failures.slice(0, 10)) {
    console.log(`  ✗ ${failure.where} › ${failure.name}`);
    const message = sanitizeTerminalText(failure.message).split('\n').filter((line) => line.trim() !== '').slice(0, 12);
    for (const line of message) console.log(`    | ${line}`);
  }
}
console.log(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failedSteps.length > 0 || total.passed === 0 ? 1 : 0);
