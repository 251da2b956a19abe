import { cronSchedule } from '../../../shared/cron-schedule.ts';
import type { Schedule } from '../../../shared/task-schemas.ts';
import type { SchedulerHolder, SchedulerLock } from './scheduler-lock.ts';

// Starts scheduled work when its cron time comes: replication tasks and periodic snapshot tasks. Hosted by the
// Electron main process and by the loopback bridge. Missed times while the app was closed are not replayed (the
// next incremental catches up anyway), and a job still running at its next time is skipped, never doubled: the
// task lock on the NAS also stops overlap with runs started by the CLI or cron elsewhere. With a `lock`, only one
// scheduler per settings folder runs (scheduler-lock.ts): the others stand by, say who holds it, and take over when
// it stops. Reading the jobs (the settings file) can fail while an admin edits it: the tick logs it and keeps the
// jobs it last read; nothing a tick does can throw out of the timer and end the process.

export interface ScheduledJob {
  /** Stable key, e.g. "replication:<id>". */
  key: string;
  schedule: Schedule;
  run(): Promise<unknown>;
}

export interface TaskSchedulerOptions {
  /** Read at every tick, so edits to tasks apply without a restart. */
  jobs(): ScheduledJob[];
  onError?(key: string, error: unknown): void;
  now?(): Date;
  intervalMs?: number;
  /** One scheduler per settings folder; without it every scheduler started runs. */
  lock?: SchedulerLock;
  /** How often a standing-by scheduler tries to take over (default 15 s). */
  standbyRetryMs?: number;
  /** This scheduler stands by: another process runs the schedules (told once per holder). */
  onStandby?(holder: SchedulerHolder | null): void;
  /** This scheduler runs the schedules (after standing by, or after the lock was lost and taken again). */
  onActive?(): void;
}

export type SchedulerStatus =
  | { state: 'stopped' }
  | { state: 'running' }
  /** Another process holds the settings folder's scheduler lock: who, when known. */
  | { state: 'standby'; holder: SchedulerHolder | null };

/** The key under which a read of the job list fails (onError). */
export const jobsReadErrorKey = 'schedules';

export class TaskScheduler {
  readonly #options: TaskSchedulerOptions;
  readonly #running = new Set<string>();
  #lastTick: Date;
  #timer: NodeJS.Timeout | null = null;
  #standbyTimer: NodeJS.Timeout | null = null;
  #status: SchedulerStatus = { state: 'stopped' };
  #lastJobs: ScheduledJob[] = [];
  #lastJobsError: string | null = null;
  #standbyHolder: string | null = null;
  /** Bumped by stop(): a take-over still waiting for the lock then gives it back. */
  #generation = 0;

  constructor(options: TaskSchedulerOptions) {
    this.#options = options;
    this.#lastTick = this.#now();
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  status(): SchedulerStatus {
    return this.#status;
  }

  /** Starts ticking, or stands by when another process holds the settings folder's scheduler lock. */
  async start(): Promise<SchedulerStatus> {
    if (this.#status.state !== 'stopped') return this.#status;
    const lock = this.#options.lock;
    if (!lock) {
      this.#run();
      return this.#status;
    }
    lock.onLost((reason) => {
      // Not refreshed in time (the machine slept, the disk hung) or taken by another process: stop, then try again.
      this.#onError(jobsReadErrorKey, new Error(`This process lost the scheduler lock (${reason}); scheduled runs stop here until it is taken again.`));
      this.#halt();
      this.#standBy(null);
    });
    await this.#tryTakeOver();
    return this.#status;
  }

  async stop(): Promise<void> {
    this.#generation++;
    this.#halt();
    if (this.#standbyTimer) clearTimeout(this.#standbyTimer);
    this.#standbyTimer = null;
    this.#status = { state: 'stopped' };
    await this.#options.lock?.release();
  }

  async #tryTakeOver(): Promise<void> {
    this.#standbyTimer = null;
    const generation = this.#generation;
    let result;
    try {
      result = await this.#options.lock!.acquire();
    } catch (error) {
      this.#onError(jobsReadErrorKey, error);
      result = { acquired: false as const, holder: null };
    }
    if (generation !== this.#generation) {
      if (result.acquired) await this.#options.lock!.release();
      return;
    }
    if (result.acquired) {
      this.#standbyHolder = null;
      this.#run();
      if (this.#status.state === 'running') this.#options.onActive?.();
    } else {
      this.#standBy(result.holder);
    }
  }

  #standBy(holder: SchedulerHolder | null): void {
    this.#status = { state: 'standby', holder };
    this.#halt();
    const who = JSON.stringify(holder && { pid: holder.pid, since: holder.since });
    if (who !== this.#standbyHolder) {
      this.#standbyHolder = who;
      this.#options.onStandby?.(holder);
    }
    const retry = setTimeout(() => void this.#tryTakeOver(), this.#options.standbyRetryMs ?? 15_000);
    retry.unref?.();
    this.#standbyTimer = retry;
  }

  #run(): void {
    if (this.#timer) return;
    this.#lastTick = this.#now();
    this.#status = { state: 'running' };
    this.#timer = setInterval(() => this.#safeTick(), this.#options.intervalMs ?? 15_000);
    this.#timer.unref?.();
  }

  #halt(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #onError(key: string, error: unknown): void {
    try {
      this.#options.onError?.(key, error);
    } catch {
      // A failing error reporter must not end the process either.
    }
  }

  #safeTick(): void {
    try {
      this.tick();
    } catch (error) {
      this.#onError(jobsReadErrorKey, error);
    }
  }

  /** The jobs as the settings say now, or as they last said when the settings cannot be read. */
  #jobs(): ScheduledJob[] {
    try {
      this.#lastJobs = this.#options.jobs();
      this.#lastJobsError = null;
    } catch (error) {
      // Said once per distinct failure, not at every tick while the file stays broken.
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.#lastJobsError) this.#onError(jobsReadErrorKey, error);
      this.#lastJobsError = message;
    }
    return this.#lastJobs;
  }

  /** Starts every job whose cron time fell in (last tick, now]. Returns the keys started. */
  tick(): string[] {
    const now = this.#now();
    const since = this.#lastTick;
    this.#lastTick = now;
    const started: string[] = [];
    for (const job of this.#jobs()) {
      if (job.schedule.kind !== 'cron' || this.#running.has(job.key)) continue;
      let due: boolean;
      try {
        due = cronSchedule(job.schedule.expression).next(since).getTime() <= now.getTime();
      } catch (error) {
        this.#onError(job.key, error);
        continue;
      }
      if (!due) continue;
      this.#running.add(job.key);
      started.push(job.key);
      let running: Promise<unknown>;
      try {
        running = Promise.resolve(job.run());
      } catch (error) {
        // A job that throws before it has a promise (a task gone from the settings) fails like any other.
        running = Promise.reject(error);
      }
      void running
        .catch((error: unknown) => this.#onError(job.key, error))
        .finally(() => this.#running.delete(job.key));
    }
    return started;
  }
}
