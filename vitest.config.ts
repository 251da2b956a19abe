import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // The unit tests run while the NAS VMs boot beside them (scripts/test.ts), on 2 cores: a test that takes
          // 1 s on a quiet machine can take 8. Timeouts catch hangs, not slowness, so they are generous.
          testTimeout: 30_000,
        },
      },
      {
        // Real OpenZFS + OpenSSH VMs (test/nas), booted once per run and shared by every file; tests isolate
        // themselves by dataset names. Not optional: a boot failure fails the run.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Two TCG VMs already use both cores; files run one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
