import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCliBundle, cliBundle } from '../../../scripts/build-bundles.ts';

// bin/zfs-replication.mjs runs the CLI's bundle when it is current: the bundle must behave as the sources do,
// including paths found from the installation's root (the daemon's command line, the app version).

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const bin = path.join(root, 'bin', 'zfs-replication.mjs');

function cli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the CLI bundle', () => {
  it('answers as the sources do: help, a settings-folder error, the task file schema', { timeout: 120_000 }, async () => {
    await buildCliBundle();
    const configDir = mkdtempSync(path.join(tmpdir(), 'zrd-cli-bundle-'));
    try {
      for (const args of [['--help'], ['list'], ['task', 'schema']]) {
        const env = { ZRD_CONFIG_DIR: path.join(configDir, 'absent') };
        const fromBundle = cli(args, env);
        const fromSources = cli(args, { ...env, ZRD_CLI_FROM_SOURCES: '1' });
        expect({ args, ...fromBundle }).toEqual({ args, ...fromSources });
      }
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
    expect(cliBundle).toBe(path.join(root, '.vite', 'cli', 'zfs-replication.mjs'));
  });
});
