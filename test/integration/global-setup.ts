// vitest globalSetup of the `integration` project. Under `npm test`, scripts/test.ts boots nas-a (pool tank) and
// nas-b (pool backup) once for vitest and Playwright alike and names them in ZRD_TESTBED_FILE: this setup reuses
// that pair and leaves it running. Run alone (`npx vitest run --project integration <file>`), it builds the NAS
// image (cached; ~4-5 min only when the image inputs changed) and boots its own pair, stopped at the end.
// Tests read the test bed with `inject('testbed')`. A boot failure throws: the integration suite is never
// silently skipped.
import type { TestProject } from 'vitest/node';
import { DEFAULT_VMS, useOrBootTestbed } from '../nas/testbed.ts';
import type { TestbedInfo } from '../nas/testbed.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: TestbedInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tb = await useOrBootTestbed({ vms: DEFAULT_VMS });
  try {
    project.provide('testbed', tb.info);
  } catch (e) {
    await tb.stop();
    throw e;
  }
  return async () => {
    await tb.stop();
  };
}
