import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { writePrivateFileAtomic } from '../store/private-files.ts';

// One scheduler per settings folder: the desktop app, the bridge and the daemon each host one, and two of them
// running the same schedules would start every task twice (the task lock on the NAS refuses the second run, but it
// still fails, mails cron and clutters the history). The process that runs the schedules holds
// <settings folder>/scheduler.lock and says who it is in scheduler.json; the others stand by and say who holds it.
// The lock cannot be left stale: its holder refreshes its mtime every few seconds and a lock not refreshed for
// `staleMs` is taken over (proper-lockfile), and a holder on this machine whose process is gone is taken over at once.

export const SchedulerHolderSchema = z.object({
  pid: z.number().int(),
  /** "app", "bridge", "daemon", … */
  program: z.string(),
  host: z.string(),
  /** When it took the lock (ISO time). */
  since: z.string(),
});
export type SchedulerHolder = z.infer<typeof SchedulerHolderSchema>;

export type SchedulerLockResult = { acquired: true } | { acquired: false; holder: SchedulerHolder | null };

export interface SchedulerLockOptions {
  /** Who we are, for the other processes' message. */
  program: string;
  /** A lock not refreshed for this long is a dead holder's (default 20 s; refreshed every staleMs / 4). */
  staleMs?: number;
  now?: () => Date;
}

/** "the bridge (pid 1234 on host) since 2026-…" */
export function describeHolder(holder: SchedulerHolder | null): string {
  if (!holder) return 'another process (it has not said which yet)';
  return `${holder.program === 'app' ? 'the desktop app' : `the ${holder.program}`} (pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}) since ${holder.since}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SchedulerLock {
  readonly lockPath: string;
  readonly infoPath: string;
  readonly #target: string;
  readonly #options: SchedulerLockOptions;
  #release: (() => Promise<void>) | null = null;
  #onLost: ((reason: string) => void) | null = null;

  constructor(configDir: string, options: SchedulerLockOptions) {
    this.#target = path.join(configDir, 'scheduler');
    this.lockPath = `${this.#target}.lock`;
    this.infoPath = path.join(configDir, 'scheduler.json');
    this.#options = options;
  }

  get held(): boolean {
    return this.#release !== null;
  }

  /** Called when a held lock is lost (not refreshed in time, e.g. the machine slept; another process took it). */
  onLost(listener: (reason: string) => void): void {
    this.#onLost = listener;
  }

  /** Who holds the lock according to scheduler.json (null when unknown). */
  holder(): SchedulerHolder | null {
    try {
      const parsed = SchedulerHolderSchema.safeParse(JSON.parse(readFileSync(this.infoPath, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async acquire(): Promise<SchedulerLockResult> {
    if (this.#release) return { acquired: true };
    if (await this.#tryLock()) return { acquired: true };
    const holder = this.holder();
    if (holder && holder.host === hostname() && holder.pid !== process.pid && !isAlive(holder.pid)) {
      // Its holder died (killed, crashed) within the stale time: take over now rather than after it.
      rmSync(this.lockPath, { recursive: true, force: true });
      if (await this.#tryLock()) return { acquired: true };
    }
    return { acquired: false, holder: this.holder() };
  }

  async release(): Promise<void> {
    const release = this.#release;
    this.#release = null;
    if (!release) return;
    if (this.holder()?.pid === process.pid) rmSync(this.infoPath, { force: true });
    try {
      await release();
    } catch {
      // Already gone (taken over as stale): nothing of ours is left to remove.
    }
  }

  async #tryLock(): Promise<boolean> {
    const staleMs = this.#options.staleMs ?? 20_000;
    try {
      this.#release = await lockfile.lock(this.#target, {
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 4)),
        realpath: false,
        lockfilePath: this.lockPath,
        onCompromised: (error) => {
          this.#release = null;
          this.#onLost?.(error.message);
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return false;
      throw error;
    }
    const me: SchedulerHolder = { pid: process.pid, program: this.#options.program, host: hostname(), since: (this.#options.now?.() ?? new Date()).toISOString() };
    writePrivateFileAtomic(this.infoPath, `${JSON.stringify(me, null, '\t')}\n`);
    return true;
  }
}
