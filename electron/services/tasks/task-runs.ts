import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { RunInfo, SnapshotRunResultSchema } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import type { ReplicationTask, TaskState } from '../../../shared/task-schemas.ts';
import type { TaskLog } from '../logs/task-log.ts';
import { runReplicationTask, type EngineDeps, type EngineEvent, type EngineRunOptions, type RunReport } from '../replication/replication-engine.ts';
import { repairTask, type RepairReport } from '../replication/task-maintenance.ts';
import type { Run, RunContext, RunOutcome, RunRegistry } from '../runs/run-registry.ts';
import type { AppStore } from '../store/app-store.ts';
import type { RunHistoryInput } from '../store/run-history.ts';
import type { NasRegistry } from './nas-registry.ts';
import { runSnapshotTask } from './snapshot-task-runs.ts';

// Runs a stored task the same way from the app, the bridge, the scheduler and the CLI: a run object in the
// registry (id, events, cancel), a line per event appended to the task's log as it happens, a run record in the
// history (store.history, one file per task), and the task's state (one place: the registry while it runs, the history after).

export type SnapshotRunResult = z.output<typeof SnapshotRunResultSchema>;

export interface TaskRunsOptions {
  store: AppStore;
  nas: NasRegistry;
  registry: RunRegistry;
  taskLog: TaskLog;
  /** A task's state changed (RUNNING at the start of a real run, FINISHED/FAILED at its end). */
  onStatus?: (status: { taskId: string; state: TaskState; runId: string; detail?: string }) => void;
}

/** PENDING until a real run ends, then the result of the last one (REFUSED counts as FAILED: it needs the admin). */
export function taskStateFromHistory(store: AppStore, taskId: string): TaskState {
  let last = store.history.last(taskId);
  if (last?.result === 'DRY_RUN') last = store.history.list(taskId).filter((r) => r.result !== 'DRY_RUN').at(-1) ?? null;
  if (!last) return 'PENDING';
  return last.result === 'FINISHED' ? 'FINISHED' : 'FAILED';
}

export interface ReplicationRunOptions extends Omit<EngineRunOptions, 'signal'> {
  by: string;
  /** The run's id, when the caller subscribed to it before the start. */
  runId?: string;
}

const replicationOutcome = (report: RunReport): RunOutcome => ({
  state: report.result === 'REFUSED' ? 'refused' : report.result === 'FAILED' ? 'failed' : 'finished',
  error: report.error,
});

export class TaskRuns {
  readonly #options: TaskRunsOptions;

  constructor(options: TaskRunsOptions) {
    this.#options = options;
  }

  get registry(): RunRegistry {
    return this.#options.registry;
  }

  isRunning(taskId: string): boolean {
    return this.#options.registry.activeRunOf(taskId) !== undefined;
  }

  activeRun(taskId: string): RunInfo | null {
    return this.#options.registry.activeRunOf(taskId) ?? null;
  }

  /** The one answer to "what state is this task in": RUNNING while a run of this process runs it, else its history. */
  state(taskId: string): TaskState {
    return this.isRunning(taskId) ? 'RUNNING' : taskStateFromHistory(this.#options.store, taskId);
  }

  /** Cancels the task's run in progress. */
  cancel(taskId: string): boolean {
    const active = this.#options.registry.activeRunOf(taskId);
    return active ? this.#options.registry.cancel(active.runId) : false;
  }

  /** Starts a replication run; returns at once (the run's events carry its id, `done` is its report). */
  startReplication(idOrName: string, options: ReplicationRunOptions): Run<RunReport> {
    const task = this.#options.store.getTask(idOrName);
    const spec = { kind: 'replication' as const, taskId: task.id, taskName: task.name, by: options.by, dryRun: options.dryRun ?? false };
    const { runId, ...rest } = options;
    const run = this.#options.registry.start(spec, (run) => this.#replicate(task, rest, run), replicationOutcome, runId);
    this.#statusAtStart(run, spec.dryRun);
    return run;
  }

  /** A replication run, waited for (the CLI's form); `signal` cancels it. */
  async run(idOrName: string, options: ReplicationRunOptions & { signal?: AbortSignal }): Promise<RunReport> {
    const { signal, ...rest } = options;
    const run = this.startReplication(idOrName, rest);
    const cancel = () => this.#options.registry.cancel(run.id);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return await run.done;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  /** Applies a confirmed repair as a run (the proposal itself is repairTask's quick dry answer). */
  startRepair(taskId: string, options: { by: string; confirmation: string; destinationKey?: string; runId?: string }): Run<RepairReport> {
    const task = this.#options.store.getTask(taskId);
    const spec = { kind: 'repair' as const, taskId: task.id, taskName: task.name, by: options.by, dryRun: false };
    const run = this.#options.registry.start(
      spec,
      async (run) => {
        const write = this.#writer(task.id, run);
        write('info', `Repair of "${task.name}" started by ${options.by} (run ${run.runId}).`);
        const report = await repairTask(task, this.#engineDeps(task, options.by, run, write), {
          confirmation: options.confirmation,
          signal: run.signal,
          ...(options.destinationKey === undefined ? {} : { destinationKey: options.destinationKey }),
        });
        if (report.run) this.#record(task.id, report.run, options.by);
        write(report.error ? 'error' : 'info', report.error ? `Repair not applied: ${report.error.message}` : `Repair applied: ${report.actions.join('; ') || 'nothing to do'}.`);
        return report;
      },
      (report) => ({ state: report.error ? (report.error.code === 'CONFIRMATION_REQUIRED' ? 'refused' : 'failed') : 'finished', error: report.error }),
      options.runId,
    );
    this.#statusAtStart(run, false);
    return run;
  }

  /** A periodic snapshot task's round (take, then prune) as a run, logged in that task's own log. */
  startSnapshot(taskId: string, options: { by: string; dryRun?: boolean; runId?: string }): Run<SnapshotRunResult> {
    const task = this.#options.store.getSnapshotTask(taskId);
    const spec = { kind: 'snapshot' as const, taskId: task.id, taskName: `${task.dataset} (${task.namingSchema})`, by: options.by, dryRun: options.dryRun ?? false };
    return this.#options.registry.start(
      spec,
      async (run) => {
        const write = this.#writer(task.id, run);
        write('info', `${spec.dryRun ? 'Dry run of the periodic' : 'Periodic'} snapshot of ${task.dataset} started by ${options.by} (run ${run.runId}).`);
        run.step({ dataset: task.dataset, destination: null, step: 'sending', detail: 'taking the snapshot' });
        const { taken, pruned } = await runSnapshotTask(task, this.#options.nas, { dryRun: spec.dryRun, signal: run.signal, replicationTasks: this.#options.store.listTasks() });
        write('info', `${spec.dryRun ? 'Would take' : 'Took'} ${taken.snapshots.join(', ')}${pruned.destroyed.length > 0 ? `; ${spec.dryRun ? 'would prune' : 'pruned'} ${pruned.destroyed.join(', ')}` : ''}.`);
        run.step({ dataset: task.dataset, destination: null, step: 'done', detail: taken.snapshots.join(', ') });
        return { taskId: task.id, taken, pruned };
      },
      () => ({ state: 'finished', error: null }),
      options.runId,
    );
  }

  /** Dry-runs a task that is not saved (the wizard's review): no run record, no log, no lock, nothing changed. */
  async plan(draft: ReplicationTask, options: { by: string; destinationKey?: string; signal?: AbortSignal }): Promise<RunReport> {
    return runReplicationTask(draft, { nas: (id) => this.#options.nas.nas(id), by: options.by }, { dryRun: true, ...(options.destinationKey ? { destinationKey: options.destinationKey } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  }

  #statusAtStart(run: Run<unknown>, dryRun: boolean): void {
    if (dryRun || !this.#options.onStatus) return;
    const info = run.info();
    this.#options.onStatus({ taskId: info.taskId, state: 'RUNNING', runId: run.id });
    void run.done.then(
      () => this.#statusAtEnd(info.taskId, run),
      () => this.#statusAtEnd(info.taskId, run),
    );
  }

  #statusAtEnd(taskId: string, run: Run<unknown>): void {
    const info = run.info();
    this.#options.onStatus?.({ taskId, state: info.state === 'finished' ? 'FINISHED' : 'FAILED', runId: run.id, ...(info.error ? { detail: info.error.message } : {}) });
  }

  /** Each line goes to the task's log file at once (a crash keeps it) and to the run's subscribers. */
  #writer(taskId: string, run: RunContext): (level: 'info' | 'warn' | 'error', message: string) => void {
    return (level, message) => {
      try {
        this.#options.taskLog.append(taskId, level, message);
      } catch {
        // A full disk or a removed folder must not fail the replication; the line still reaches the UI.
      }
      run.log(level, message);
    };
  }

  #engineDeps(task: ReplicationTask, by: string, run: RunContext, write: (level: 'info' | 'warn' | 'error', message: string) => void): EngineDeps {
    return {
      nas: (id) => this.#options.nas.nas(id),
      by,
      emit: (event: EngineEvent) => {
        if (event.kind === 'log') write(event.level, event.message);
        else if (event.kind === 'progress') run.progress({ dataset: event.dataset, bytesSent: event.bytesSent, bytesTotal: event.bytesTotal, bytesPerSecond: event.bytesPerSecond, etaSeconds: event.etaSeconds });
        else run.step({ dataset: event.dataset, destination: event.destination, step: event.step, detail: event.detail });
      },
    };
  }

  async #replicate(task: ReplicationTask, options: ReplicationRunOptions, run: RunContext): Promise<RunReport> {
    const write = this.#writer(task.id, run);
    write('info', `${options.dryRun ? 'Dry run' : 'Run'} of "${task.name}" started by ${options.by} (run ${run.runId}).`);
    const { by: _by, ...engineOptions } = options;
    const runEngine = () => runReplicationTask(task, this.#engineDeps(task, options.by, run, write), { ...engineOptions, signal: run.signal });
    let report = await runEngine();
    if (!options.dryRun && (await this.#autoCreateSnapshotTasks(task, report, write))) report = await runEngine();
    if (!options.dryRun) this.#record(task.id, report, options.by);
    write(report.result === 'FINISHED' || report.result === 'DRY_RUN' ? 'info' : 'error', `Result: ${report.result}.`);
    return report;
  }

  #record(taskId: string, report: RunReport, by: string): void {
    const record: RunHistoryInput = {
      id: randomUUID(),
      taskId,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      result: report.result,
      by,
      bytesSent: report.bytesSent,
      snapshotsSent: report.snapshotsSent,
      datasets: report.datasets.map((d) => ({ source: d.source, destination: d.destination, status: d.plan.status, bytesSent: d.bytesSent, snapshotsSent: d.snapshotsSent })),
      error: report.error ? recordError(report.error) : null,
    };
    this.#options.store.history.append(record);
  }

  /**
   * A naming-schema task whose sources have no matching snapshot gets a periodic snapshot task per source (as
   * TrueNAS does), which takes the first snapshot right away. Returns true when it created any.
   */
  async #autoCreateSnapshotTasks(task: ReplicationTask, report: RunReport, write: (level: 'info' | 'warn' | 'error', message: string) => void): Promise<boolean> {
    if (task.selection.kind !== 'naming-schema' || report.result !== 'FINISHED') return false;
    if (report.datasets.length === 0 || !report.datasets.every((d) => d.plan.status === 'nothing-to-send')) return false;
    const { store } = this.#options;
    const existing = store.listSnapshotTasks();
    let created = false;
    for (const source of task.sources) {
      if (existing.some((t) => t.connectionId === task.sourceConnectionId && t.dataset === source.name)) continue;
      const snapshotTask = store.saveSnapshotTask({
        connectionId: task.sourceConnectionId,
        dataset: source.name,
        recursive: source.recursive,
        exclude: source.exclude,
        namingSchema: task.selection.schemas[0]!,
        // Names on the wall clock the replication task reads them in.
        ...(task.selection.timeZone ? { timeZone: task.selection.timeZone } : {}),
        schedule: task.schedule.kind === 'cron' ? task.schedule : { kind: 'cron', expression: '0 * * * *' },
        lifetime: { kind: 'custom', amount: 2, unit: 'weeks' },
      });
      const { taken } = await runSnapshotTask(snapshotTask, this.#options.nas, { replicationTasks: store.listTasks() });
      write('info', `No snapshot of ${source.name} matched ${snapshotTask.namingSchema}: created a periodic snapshot task for it and took ${taken.snapshots.join(', ')}.`);
      created = true;
    }
    return created;
  }
}

function recordError(error: AppError): RunHistoryInput['error'] {
  return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
}
