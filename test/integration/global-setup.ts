// vitest globalSetup of the `integration` project: builds the NAS image (cached; ~4-5 min only when
// the image inputs changed) and boots nas-a (pool tank) + nas-b (pool backup) ONCE per run.
// Tests read the test bed with `inject('testbed')`. A boot failure throws: the integration suite is
// never silently skipped.
import type { TestProject } from 'vitest/node';
import { bootTestbed, testbedInfo } from '../nas/testbed.ts';
import type { TestbedInfo } from '../nas/testbed.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: TestbedInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tb = await bootTestbed({
    vms: [
      { name: 'nas-a', pool: 'tank' },
      { name: 'nas-b', pool: 'backup' },
    ],
  });
  try {
    project.provide('testbed', testbedInfo(tb));
  } catch (e) {
    await tb.stop();
    throw e;
  }
  return async () => {
    await tb.stop();
  };
}
