import { randomUUID } from 'node:crypto';
import type { DatasetStep, EventPayload, RunInfo, RunKind, RunProgress, RunState } from '../../../shared/contract.ts';
import { AppFailure, toAppError, type AppError } from '../../../shared/result.ts';

// Runs as objects: starting one returns at once with its id; while it runs, its steps, progress and log lines are
// events carrying that id; cancel(runId) stops it (the engine leaves a resumable receive, the next run resumes);
// the last few finished runs stay readable. One registry per core: the app, the bridge and the CLI each have one.

/** What a run's body reports as it goes. */
export interface RunContext {
  readonly runId: string;
  readonly signal: AbortSignal;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  progress(progress: RunProgress): void;
  step(step: { dataset: string; destination: string | null; step: DatasetStep; detail?: string | null }): void;
}

/** How a finished run's value reads: its end state and the error that ended it. */
export interface RunOutcome {
  state: Exclude<RunState, 'running'>;
  error: AppError | null;
}

export interface RunSpec {
  kind: RunKind;
  taskId: string;
  taskName: string;
  by: string;
  dryRun: boolean;
}

/** A started run: its live state, and the promise of its value (a failed run still resolves, with its report). */
export interface Run<T> {
  readonly id: string;
  info(): RunInfo;
  readonly done: Promise<T>;
}

export type RunEvent =
  | { name: 'runStarted'; payload: EventPayload<'runStarted'> }
  | { name: 'runStep'; payload: EventPayload<'runStep'> }
  | { name: 'runProgress'; payload: EventPayload<'runProgress'> }
  | { name: 'runLog'; payload: EventPayload<'runLog'> }
  | { name: 'runFinished'; payload: EventPayload<'runFinished'> };

export interface RunRegistryOptions {
  emit(event: RunEvent): void;
  /** Finished runs kept for getRun/listActiveRuns (newest kept). */
  keepFinished?: number;
  /** Progress events per run at most this often (the engine reports every 250 ms per stream). */
  progressIntervalMs?: number;
  now?: () => Date;
}

interface LiveRun {
  info: RunInfo;
  controller: AbortController;
  done: Promise<unknown>;
  lastProgressAt: number;
}

export class RunRegistry {
  readonly #options: Required<Omit<RunRegistryOptions, 'now'>> & { now: () => Date };
  readonly #runs = new Map<string, LiveRun>();
  readonly #finished: string[] = [];

  constructor(options: RunRegistryOptions) {
    this.#options = { keepFinished: 50, progressIntervalMs: 250, now: () => new Date(), ...options };
  }

  /**
   * Starts `body` as a run of the task. A task runs once at a time (dry runs aside): a second start while one is
   * running is BUSY at once. `outcome` reads the run's end state from its value (a report carries its own result).
   */
  start<T>(spec: RunSpec, body: (run: RunContext) => Promise<T>, outcome: (value: T) => RunOutcome, runId: string = randomUUID()): Run<T> {
    if (!spec.dryRun) {
      const active = this.activeRunOf(spec.taskId);
      if (active) {
        throw new AppFailure('BUSY', `"${spec.taskName}" is already running (run ${active.runId}, started by ${active.by} at ${active.startedAt}).`, 'Wait for it to finish, or cancel it; the next run resumes where it stopped.');
      }
    }
    if (this.#runs.has(runId)) throw new AppFailure('CONFLICT', `A run with id ${runId} exists already.`);
    const controller = new AbortController();
    const info: RunInfo = { runId, ...spec, startedAt: this.#options.now().toISOString(), finishedAt: null, state: 'running', datasets: [], progress: null, error: null };
    const live: LiveRun = { info, controller, done: Promise.resolve(), lastProgressAt: 0 };
    this.#runs.set(runId, live);
    const emit = this.#options.emit;
    const base = { runId, taskId: spec.taskId };
    const context: RunContext = {
      runId,
      signal: controller.signal,
      log: (level, message) => emit({ name: 'runLog', payload: { ...base, at: this.#options.now().toISOString(), level, message } }),
      progress: (progress) => {
        live.info.progress = progress;
        const at = Date.now();
        if (at - live.lastProgressAt < this.#options.progressIntervalMs) return;
        live.lastProgressAt = at;
        emit({ name: 'runProgress', payload: { ...base, ...progress } });
      },
      step: ({ dataset, destination, step, detail = null }) => {
        const row = { dataset, destination, step, detail };
        const index = live.info.datasets.findIndex((d) => d.dataset === dataset);
        if (index === -1) live.info.datasets.push(row);
        else live.info.datasets[index] = row;
        emit({ name: 'runStep', payload: { ...base, ...row } });
      },
    };
    emit({ name: 'runStarted', payload: { run: snapshotOf(info) } });

    const done = (async () => {
      try {
        const value = await body(context);
        const { state, error } = outcome(value);
        this.#finish(live, controller.signal.aborted && state === 'failed' ? 'cancelled' : state, error);
        emit({ name: 'runFinished', payload: { run: snapshotOf(live.info), result: { kind: spec.kind, report: value } as EventPayload<'runFinished'>['result'] } });
        return value;
      } catch (error) {
        const appError = toAppError(error);
        this.#finish(live, controller.signal.aborted || appError.code === 'CANCELLED' ? 'cancelled' : 'failed', appError);
        emit({ name: 'runFinished', payload: { run: snapshotOf(live.info), result: null } });
        throw error;
      }
    })();
    live.done = done.catch(() => undefined);
    return { id: runId, info: () => snapshotOf(live.info), done };
  }

  #finish(live: LiveRun, state: Exclude<RunState, 'running'>, error: AppError | null): void {
    live.info.state = state;
    live.info.error = error;
    live.info.finishedAt = this.#options.now().toISOString();
    // A dataset still in motion when the run ended did not get to its end.
    for (const row of live.info.datasets) {
      if (row.step !== 'done' && row.step !== 'skipped' && row.step !== 'planned') row.step = 'failed';
    }
    this.#finished.push(live.info.runId);
    while (this.#finished.length > this.#options.keepFinished) this.#runs.delete(this.#finished.shift()!);
  }

  /** Stops a running run; false when it is not running (finished, or unknown). */
  cancel(runId: string): boolean {
    const live = this.#runs.get(runId);
    if (!live || live.info.state !== 'running') return false;
    live.controller.abort();
    return true;
  }

  get(runId: string): RunInfo | undefined {
    const live = this.#runs.get(runId);
    return live ? snapshotOf(live.info) : undefined;
  }

  /** Running runs first (oldest first), then the recent finished ones (newest first). */
  list(): RunInfo[] {
    const all = [...this.#runs.values()].map((live) => live.info);
    const running = all.filter((info) => info.state === 'running');
    const finished = this.#finished.map((id) => this.#runs.get(id)?.info).filter((info): info is RunInfo => info !== undefined).reverse();
    return [...running, ...finished].map(snapshotOf);
  }

  /** The task's run in progress (not a dry run), if any. */
  activeRunOf(taskId: string): RunInfo | undefined {
    for (const live of this.#runs.values()) {
      if (live.info.taskId === taskId && live.info.state === 'running' && !live.info.dryRun) return snapshotOf(live.info);
    }
    return undefined;
  }

  /** Cancels every run and waits for them to end (their reports are written; receives stay resumable). */
  async dispose(): Promise<void> {
    const running = [...this.#runs.values()].filter((live) => live.info.state === 'running');
    for (const live of running) live.controller.abort();
    await Promise.all(running.map((live) => live.done));
  }
}

/** A copy: the live object keeps changing after an event carried it. */
function snapshotOf(info: RunInfo): RunInfo {
  return { ...info, datasets: info.datasets.map((d) => ({ ...d })), progress: info.progress ? { ...info.progress } : null };
}
