import lockfile from 'proper-lockfile';
import { AppFailure } from '../../../shared/result.ts';

// One writer at a time across processes (the app, the bridge, the CLI, the daemon) for a file that is read, changed
// and written back. proper-lockfile takes the lock by creating `<file>.lock` (mkdir is atomic on every file system we
// run on, NFS included) and keeps its mtime fresh while held; a lock whose holder died goes stale after `staleMs` and
// the next writer takes it over. The store's writes are short and synchronous, so the lock is taken synchronously
// with a retry loop here (proper-lockfile's sync API has no retries of its own).

export interface FileLockOptions {
  /** A lock older than this is taken to be left by a dead process (proper-lockfile's minimum is 2000). */
  staleMs?: number;
  /** How long to keep trying before giving up with BUSY; longer than staleMs so a dead holder's lock is outwaited. */
  timeoutMs?: number;
  /** Names the file for the BUSY message, e.g. "the settings file". */
  what?: string;
}

const defaultStaleMs = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` (the lock is held by another process for a few milliseconds: waiting is short). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function lockPathOf(file: string): string {
  return `${file}.lock`;
}

/** Runs `action` while holding the cross-process lock of `file` (which need not exist). */
export function withFileLockSync<T>(file: string, action: () => T, options: FileLockOptions = {}): T {
  const staleMs = options.staleMs ?? defaultStaleMs;
  const deadline = Date.now() + (options.timeoutMs ?? staleMs + 5_000);
  let release: (() => void) | null = null;
  for (let attempt = 0; release === null; attempt++) {
    try {
      release = lockfile.lockSync(file, {
        stale: staleMs,
        realpath: false,
        lockfilePath: lockPathOf(file),
        // The hold is synchronous and short; a refresh timer that fails later has nothing left to protect.
        onCompromised: () => undefined,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() >= deadline) {
        throw new AppFailure(
          'BUSY',
          `${options.what ?? file} is locked by another process and stayed locked for ${Math.round((options.timeoutMs ?? staleMs + 5_000) / 1000)} s.`,
          `Another copy of the app, the bridge or the CLI is writing it. Try again; if it persists, close the other programs and remove ${lockPathOf(file)}.`,
        );
      }
      // Short, jittered waits: writers hold the lock for milliseconds, and jitter keeps them from colliding again.
      sleepSync(Math.min(50, 2 + attempt * 2) + Math.random() * 5);
    }
  }
  try {
    return action();
  } finally {
    try {
      release();
    } catch {
      // The lock was already gone (taken over as stale after a very long hold): the write itself went through.
    }
  }
}
