import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAppStore } from '../../../../electron/services/store/app-store.ts';

// The daemon as a process: it stays up with nothing to do (its timers alone would let Node exit), stops on SIGTERM
// with exit 0, and a second one over the same settings folder stands by. No NAS is involved (no tasks).

const cli = path.resolve(import.meta.dirname, '../../../../electron/cli/zfs-replication.ts');
let configDir: string;
beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-daemon-'));
  openAppStore(configDir);
});
afterEach(() => rmSync(configDir, { recursive: true, force: true }));

function daemon(...args: string[]) {
  const child = spawn(process.execPath, [cli, 'daemon', ...args], { env: { ...process.env, ZRD_CONFIG_DIR: configDir } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  return { child, exited, waitFor, output: () => output };
}

describe('zfs-replication daemon (process)', { timeout: 120_000 }, () => {
  it('stays up, a second one stands by, SIGTERM stops both cleanly (exit 0)', async () => {
    const first = daemon();
    await first.waitFor(/running the schedules/);
    const second = daemon();
    await second.waitFor(/standing by/);
    expect(second.output()).toMatch(/Scheduled runs do not start here: the daemon \(pid \d+\)/);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(first.child.exitCode).toBeNull();
    second.child.kill('SIGTERM');
    first.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('zfs-replication daemon stopped.');
  });

  it('--once runs what is due and exits 0', async () => {
    const once = daemon('--once');
    expect(await once.exited).toBe(0);
  });
});
