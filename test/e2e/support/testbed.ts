// The NAS VMs for Playwright tests: test/e2e/global-setup.ts makes sure ZRD_TESTBED_FILE names a running pair
// (the one `npm test` booted for vitest and Playwright, or one it booted itself) before any test runs.
//
//   import { testbed, nas } from '../support/testbed.ts';
//   const a = nas('nas-a');   // { host: '127.0.0.1', port, pool: 'tank', users, keyPath, ... }
//
// The VMs are shared with every other test of the run: create datasets under unique names and remove them.
import { TESTBED_FILE_ENV, readTestbedFile } from '../../nas/testbed.ts';
import type { TestbedInfo, VmInfo } from '../../nas/testbed.ts';

export type { TestbedInfo, UserName, VmInfo } from '../../nas/testbed.ts';
export { sshExec, sshOk, USERS } from '../../nas/testbed.ts';

let cached: TestbedInfo | null = null;

/** The running test bed: both VMs, the test key (`keyPath`, accepted by every user) and its public half. */
export function testbed(): TestbedInfo {
  if (cached) return cached;
  const file = process.env[TESTBED_FILE_ENV];
  if (!file) throw new Error(`${TESTBED_FILE_ENV} is not set: run Playwright through its global setup (npx playwright test) or npm test`);
  cached = readTestbedFile(file);
  return cached;
}

/** One VM of the test bed by name: `nas-a` (pool tank, the usual source) or `nas-b` (pool backup). */
export function nas(name: 'nas-a' | 'nas-b'): VmInfo {
  const vm = testbed().vms.find((v) => v.name === name);
  if (!vm) throw new Error(`the test bed has no ${name}`);
  return vm;
}
