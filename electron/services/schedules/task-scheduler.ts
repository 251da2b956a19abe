import { cronSchedule } from '../../../shared/cron-schedule.ts';
import type { Schedule } from '../../../shared/task-schemas.ts';
import type { SchedulerHolder, SchedulerLock } from './scheduler-lock.ts';

// Starts scheduled work when its cron time comes: replication tasks and periodic snapshot tasks. Hosted by the
// Electron main process, the loopback bridge and the daemon (`zfs-replication daemon`). Times missed while the
// computer slept or no scheduler ran (a `lastTick` store remembers the last tick across restarts) are made up ONCE
// per job, not once per missed time, and the job is told so (ScheduledRun.missed) so its log can say it. A job still
// running at its next time is skipped, never doubled: the task lock on the NAS also stops overlap with runs started
// by the CLI or cron elsewhere. While `paused()` says so, no job starts and missed times are not made up later. With a `lock`, only one
// scheduler per settings folder runs (scheduler-lock.ts): the others stand by, say who holds it, and take over when
// it stops. Reading the jobs (the settings file) can fail while an admin edits it: the tick logs it and keeps the
// jobs it last read; nothing a tick does can throw out of the timer and end the process.

/** Scheduled times that passed without a run: made up by one run. */
export interface MissedTimes {
  /** How many scheduled times passed (at most `missedCountLimit`; `capped` when there were more). */
  count: number;
  capped: boolean;
  first: Date;
  last: Date;
}

export interface ScheduledRun {
  /** The scheduled time this run is for (the latest one that passed). */
  scheduledFor: Date;
  /** Set when this run makes up for missed times (the computer slept, or no scheduler ran): say so in its log. */
  missed: MissedTimes | null;
}

export interface ScheduledJob {
  /** Stable key, e.g. "replication:<id>". */
  key: string;
  schedule: Schedule;
  run(context: ScheduledRun): Promise<unknown>;
}

/** Where the last tick is remembered between runs of the scheduler (the settings folder's scheduler-state.json). */
export interface LastTickStore {
  read(): Date | null;
  write(at: Date): void;
}

/** Missed times are counted up to this many (a schedule every minute over a month off is 43,200). */
export const missedCountLimit = 1000;

/** A time is "on time" when its tick comes within this long of it; later, its run is a catch-up. */
const onTimeToleranceMs = 2 * 60_000;

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
  /** Remembers the last tick across restarts, so times missed while no scheduler ran are made up (once). */
  lastTick?: LastTickStore;
  /** Read at every tick: while true no job starts (settings.schedulesPaused). */
  paused?(): boolean;
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
  readonly #running = new Map<string, Promise<void>>();
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

  /**
   * Starts no more jobs, but keeps the scheduler lock (another process does not take over while this one's runs end).
   * stop() then releases it. The daemon's shutdown: stopTicking, cancel the runs, drain, stop.
   */
  stopTicking(): void {
    this.#generation++;
    this.#halt();
    if (this.#standbyTimer) clearTimeout(this.#standbyTimer);
    this.#standbyTimer = null;
  }

  /** Keys of the jobs running now. */
  runningJobs(): string[] {
    return [...this.#running.keys()];
  }

  /** Resolves when every job started by this scheduler has ended (the daemon waits for it before it exits). */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  /**
   * Where the first tick counts missed times from: the last tick remembered (the previous scheduler of this folder,
   * before a shutdown), else now. Only the process holding the scheduler lock reads and writes it.
   */
  #startingPoint(): Date {
    const now = this.#now();
    let remembered: Date | null = null;
    try {
      remembered = this.#options.lastTick?.read() ?? null;
    } catch (error) {
      this.#onError(jobsReadErrorKey, error);
    }
    return remembered && remembered.getTime() < now.getTime() ? remembered : now;
  }

  #run(): void {
    if (this.#timer) return;
    this.#lastTick = this.#startingPoint();
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

  #rememberTick(at: Date): void {
    try {
      this.#options.lastTick?.write(at);
    } catch (error) {
      this.#onError(jobsReadErrorKey, error);
    }
  }

  #isPaused(): boolean {
    try {
      return this.#options.paused?.() ?? false;
    } catch (error) {
      this.#onError(jobsReadErrorKey, error);
      return false;
    }
  }

  /**
   * Starts every job with a cron time in (last tick, now]: once, however many times passed (a catch-up says how many
   * it makes up for). Returns the keys started.
   */
  tick(): string[] {
    const now = this.#now();
    const since = this.#lastTick;
    this.#lastTick = now;
    this.#rememberTick(now);
    if (this.#isPaused()) return [];
    const started: string[] = [];
    for (const job of this.#jobs()) {
      if (job.schedule.kind !== 'cron' || this.#running.has(job.key)) continue;
      let times: ScheduledTimes | null;
      try {
        times = scheduledTimesBetween(job.schedule, since, now);
      } catch (error) {
        this.#onError(job.key, error);
        continue;
      }
      if (!times) continue;
      started.push(job.key);
      const context: ScheduledRun = { scheduledFor: times.last, missed: isCatchUp(times, now) ? times : null };
      let running: Promise<unknown>;
      try {
        running = Promise.resolve(job.run(context));
      } catch (error) {
        // A job that throws before it has a promise (a task gone from the settings) fails like any other.
        running = Promise.reject(error);
      }
      const settled = running
        .then(() => undefined)
        .catch((error: unknown) => this.#onError(job.key, error))
        .finally(() => this.#running.delete(job.key));
      this.#running.set(job.key, settled);
    }
    return started;
  }
}

type ScheduledTimes = MissedTimes;

/** The cron times in (since, now] (in the schedule's time zone), counted up to missedCountLimit; null when none. */
export function scheduledTimesBetween(schedule: { expression: string; timeZone?: string | undefined }, since: Date, now: Date): ScheduledTimes | null {
  const cron = cronSchedule(schedule.expression, schedule.timeZone);
  let next = cron.next(since);
  if (next.getTime() > now.getTime()) return null;
  const first = next;
  let last = next;
  let count = 1;
  while (count < missedCountLimit) {
    next = cron.next(last);
    if (next.getTime() > now.getTime()) return { count, capped: false, first, last };
    last = next;
    count++;
  }
  // More than the limit: find the latest time without counting each (one step per remaining time would be slow).
  const latest = latestTimeAtOrBefore(cron, last, now);
  return { count, capped: latest.getTime() !== last.getTime(), first, last: latest };
}

/**
 * The latest cron time in [from, now] without stepping through every time in between: look back from now over a
 * window that doubles until it holds a time, then walk forward within it.
 */
function latestTimeAtOrBefore(cron: ReturnType<typeof cronSchedule>, from: Date, now: Date): Date {
  for (let window = 60_000; ; window *= 2) {
    const start = Math.max(from.getTime(), now.getTime() - window);
    let candidate = cron.next(new Date(start));
    if (candidate.getTime() > now.getTime()) {
      if (start === from.getTime()) return from;
      continue;
    }
    for (;;) {
      const next = cron.next(candidate);
      if (next.getTime() > now.getTime()) return candidate;
      candidate = next;
    }
  }
}

/** A run makes up for missed times when more than one passed, or when its one time passed well before this tick. */
function isCatchUp(times: ScheduledTimes, now: Date): boolean {
  return times.count > 1 || now.getTime() - times.last.getTime() > onTimeToleranceMs;
}

/** "Catch-up: 12 scheduled times were missed (2026-… to 2026-…) …; running once now." for the task's log. */
export function describeMissedTimes(missed: MissedTimes): string {
  const when = missed.count === 1 ? `the scheduled time ${missed.first.toISOString()} was missed` : `${missed.count}${missed.capped ? ' or more' : ''} scheduled times were missed (${missed.first.toISOString()} to ${missed.last.toISOString()})`;
  return `Catch-up: ${when} while this computer slept or nothing ran the schedules; running once now${missed.count === 1 ? '' : ', not once per missed time'}.`;
}
