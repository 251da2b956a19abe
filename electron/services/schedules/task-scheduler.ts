import { cronSchedule } from '../../../shared/cron-schedule.ts';
import type { Schedule } from '../../../shared/task-schemas.ts';

// Starts scheduled work when its cron time comes: replication tasks and periodic snapshot tasks. Hosted by the
// Electron main process and by the loopback bridge. Missed times while the app was closed are not replayed (the
// next incremental catches up anyway), and a job still running at its next time is skipped, never doubled: the
// task lock on the NAS also stops overlap with runs started by the CLI or cron elsewhere.

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
}

export class TaskScheduler {
  readonly #options: TaskSchedulerOptions;
  readonly #running = new Set<string>();
  #lastTick: Date;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: TaskSchedulerOptions) {
    this.#options = options;
    this.#lastTick = this.#now();
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  start(): void {
    if (this.#timer) return;
    this.#lastTick = this.#now();
    this.#timer = setInterval(() => this.tick(), this.#options.intervalMs ?? 15_000);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Starts every job whose cron time fell in (last tick, now]. Returns the keys started. */
  tick(): string[] {
    const now = this.#now();
    const since = this.#lastTick;
    this.#lastTick = now;
    const started: string[] = [];
    for (const job of this.#options.jobs()) {
      if (job.schedule.kind !== 'cron' || this.#running.has(job.key)) continue;
      let due: boolean;
      try {
        due = cronSchedule(job.schedule.expression, job.schedule.timeZone).next(since).getTime() <= now.getTime();
      } catch (error) {
        this.#options.onError?.(job.key, error);
        continue;
      }
      if (!due) continue;
      this.#running.add(job.key);
      started.push(job.key);
      void job
        .run()
        .catch((error: unknown) => this.#options.onError?.(job.key, error))
        .finally(() => this.#running.delete(job.key));
    }
    return started;
  }
}
