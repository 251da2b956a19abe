import { randomUUID } from 'node:crypto';
import type { AppNotification } from '../../../shared/desktop-events.ts';
import type { ReplicationTask, RunRecord } from '../../../shared/task-schemas.ts';
import { defaultLagThresholds, replicaLag, type LagThresholds } from '../monitor/replica-lag.ts';

// What the desktop tells the admin without being asked: a run failed (with its one-line hint), the first success after
// a failure, a replica later than its schedule allows. It reads the run history of the settings folder, so runs of
// any process count (the app, the bridge, the daemon, the CLI from cron), and it says each thing once: a failure once
// per failed run (the newest, when several arrived at once), lateness once until the replica is on time again.
// The host (Electron main, the bridge) shows the notifications: natively, or as toasts in the window.

export interface NotificationSource {
  tasks(): ReplicationTask[];
  /** The task's run history, oldest first. */
  history(taskId: string): RunRecord[];
  /** settings.notifications */
  enabled(): boolean;
}

export interface NotificationCenterOptions {
  source: NotificationSource;
  notify(notification: AppNotification): void;
  now?: () => Date;
  thresholds?: LagThresholds;
}

interface TaskMemory {
  /** Id of the newest run already looked at. */
  seenRunId: string | null;
  /** The last real outcome: a failure makes the next success a recovery. */
  failing: boolean;
  failedRuns: number;
  /** Lateness already said (until the replica is on time again). */
  lateNotified: boolean;
}

/** The first line of a hint or message (a notification has room for one). */
export function oneLine(text: string): string {
  const line = text.split(/\r?\n/)[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** A run that counts: not a dry run, not one the admin cancelled (a cancel is neither a failure nor a success). */
function counts(run: RunRecord): boolean {
  return run.result !== 'DRY_RUN' && run.error?.code !== 'CANCELLED';
}

export class NotificationCenter {
  readonly #options: NotificationCenterOptions;
  readonly #memory = new Map<string, TaskMemory>();

  constructor(options: NotificationCenterOptions) {
    this.#options = options;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  /** Remembers where each task stands without notifying: what happened before the app started is not news. */
  prime(): void {
    for (const task of this.#options.source.tasks()) this.#memory.set(task.id, this.#initial(task.id));
  }

  #initial(taskId: string): TaskMemory {
    const history = this.#options.source.history(taskId);
    const real = history.filter(counts);
    let failedRuns = 0;
    for (let i = real.length - 1; i >= 0 && real[i]!.result !== 'FINISHED'; i--) failedRuns++;
    return { seenRunId: history.at(-1)?.id ?? null, failing: failedRuns > 0, failedRuns, lateNotified: false };
  }

  /** Looks at every task's history and lag; returns (and sends) what is new. */
  check(): AppNotification[] {
    const sent: AppNotification[] = [];
    const enabled = this.#options.source.enabled();
    const now = this.#now();
    const tasks = this.#options.source.tasks();
    for (const id of [...this.#memory.keys()]) if (!tasks.some((t) => t.id === id)) this.#memory.delete(id);
    for (const task of tasks) {
      let memory = this.#memory.get(task.id);
      if (!memory) {
        // A task created while we run: its past is not news either.
        memory = this.#initial(task.id);
        this.#memory.set(task.id, memory);
      }
      const history = this.#options.source.history(task.id);
      const seenAt = memory.seenRunId === null ? -1 : history.findIndex((run) => run.id === memory.seenRunId);
      // A history trimmed past the run we saw: everything in it is older or unknown; take only the newest.
      const fresh = (seenAt === -1 && memory.seenRunId !== null ? history.slice(-1) : history.slice(seenAt + 1)).filter(counts);
      memory.seenRunId = history.at(-1)?.id ?? memory.seenRunId;
      const outcome = this.#outcome(task, memory, fresh, now);
      const late = this.#lateness(task, memory, history, now);
      for (const notification of [outcome, late]) {
        if (!notification) continue;
        if (enabled) this.#options.notify(notification);
        sent.push(notification);
      }
    }
    return enabled ? sent : [];
  }

  #outcome(task: ReplicationTask, memory: TaskMemory, fresh: RunRecord[], now: Date): AppNotification | null {
    if (fresh.length === 0) return null;
    const newest = fresh.at(-1)!;
    const wasFailing = memory.failing;
    const failuresBefore = memory.failedRuns;
    for (const run of fresh) {
      if (run.result === 'FINISHED') {
        memory.failing = false;
        memory.failedRuns = 0;
      } else {
        memory.failing = true;
        memory.failedRuns++;
      }
    }
    if (newest.result !== 'FINISHED') {
      const error = newest.error;
      // A refusal's own hint speaks to the CLI ("run again with this confirmation"); the desktop's answer is the
      // task's review of exactly what a run would destroy.
      const body =
        newest.result === 'REFUSED' ? 'Nothing was changed. Open the task to review exactly what a run would destroy, and confirm it there.' : error ? oneLine(error.hint ?? error.message) : 'Open its log for the details.';
      return this.#make('run-failed', 'error', task, `Replication "${task.name}" ${newest.result === 'REFUSED' ? 'was refused' : 'failed'}${error ? `: ${oneLine(error.message)}` : ''}`, body, now);
    }
    if (wasFailing) {
      const failures = failuresBefore + fresh.filter((run) => run.result !== 'FINISHED').length;
      memory.lateNotified = false;
      return this.#make('run-recovered', 'success', task, `Replication "${task.name}" works again`, `The first successful run after ${failures} failed run${failures === 1 ? '' : 's'}.`, now);
    }
    return null;
  }

  #lateness(task: ReplicationTask, memory: TaskMemory, history: RunRecord[], now: Date): AppNotification | null {
    const lag = replicaLag(task, history, now, this.#options.thresholds ?? defaultLagThresholds);
    const late = (lag.state === 'warning' || lag.state === 'critical') && lag.missed > 0;
    if (!late) {
      memory.lateNotified = false;
      return null;
    }
    if (memory.lateNotified) return null;
    memory.lateNotified = true;
    return this.#make('replica-late', lag.state === 'critical' ? 'error' : 'warning', task, `The replica of "${task.name}" is late`, oneLine(lag.summary.charAt(0).toUpperCase() + lag.summary.slice(1)), now);
  }

  #make(kind: AppNotification['kind'], level: AppNotification['level'], task: ReplicationTask, title: string, body: string, now: Date): AppNotification {
    return { id: randomUUID(), kind, level, title, body, taskId: task.id, taskName: task.name, at: now.toISOString() };
  }
}

export interface NotificationHost {
  store: {
    listTasks(): ReplicationTask[];
    history: { list(taskId: string): RunRecord[] };
    getSettings(): { notifications: boolean };
  };
  bus: {
    emit(name: 'notification', payload: AppNotification): void;
    subscribe(listener: (name: string, payload: unknown) => void): () => void;
  };
}

/**
 * Starts watching for notifications in a host process (Electron main, the bridge): every `intervalMs`, and at once
 * when a run of this process ends. Each becomes a `notification` event (the window's toast; Electron main also shows
 * it natively). Returns the stop function.
 */
export function startNotifications(core: NotificationHost, options: { intervalMs?: number; now?: () => Date } = {}): () => void {
  const center = new NotificationCenter({
    source: {
      tasks: () => core.store.listTasks(),
      history: (taskId) => core.store.history.list(taskId),
      enabled: () => core.store.getSettings().notifications,
    },
    notify: (notification) => core.bus.emit('notification', notification),
    ...(options.now ? { now: options.now } : {}),
  });
  const safeCheck = () => {
    try {
      center.check();
    } catch {
      // A settings file being edited, a history being rotated: the next check sees it again.
    }
  };
  try {
    center.prime();
  } catch {
    // As above: the first check primes what it can.
  }
  const timer = setInterval(safeCheck, options.intervalMs ?? 15_000);
  timer.unref?.();
  const unsubscribe = core.bus.subscribe((name, payload) => {
    const state = (payload as { state?: string }).state;
    if ((name === 'status' && (state === 'FINISHED' || state === 'FAILED')) || name === 'runFinished') setTimeout(safeCheck, 100).unref?.();
  });
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
