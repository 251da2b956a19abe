import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectTaskLock, remoteLockPath, removeTaskLockFiles } from '../../../../../electron/services/replication/task-lock.ts';
import { LocalShellRunner } from '../ssh/local-shell-runner.ts';

// The lock probe and the reset's lock-file removal, run for real by this machine's sh and flock(1).

const runner = new LocalShellRunner('local', mkdtempSync(join(tmpdir(), 'zrd-lock-')));
const holders: Array<ReturnType<typeof spawn>> = [];
const files: string[] = [];
afterEach(() => {
  for (const holder of holders.splice(0)) holder.kill();
  for (const file of files.splice(0)) rmSync(file, { force: true });
});

/** Holds the lock like a running task does, until killed. */
async function holdLock(lock: string): Promise<void> {
  const holder = spawn('flock', [lock, 'sleep', '30'], { stdio: 'ignore' });
  holders.push(holder);
  await new Promise((resolve) => setTimeout(resolve, 200));
}

describe('task lock files', () => {
  it('free, stale owner line, held: told apart, with the owner', async () => {
    const id = randomUUID();
    const lock = remoteLockPath(id);
    files.push(lock, `${lock}.owner`);
    expect(await inspectTaskLock(runner, id)).toEqual({ state: 'free', owner: null });
    writeFileSync(`${lock}.owner`, 'cli on laptop (pid 1)\n');
    expect(await inspectTaskLock(runner, id)).toEqual({ state: 'stale-owner', owner: 'cli on laptop (pid 1)' });
    await holdLock(lock);
    expect(await inspectTaskLock(runner, id)).toEqual({ state: 'held', owner: 'cli on laptop (pid 1)' });
  });

  it('reset removes the lock file and a stale owner line, and leaves a held lock alone', async () => {
    const id = randomUUID();
    const lock = remoteLockPath(id);
    files.push(lock, `${lock}.owner`);
    writeFileSync(lock, '');
    expect(await removeTaskLockFiles(runner, id, { dryRun: true })).toEqual({ removed: [lock], heldBy: null });
    expect(existsSync(lock)).toBe(true);
    expect(await removeTaskLockFiles(runner, id)).toEqual({ removed: [lock], heldBy: null });
    expect(existsSync(lock)).toBe(false);

    writeFileSync(`${lock}.owner`, 'app on pc (pid 2)\n');
    await holdLock(lock);
    expect(await removeTaskLockFiles(runner, id)).toEqual({ removed: [], heldBy: 'app on pc (pid 2)' });
    expect(existsSync(lock)).toBe(true);
  });
});
