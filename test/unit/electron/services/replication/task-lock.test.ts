import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireTaskLock, inspectTaskLock, remoteLockPath, removeTaskLockFiles } from '../../../../../electron/services/replication/task-lock.ts';
import type { AppFailure } from '../../../../../shared/result.ts';
import { LocalShellRunner } from '../ssh/local-shell-runner.ts';

// The lock, its probe and the reset's lock-file removal, run for real by this machine's sh and flock(1) (and by a
// lockf(1) stand-in for FreeBSD's branch).

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

/** A PATH with a FreeBSD-like lockf(1) (flock underneath, exit 75 when busy) and no flock: the script's other branch. */
function lockfOnlyPath(): string {
  const bin = mkdtempSync(join(tmpdir(), 'zrd-lockf-'));
  for (const tool of ['sh', 'cat', 'rm', 'seq', 'env', 'sleep', 'true']) symlinkSync(`/usr/bin/${tool}`.replace('/usr/bin/sh', '/bin/sh'), join(bin, tool));
  // lockf -s -t 0 FILE COMMAND...
  writeFileSync(join(bin, 'lockf'), '#!/bin/sh\nshift 3\nf=$1; shift\nexec /usr/bin/flock -n -E 75 "$f" "$@"\n');
  chmodSync(join(bin, 'lockf'), 0o755);
  mkdirSync(join(bin, 'empty'));
  return bin;
}

describe.each([
  ['flock (Linux)', () => new LocalShellRunner('local', mkdtempSync(join(tmpdir(), 'zrd-lock-')))],
  ['lockf (FreeBSD)', () => new LocalShellRunner('local', mkdtempSync(join(tmpdir(), 'zrd-lock-')), { path: lockfOnlyPath() })],
])('the lock\'s shell runs the source listing once it holds the lock: %s', (_branch, runnerOf) => {
  // Output without a final newline, stderr, an exit status the caller names, and a listing of megabytes.
  const odd = ['sh', '-c', 'printf "a\\tb\\nno newline"; printf "warn\\n" >&2; exit 3'];
  const big = ['seq', '1', '200000'];
  const missing = ['sh', '-c', 'echo "cannot open \'tank/nope\': dataset does not exist" >&2; exit 1'];

  it('answers each prefetched command once, exactly as run() would, while the lock is held', async () => {
    const local = runnerOf();
    const id = randomUUID();
    files.push(remoteLockPath(id), `${remoteLockPath(id)}.owner`);
    const held = await acquireTaskLock({ taskId: id, taskName: 'nightly', runner: local, by: 'test', prefetch: [odd, big, missing] });
    try {
      expect((await inspectTaskLock(local, id)).state).toBe('held');
      const prefetched = held.prefetched!;
      expect(await prefetched.take(odd, { expectedExitCodes: [0, 3] })).toEqual({ exitCode: 3, stdout: 'a\tb\nno newline', stderr: 'warn\n' });
      expect(await prefetched.take(big)).toEqual(await local.run(big));
      const alone = (await local.run(missing).catch((error: unknown) => error)) as AppFailure;
      const inside = (await prefetched.take(missing)!.catch((error: unknown) => error)) as AppFailure;
      expect(inside.appError).toEqual(alone.appError);
      expect(inside.code).toBe('DATASET_NOT_FOUND');
      // Taken once: a later listing runs on its own.
      expect(prefetched.take(big)).toBeNull();
      expect(local.embedded.map((e) => [e.argv[0], e.via, e.outcome])).toEqual([
        ['sh', 'the task lock', 'ok'],
        ['seq', 'the task lock', 'ok'],
        ['sh', 'the task lock', 'DATASET_NOT_FOUND'],
      ]);
    } finally {
      await held.release();
    }
    expect((await inspectTaskLock(local, id)).state).not.toBe('held');
  });

  it('a busy lock still says who holds it, and the listing does not run', async () => {
    const local = runnerOf();
    const id = randomUUID();
    const lock = remoteLockPath(id);
    files.push(lock, `${lock}.owner`);
    // Another run holds it (another process: this process's own guard would answer before the NAS's lock).
    writeFileSync(`${lock}.owner`, 'cli on laptop (pid 7) since 2026-12-02T08:00:00.000Z\n');
    await holdLock(lock);
    await expect(acquireTaskLock({ taskId: id, taskName: 'nightly', runner: local, by: 'app', prefetch: [odd] })).rejects.toMatchObject({
      code: 'BUSY',
      message: 'Task "nightly" is already running: started by cli on laptop (pid 7) since 2026-12-02T08:00:00.000Z.',
    });
    expect(local.embedded).toEqual([]);
  });

  it('a command nobody took is still settled (logged) when the lock is released', async () => {
    const local = runnerOf();
    const id = randomUUID();
    files.push(remoteLockPath(id), `${remoteLockPath(id)}.owner`);
    const held = await acquireTaskLock({ taskId: id, taskName: 'nightly', runner: local, by: 'test', prefetch: [big] });
    await held.release();
    expect(local.embedded).toEqual([{ argv: big, via: 'the task lock', outcome: 'ok' }]);
  });
});
